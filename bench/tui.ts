/**
 * `npm run bench -- tui [--quick]`: how fast the TUI answers.
 *
 * - Frame render time: a key press (selection up/down) to the frame written (wall time, and this process's CPU
 *   time, which other jobs on the machine do not inflate), with 64 segments and 16 candidates,
 *   at 80x24 (the size the screens are laid out for; a window of them drawn), 120x50, and 200x100 (all of them
 *   drawn); Ink's throttle at 1 ms, so this is the cost of one frame: input parsing, React, layout and output.
 *   Measured with Ink's standard log-update (the whole live region rewritten each frame) and with its
 *   incrementalRendering option (only changed lines written), with the bytes written per frame. The history and
 *   per-example screens (a key scrolls them) are timed at 200x100 too. Goal <= 16 ms. The app assembles frames with
 *   ui/ink-output.ts (what run-tui installs); the round screen at 200x100 is timed with Ink's own assembly too.
 * - Key-to-frame latency while the judges score: the real engine with the bundled judges (random-weight judges
 *   when models/ has none) in their worker pool, 16 candidates per round, the demo task; Tab pressed at random
 *   intervals and the time to the first frame showing the focus moved, with the app's own Ink settings (throttled
 *   to 60 frames a second). Only presses made and answered while scoring count. Goal p99 <= 50 ms. The judges' workers
 *   run at nice +10 as in the TUI (PoolOptions.background), and once more at normal priority for comparison.
 */
import './production-react.js';
import {EventEmitter} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {stripVTControlCharacters} from 'node:util';
import {render} from 'ink';
import {createElement} from 'react';
import {segmentPrompt} from '../source/core/segment.js';
import {Engine} from '../source/engine/index.js';
import {createOfflineGenerator} from '../source/generators/offline.js';
import {bundledJudgeNames, openJudges} from '../source/judges/judge-set.js';
import {writeRandomJudge} from '../source/training/random-judge.js';
import {newSession} from '../source/sessions/store.js';
import {loadTask} from '../source/tasks/load-task.js';
import type {TuiEngine} from '../source/ui/engine-port.js';
import {installFastOutput, loadInkOutput} from '../source/ui/ink-output.js';
import {INK_OPTIONS} from '../source/ui/run-tui.js';
import {SessionScreen} from '../source/ui/session-screen.js';
import {makeTheme, ThemeContext} from '../source/ui/theme.js';
import {FakeEngine, makeState, makeView} from '../test/ui/fixtures.js';
import {tempDir} from './judge-fixtures.js';
import {fmt, report, type Table} from './report.js';

/** A terminal's output side: records frames and the bytes written, reports its size. */
class Screen extends EventEmitter {
	readonly isTTY = true;
	last = '';
	bytes = 0;
	onFrame: ((frame: string) => void) | undefined;
	constructor(
		readonly columns: number,
		readonly rows: number,
	) {
		super();
	}
	write(data: string): boolean {
		this.last = data;
		this.bytes += Buffer.byteLength(data);
		this.onFrame?.(stripVTControlCharacters(data));
		return true;
	}
}

/** A terminal's input side, as Ink reads it (raw mode, readable events). */
class Keyboard extends EventEmitter {
	readonly isTTY = true;
	#data: string | null = null;
	setRawMode(): void {}
	setEncoding(): void {}
	ref(): void {}
	unref(): void {}
	resume(): void {}
	pause(): void {}
	read(): string | null {
		const data = this.#data;
		this.#data = null;
		return data;
	}
	press(data: string): void {
		this.#data = data;
		this.emit('readable');
	}
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function percentile(xs: number[], p: number): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function mount(engine: TuiEngine, columns: number, rows: number, options: {incremental?: boolean; maxFps?: number} = {}) {
	const screen = new Screen(columns, rows);
	const keyboard = new Keyboard();
	const node = createElement(ThemeContext.Provider, {value: makeTheme({color: true, unicode: true})}, createElement(SessionScreen, {engine, editPrompt: async () => undefined, onExit: () => {}}));
	const stdio = {stdout: screen as unknown as NodeJS.WriteStream, stdin: keyboard as unknown as NodeJS.ReadStream, stderr: new Screen(columns, rows) as unknown as NodeJS.WriteStream};
	const app = render(node, {...stdio, ...INK_OPTIONS, ...(options.maxFps ? {maxFps: options.maxFps} : {}), incrementalRendering: options.incremental ?? INK_OPTIONS.incrementalRendering, patchConsole: false});
	return {screen, keyboard, app};
}

/** Milliseconds of wall time and of this process's CPU time (every thread) from a key press to its frame, and the bytes written. */
type Timing = {wall: number; cpu: number; bytes: number};

/** Presses `key` and resolves with the time until a frame satisfies `shows` (or rejects after 2 s). */
function timeKey(screen: Screen, keyboard: Keyboard, key: string, shows: (frame: string) => boolean): Promise<Timing> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no frame answered ${JSON.stringify(key)}; the last:\n${stripVTControlCharacters(screen.last)}`)), 2000);
		const start = performance.now();
		const cpu = process.cpuUsage();
		const bytes = screen.bytes;
		screen.onFrame = frame => {
			if (!shows(frame)) return;
			clearTimeout(timer);
			screen.onFrame = undefined;
			const used = process.cpuUsage(cpu);
			resolve({wall: performance.now() - start, cpu: (used.user + used.system) / 1000, bytes: screen.bytes - bytes});
		};
		keyboard.press(key);
	});
}

/** The round of the render benchmark, with a per-example view of its 24 examples for c1. */
function benchView() {
	const view = makeView({segments: 64, candidates: 16, judges: ['llama-a', 'gpt2-b'], heldout: ['llama-c']});
	const judges = [...view.selection, ...view.heldout];
	const rows = Array.from({length: 24}, (_, e) => ({index: e, input: `make this loud: example sentence number ${e + 1}`, reference: `EXAMPLE SENTENCE NUMBER ${e + 1}`, weight: 1}));
	const outputs = (upper: boolean) => Object.fromEntries(judges.map(j => [j, rows.map(r => (upper ? r.reference : r.reference.toLowerCase()))]));
	const match = (upper: boolean) => Object.fromEntries(judges.map(j => [j, rows.map(() => upper)]));
	const losses = (x: number) => Object.fromEntries(judges.map(j => [j, rows.map((_, e) => x + e / 100)]));
	const examples = {rows, judges, current: {outputs: outputs(false), match: match(false), losses: losses(0.5)}, candidate: {prompt: 'c1', outputs: outputs(true), match: match(true), losses: losses(0.3)}};
	// A session 30 rounds in, each accepting a change: the history's chart and lists are full.
	const rounds = Array.from({length: 30}, (_, i) => ({
		round: i + 1,
		started: '',
		finished: 'x',
		candidates: [],
		candidateLosses: {},
		aggregates: {},
		decision: {action: 'accept' as const, candidate: 'c1'},
		testBefore: Object.fromEntries(judges.map((j, k) => [j, 2 - i / 40 + k / 10])),
		testLosses: Object.fromEntries(judges.map((j, k) => [j, 2 - (i + 1) / 40 + k / 10])),
	}));
	const accepted = rounds.map((r, i) => ({round: r.round, seq: 10 * (i + 1), time: '', action: 'accept' as const, candidate: 'c1', source: 'offline', edits: [{segment: `s${i + 1}`, op: 'replace' as const, text: `A better sentence number ${i + 1}.`}], before: '', after: '', segmentsBefore: []}));
	const state = makeState(view, {rounds, accepted, roundsDone: 30});
	return {view, withExamples: {...view, examples}, state};
}

/** What a key does in a render benchmark, and how its frame is recognised. */
type Screenful = 'round' | 'history' | 'examples';

/** Frame render time at one terminal size on one screen: j/k move the selection or scroll; each press is one frame. */
export async function renderTimes(columns: number, rows: number, presses: number, incremental: boolean, screenful: Screenful = 'round'): Promise<Timing[]> {
	const {view, withExamples, state} = benchView();
	const engine = new FakeEngine(view, state);
	const {screen, keyboard, app} = mount(engine, columns, rows, {incremental, maxFps: 1000});
	await sleep(50);
	engine.await(view);
	await sleep(50);
	if (screenful === 'history') keyboard.press('h');
	if (screenful === 'examples') {
		keyboard.press('x');
		await sleep(20);
		engine.await(withExamples);
	}
	await sleep(50);
	const shows = (down: boolean): ((frame: string) => boolean) => {
		if (screenful === 'round') return frame => new RegExp(`^› +${down ? 2 : 1} +c${down ? 2 : 1} `, 'm').test(frame);
		// The scrolled screens say how many lines are above: 1 after j, none after k (the first line is shown again).
		return frame => (down ? /[↑^] 1 line above/.test(frame) : new RegExp(screenful === 'history' ? '^Current prompt' : '^24 examples', 'm').test(frame));
	};
	const times: Timing[] = [];
	for (let i = 0; i < presses + 10; i++) {
		const down = i % 2 === 0;
		const t = await timeKey(screen, keyboard, down ? 'j' : 'k', shows(down));
		if (i >= 10) times.push(t);
	}
	app.unmount();
	return times;
}

/** Judges for the latency run: the bundled ones, else two random-weight judges. */
function judgeSpecs(): {names?: string[]; label: string} {
	if (bundledJudgeNames().length > 0) return {label: `bundled judges (${bundledJudgeNames().join(', ')})`};
	const dir = tempDir('gmpo-bench-tui-');
	const a = writeRandomJudge(path.join(dir, 'rand-gpt2'), {family: 'gpt2', name: 'rand-gpt2', hidden: 64, layers: 4});
	const b = writeRandomJudge(path.join(dir, 'rand-llama'), {family: 'llama', name: 'rand-llama', hidden: 64, layers: 4, seed: 2});
	return {names: [a, b], label: 'random-weight judges (d=64, 4 layers; models/ has none)'};
}

/** Key-to-frame latency while the real engine scores; presses during attribution are kept apart. */
async function keyLatency(samples: number, background: boolean): Promise<{scoring: number[]; attributing: number[]; judges: string}> {
	const file = path.resolve(import.meta.dirname, '..', 'examples', 'uppercase.yaml');
	const task = loadTask(file);
	const specs = judgeSpecs();
	// The TUI opens them in the background: below the priority of the thread that draws the screen.
	const set = await openJudges(specs.names, {background});
	const dir = tempDir('gmpo-bench-tui-sessions-');
	const session = newSession({task, segments: segmentPrompt(task.prompt, task.segmentation), judges: set.judges.map(j => j.info.name), generator: {kind: 'offline'}}, {dir});
	const engine = new Engine({session, judges: set.judges, generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}), candidates: 16, limits: {rounds: 10_000}});
	// A terminal's stdin keeps the app alive while it waits (Ink refs it); the fake keyboard holds no handle, and
	// without one the process could end while the judges' workers wind down, before the results are printed.
	const terminal = setInterval(() => {}, 60_000);
	const {screen, keyboard, app} = mount(engine, 80, 24);
	const scoring: number[] = [];
	const attributing: number[] = [];
	let focused = false;
	try {
		while (scoring.length < samples) {
			const status = engine.status;
			if (status === 'awaiting-decision') {
				// A new round: attribution, proposal and scoring again.
				engine.submit({kind: 'skip'});
				await sleep(5);
				continue;
			}
			if (status !== 'scoring' && status !== 'attributing') {
				await sleep(5);
				continue;
			}
			focused = !focused;
			const latency = await timeKey(screen, keyboard, '\t', frame => (focused ? /^› Prompt/m : /^ {2}Prompt/m).test(frame));
			if (engine.status === status) (status === 'scoring' ? scoring : attributing).push(latency.wall);
			await sleep(20 + Math.random() * 80);
		}
	} finally {
		app.unmount();
		engine.stop('benchmark done');
		session.close();
		await set.close();
		fs.rmSync(dir, {recursive: true, force: true});
		clearInterval(terminal);
	}
	return {scoring, attributing, judges: specs.label};
}

export async function run(quick: boolean): Promise<void> {
	const presses = quick ? 60 : 300;
	const load = os.loadavg()[0];
	const table: Table = {columns: ['what', 'terminal', 'samples', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'CPU p50 ms', 'bytes/frame'], rows: []};
	const row = (what: string, terminal: string, xs: number[], cpu?: number[], bytes?: number[]) =>
		table.rows.push([what, terminal, xs.length, fmt(percentile(xs, 50), 1), fmt(percentile(xs, 95), 1), fmt(percentile(xs, 99), 1), fmt(Math.max(...xs), 1), cpu ? fmt(percentile(cpu, 50), 1) : '', bytes ? Math.round(percentile(bytes, 50)) : '']);
	const renderMs: Record<string, number> = {};
	const renderCpuMs: Record<string, number> = {};
	const measure = async (what: string, key: string, columns: number, rows: number, incremental: boolean, screenful: Screenful = 'round') => {
		const times = await renderTimes(columns, rows, presses, incremental, screenful);
		const wall = times.map(t => t.wall);
		const cpu = times.map(t => t.cpu);
		row(what, `${columns}x${rows}`, wall, cpu, times.map(t => t.bytes));
		renderMs[key] = Number(percentile(wall, 50).toFixed(2));
		renderCpuMs[key] = Number(percentile(cpu, 50).toFixed(2));
		process.stderr.write(`tui: ${what} ${columns}x${rows}: p50 ${percentile(wall, 50).toFixed(1)} ms (CPU ${percentile(cpu, 50).toFixed(1)} ms)\n`);
	};
	const mode = (incremental: boolean) => (incremental ? 'incremental' : 'standard');
	const {Output} = await loadInkOutput();
	const inkGet = Output.prototype.get;
	const fastOutput = await installFastOutput();
	const appGet = Output.prototype.get;
	for (const incremental of [false, true]) {
		for (const [columns, rows] of [
			[80, 24],
			[120, 50],
			[200, 100],
		] as const) {
			await measure(`round screen (64 segments, 16 candidates), ${mode(incremental)}`, `${columns}x${rows}${incremental ? '_incremental' : ''}`, columns, rows, incremental);
		}
	}
	// The same frames assembled by Ink's own Output.get, for comparison.
	Output.prototype.get = inkGet;
	await measure(`round screen, standard, Ink's own frame assembly`, '200x100_ink_assembly', 200, 100, false);
	Output.prototype.get = appGet;
	const chosen = INK_OPTIONS.incrementalRendering;
	await measure(`history screen, ${mode(chosen)}`, 'history_200x100', 200, 100, chosen, 'history');
	await measure(`per-example screen (24 examples, 3 judges), ${mode(chosen)}`, 'examples_200x100', 200, 100, chosen, 'examples');
	const latency = await keyLatency(quick ? 60 : 300, true);
	row('key to frame, judges scoring', '80x24', latency.scoring);
	if (latency.attributing.length > 0) row('key to frame, judges attributing', '80x24', latency.attributing);
	// For comparison: the judges' workers at normal priority, as before they ran in the background.
	const normal = await keyLatency(quick ? 60 : 300, false);
	row('key to frame, judges scoring at normal priority', '80x24', normal.scoring);
	const p99 = percentile(latency.scoring, 99);
	const at = (size: string) => renderMs[`${size}${chosen ? '_incremental' : ''}`];
	report(
		'tui',
		'TUI: frame render time and key-to-frame latency',
		[{table}],
		{
			render_ms: at('80x24'),
			key_latency_p99_ms: Number(p99.toFixed(2)),
			key_latency_p99_ms_normal_priority: Number(percentile(normal.scoring, 99).toFixed(2)),
			render_cpu_ms: renderCpuMs[`80x24${chosen ? '_incremental' : ''}`],
			render_ms_120x50: at('120x50'),
			render_ms_200x100: at('200x100'),
			render_ms_200x100_standard: renderMs['200x100'],
			render_ms_200x100_incremental: renderMs['200x100_incremental'],
			render_ms_200x100_ink_assembly: renderMs['200x100_ink_assembly'],
			render_cpu_ms_200x100: renderCpuMs[`200x100${chosen ? '_incremental' : ''}`],
			render_cpu_ms_200x100_ink_assembly: renderCpuMs['200x100_ink_assembly'],
			fast_output: fastOutput,
			render_ms_history_200x100: renderMs.history_200x100,
			render_ms_examples_200x100: renderMs.examples_200x100,
			incremental_rendering: chosen,
			load_average: Number(load.toFixed(1)),
			goal_render_ms: 16,
			goal_key_latency_p99_ms: 50,
		},
		{
		quick,
		notes: [
			`render_ms is the median frame at 80x24 with the app's settings (incrementalRendering ${chosen ? 'on' : 'off'}); the other sizes and both modes are in the RESULT too. Frames are assembled by ui/ink-output.ts (${fastOutput ? 'installed' : 'not installed: Ink is not the version it reproduces'}) except in the row that says Ink's own. The load average was ${load.toFixed(1)} when the run started (other jobs share the machine; CPU time is what a frame costs, wall time adds the wait for a core). Key latency uses ${latency.judges} in the worker pool (at nice +10, as the TUI runs them, except in the row that says normal priority), the demo task, 16 candidates per round, and Ink at the app's settings (${INK_OPTIONS.maxFps} frames a second at most).`,
		],
		},
	);
}
