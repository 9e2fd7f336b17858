/**
 * `npm run bench -- tui [--quick]`: how fast the TUI answers.
 *
 * - Frame render time: a key press (selection up/down) to the frame written (wall time, and this process's CPU
 *   time, which other jobs on the machine do not inflate), with 64 segments and 16 candidates,
 *   at 80x24 (the size the screens are laid out for; a window of them drawn), 120x50, and 200x100 (all of them
 *   drawn); Ink unthrottled, so this is the cost of one frame: input parsing, React, layout and output. Ink redraws
 *   the whole screen each frame, so the cost grows with the terminal's area. Goal <= 16 ms.
 * - Key-to-frame latency while the judges score: the real engine with the bundled judges (random-weight judges
 *   when models/ has none) in their worker pool, 16 candidates per round, the demo task; Tab pressed at random
 *   intervals and the time to the first frame showing the focus moved, with the app's own Ink settings (throttled
 *   to 60 frames a second). Only presses made and answered while scoring count. Goal p99 <= 50 ms.
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
import {INK_OPTIONS} from '../source/ui/run-tui.js';
import {SessionScreen} from '../source/ui/session-screen.js';
import {makeTheme, ThemeContext} from '../source/ui/theme.js';
import {FakeEngine, makeView} from '../test/ui/fixtures.js';
import {tempDir} from './judge-fixtures.js';
import {fmt, report, type Table} from './report.js';

/** A terminal's output side: records frames, reports its size. */
class Screen extends EventEmitter {
	readonly isTTY = true;
	last = '';
	onFrame: ((frame: string) => void) | undefined;
	constructor(
		readonly columns: number,
		readonly rows: number,
	) {
		super();
	}
	write(data: string): boolean {
		this.last = data;
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

function mount(engine: TuiEngine, columns: number, rows: number, debug: boolean) {
	const screen = new Screen(columns, rows);
	const keyboard = new Keyboard();
	const node = createElement(ThemeContext.Provider, {value: makeTheme({color: true, unicode: true})}, createElement(SessionScreen, {engine, editPrompt: async () => undefined, onExit: () => {}}));
	const stdio = {stdout: screen as unknown as NodeJS.WriteStream, stdin: keyboard as unknown as NodeJS.ReadStream, stderr: new Screen(columns, rows) as unknown as NodeJS.WriteStream};
	const app = render(node, {...stdio, ...INK_OPTIONS, debug, patchConsole: false});
	return {screen, keyboard, app};
}

/** Milliseconds of wall time and of this process's CPU time (every thread) from a key press to its frame. */
type Timing = {wall: number; cpu: number};

/** Presses `key` and resolves with the time until a frame satisfies `shows` (or rejects after 2 s). */
function timeKey(screen: Screen, keyboard: Keyboard, key: string, shows: (frame: string) => boolean): Promise<Timing> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no frame answered ${JSON.stringify(key)}; the last:\n${stripVTControlCharacters(screen.last)}`)), 2000);
		const start = performance.now();
		const cpu = process.cpuUsage();
		screen.onFrame = frame => {
			if (!shows(frame)) return;
			clearTimeout(timer);
			screen.onFrame = undefined;
			const used = process.cpuUsage(cpu);
			resolve({wall: performance.now() - start, cpu: (used.user + used.system) / 1000});
		};
		keyboard.press(key);
	});
}

/** Frame render time at one terminal size: j/k moves the selection; each press is one frame. */
async function renderTimes(columns: number, rows: number, presses: number): Promise<Timing[]> {
	const view = makeView({segments: 64, candidates: 16, judges: ['llama-a', 'gpt2-b'], heldout: ['llama-c']});
	const engine = new FakeEngine(view);
	const {screen, keyboard, app} = mount(engine, columns, rows, true);
	await sleep(50);
	engine.await(view);
	await sleep(50);
	const times: Timing[] = [];
	for (let i = 0; i < presses + 10; i++) {
		const down = i % 2 === 0;
		const t = await timeKey(screen, keyboard, down ? 'j' : 'k', frame => new RegExp(`^› +${down ? 2 : 1} +c${down ? 2 : 1} `, 'm').test(frame));
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
async function keyLatency(samples: number): Promise<{scoring: number[]; attributing: number[]; judges: string}> {
	const file = path.resolve(import.meta.dirname, '..', 'examples', 'uppercase.yaml');
	const task = loadTask(file);
	const specs = judgeSpecs();
	const set = await openJudges(specs.names);
	const dir = tempDir('gmpo-bench-tui-sessions-');
	const session = newSession({task, segments: segmentPrompt(task.prompt, task.segmentation), judges: set.judges.map(j => j.info.name), generator: {kind: 'offline'}}, {dir});
	const engine = new Engine({session, judges: set.judges, generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}), candidates: 16, limits: {rounds: 10_000}});
	// A terminal's stdin keeps the app alive while it waits (Ink refs it); the fake keyboard holds no handle, and
	// without one the process could end while the judges' workers wind down, before the results are printed.
	const terminal = setInterval(() => {}, 60_000);
	const {screen, keyboard, app} = mount(engine, 80, 24, false);
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
	const table: Table = {columns: ['what', 'terminal', 'samples', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'CPU p50 ms'], rows: []};
	const row = (what: string, terminal: string, xs: number[], cpu?: number[]) =>
		table.rows.push([what, terminal, xs.length, fmt(percentile(xs, 50), 1), fmt(percentile(xs, 95), 1), fmt(percentile(xs, 99), 1), fmt(Math.max(...xs), 1), cpu ? fmt(percentile(cpu, 50), 1) : '']);
	const renderMs: Record<string, number> = {};
	const renderCpuMs: Record<string, number> = {};
	for (const [columns, rows] of [
		[80, 24],
		[120, 50],
		[200, 100],
	] as const) {
		const times = await renderTimes(columns, rows, presses);
		const wall = times.map(t => t.wall);
		const cpu = times.map(t => t.cpu);
		row('frame render (64 segments, 16 candidates)', `${columns}x${rows}`, wall, cpu);
		renderMs[`${columns}x${rows}`] = Number(percentile(wall, 50).toFixed(2));
		renderCpuMs[`${columns}x${rows}`] = Number(percentile(cpu, 50).toFixed(2));
		process.stderr.write(`tui: render ${columns}x${rows}: p50 ${percentile(wall, 50).toFixed(1)} ms (CPU ${percentile(cpu, 50).toFixed(1)} ms)\n`);
	}
	const latency = await keyLatency(quick ? 60 : 300);
	row('key to frame, judges scoring', '80x24', latency.scoring);
	if (latency.attributing.length > 0) row('key to frame, judges attributing', '80x24', latency.attributing);
	const p99 = percentile(latency.scoring, 99);
	report('tui', 'TUI: frame render time and key-to-frame latency', [{table}], {render_ms: renderMs['80x24'], key_latency_p99_ms: Number(p99.toFixed(2)), render_cpu_ms: renderCpuMs['80x24'], render_ms_120x50: renderMs['120x50'], render_ms_200x100: renderMs['200x100'], render_cpu_ms_200x100: renderCpuMs['200x100'], load_average: Number(load.toFixed(1)), goal_render_ms: 16, goal_key_latency_p99_ms: 50}, {
		quick,
		notes: [
			`render_ms is the median frame at 80x24 (the other sizes are in the RESULT too); the load average was ${load.toFixed(1)} when the run started (other jobs share the machine; CPU time is what a frame costs, wall time adds the wait for a core). Key latency uses ${latency.judges} in the worker pool, the demo task, 16 candidates per round, and Ink at the app's settings (${INK_OPTIONS.maxFps} frames a second at most).`,
		],
	});
}
