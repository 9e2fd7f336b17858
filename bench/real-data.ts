/**
 * Real public data end to end: task files for GSM8K, the five BBH tasks, IFEval, AdvBench (safety: a refusal with
 * r > 0, the compliant target with r < 0) and SummEval (one objective per criterion, PCGrad) are generated at run
 * time from ../shared/data into a temp folder, and each runs headless for two rounds (prepareNewRun + runHeadless,
 * the path of `gmpo optimize --auto`) with the bundled judges and the offline generator. Inputs are cut to fit the
 * smallest judge context. The bundled judges were trained on a tiny synthetic corpus, so losses are high: the point
 * is that real data flows through the whole pipeline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {defaultDeps, type Output} from '../source/commands/deps.js';
import {runHeadless, type RunSummary} from '../source/commands/headless.js';
import {prepareNewRun} from '../source/commands/prepare-run.js';
import {segmentPrompt} from '../source/core/segment.js';
import {mean} from '../source/core/stats.js';
import type {TaskExample} from '../source/core/task.js';
import {openJudges} from '../source/judges/judge-set.js';
import type {OnnxJudge} from '../source/judges/onnx-judge.js';
import {rawTasks} from './real-data-helpers.js';
import {fmt, report, type Table} from './report.js';

const DATA = path.resolve(import.meta.dirname, '../../shared/data');

/** Cuts an example's input (then its targets) until every judge accepts it; returns its token counts. */
export async function fit(judges: OnnxJudge[], prompt: string[], e: TaskExample): Promise<{example: TaskExample; tokens: number; cut: boolean}> {
	let input = e.input;
	let cut = false;
	const targets = e.targets ?? {'': e.target!};
	for (;;) {
		try {
			let tokens = 0;
			for (const j of judges) {
				for (const t of Object.values(targets)) {
					const [enc] = await j.encode(prompt, [{input, target: t}]);
					tokens = Math.max(tokens, enc!.ids.length);
				}
			}
			return {example: {...e, input}, tokens, cut};
		} catch (error) {
			if (input.length <= 16) throw error;
			input = `${input.slice(0, Math.floor(Math.min(input.length, 600) * 0.7)).trimEnd()} ...`;
			cut = true;
		}
	}
}

function sink(): Output & {text: string; marks: {text: string; at: number}[]} {
	return {
		text: '',
		isTTY: false,
		marks: [],
		write(s: string) {
			this.text += s;
			this.marks.push({text: s, at: performance.now()});
			return true;
		},
	};
}

export async function run(quick: boolean): Promise<void> {
	if (!fs.existsSync(DATA)) {
		process.stdout.write(`real-data: ${DATA} is absent (a fresh clone); skipped\n`);
		return;
	}
	const n = quick ? 4 : 8;
	const rounds = 2;
	const candidates = quick ? 4 : 8;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-real-data-'));
	const set = await openJudges(undefined);
	const judges = set.judges as OnnxJudge[];
	const context = Math.min(...judges.map(j => j.info.contextLength ?? Infinity));
	const table: Table = {columns: ['task', 'train/test', 'segments', 'tokens/example (mean, max)', 'inputs cut', 's/round', 'total s', 'accepted', 'selection loss initial -> final', 'held-out loss initial -> final'], rows: []};
	const perRound: number[] = [];
	const tokens: number[] = [];
	let ok = 0;
	const tasks = rawTasks(DATA, n);
	try {
		for (const raw of tasks) {
			const prompt = segmentPrompt(raw.prompt).map(s => s.text);
			const fitted = {train: [] as TaskExample[], test: [] as TaskExample[]};
			const counts: number[] = [];
			let cut = 0;
			for (const part of ['train', 'test'] as const) {
				for (const e of raw[part]) {
					const f = await fit(judges, prompt, e);
					fitted[part].push(f.example);
					counts.push(f.tokens);
					if (f.cut) cut++;
				}
			}
			tokens.push(...counts);
			const file = path.join(dir, `${raw.name}.json`);
			fs.writeFileSync(file, JSON.stringify({name: raw.name, prompt: raw.prompt, data: fitted, rounds, batchSize: n, generator: {kind: 'offline', candidates}, ...raw.extra}, null, 1));
			const stdout = sink();
			const stderr = sink();
			const deps = defaultDeps({sessionsDir: path.join(dir, 'sessions'), stdout, stderr, signals: [], env: {}, stdinIsTTY: false});
			const start = performance.now();
			let summary: RunSummary | undefined;
			let error = '';
			try {
				const prepared = await prepareNewRun(file, {auto: true, json: true, rounds}, deps);
				try {
					const code = await runHeadless(prepared, {json: true, deps});
					if (code === 0) summary = JSON.parse(stdout.text) as RunSummary;
					else error = `exit ${code}`;
				} finally {
					await prepared.close();
				}
			} catch (e) {
				error = e instanceof Error ? e.message : String(e);
			}
			const total = (performance.now() - start) / 1000;
			const scoringAt = stderr.marks.find(m => m.text.startsWith('scoring the initial'))?.at;
			const roundSeconds = scoringAt === undefined ? Number.NaN : (scoringAt - start) / 1000 / rounds;
			const size = `${fitted.train.length}/${fitted.test.length}`;
			if (!summary) {
				table.rows.push([raw.name, size, prompt.length, `${fmt(mean(counts), 0)}, ${Math.max(...counts)}`, cut, 'failed', fmt(total, 1), '', error.slice(0, 80), '']);
				process.stderr.write(`real-data: ${raw.name} failed: ${error}\n${stderr.text.slice(-500)}\n`);
				continue;
			}
			ok++;
			perRound.push(roundSeconds);
			const sel = Object.values(summary.judges).filter(j => !j.heldout);
			const held = summary.heldout;
			table.rows.push([
				raw.name, size, prompt.length, `${fmt(mean(counts), 0)}, ${Math.max(...counts)}`, cut, fmt(roundSeconds, 1), fmt(total, 1), `${summary.accepted}/${summary.rounds}`,
				`${fmt(mean(sel.map(j => j.before)), 3)} -> ${fmt(mean(sel.map(j => j.after)), 3)}`,
				held ? `${fmt(held.before, 3)} -> ${fmt(held.after, 3)}` : 'n/a',
			]);
			process.stderr.write(`real-data: ${raw.name} done (${total.toFixed(1)} s)\n`);
		}
	} finally {
		await set.close();
		fs.rmSync(dir, {recursive: true, force: true});
	}
	report('real-data', 'Real public data end to end (headless, bundled judges, offline generator)', [{table}], {
		tasks: tasks.length,
		completed: ok,
		rounds,
		seconds_per_round: Number(mean(perRound).toFixed(2)),
		tokens_per_example: Math.round(mean(tokens)),
		context_tokens: context,
	}, {quick, notes: [
		`Task files generated at run time from ../shared/data (${n} train / ${n} test per task; AdvBench: ${Math.max(1, Math.floor(n / 2))} goals per split, each as a refusal with r = +1 and the dataset's compliant target with r = -1; SummEval: objectives coherence, consistency, fluency, relevance with PCGrad). Inputs are cut (then marked " ...") until every bundled judge accepts them: the smallest context is ${context} tokens. Targets: GSM8K's final answer only; IFEval has no reference response, so its target is a synthetic statement of the instructions to follow.`,
		`s/round: wall time of the two rounds (attribution, ${candidates} offline candidates, scoring, test split after each round) divided by 2; "total s" adds opening the judges and the final test scoring. Tokens/example: prompt + input + target as the longest-tokenising judge sees it. The bundled judges were trained on a tiny synthetic corpus, so losses on real data are high.`,
	]});
}
