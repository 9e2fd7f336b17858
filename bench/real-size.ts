/**
 * `npm run bench -- real-size [--quick]`: judges of real size on this machine. For the SmolLM2-360M, Qwen2.5-0.5B
 * and Llama-3.2-1B shapes (Llama architecture, seeded random weights, built by the project's builders into a
 * temporary folder laid out as Optimum exports large models: model.onnx + model.onnx_data; deleted afterwards):
 *
 * - first open (graph built and cached, then a score) and cached open, as `gmpo score` runs;
 * - peak RSS of `gmpo score`, `gmpo attribute` and a 1-round headless `gmpo optimize` (each a process of its own,
 *   measured by /usr/bin/time), and the cache's bytes;
 * - warm score and attribution of the task's 8 train examples against a bare onnxruntime forward to logits of the
 *   same model and batch, and against transformers.js.
 *
 * A full run also opens three 0.5B-shaped judges (different seeds) in one headless round. --quick: the 360M shape
 * only; --shape NAME one shape alone (its own section). Memory figures are machine-independent; times depend on the load
 * (stated with each table).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {REAL_SHAPES, writeRealShapeJudge} from '../source/training/random-judge.js';
import {fmt, report, type Table} from './report.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const GiB = 2 ** 30;
type Shape = keyof typeof REAL_SHAPES;

const WORDS = ['apple', 'river', 'mountain', 'garden', 'window', 'silver', 'planet', 'forest', 'candle', 'bridge', 'ocean', 'pencil', 'market', 'castle', 'shadow', 'winter'];

function writeTask(file: string, judges: string[]): void {
	const data = (words: string[]) => words.map(w => ({input: w, target: w.toUpperCase()}));
	const task = {
		name: 'real-size',
		prompt: 'You are a helpful assistant. Convert the word to uppercase. Take your time. Answer in lowercase. Read the input carefully. Write the word in capital letters.',
		segmentation: 'sentences',
		judges,
		rounds: 1,
		seed: 1,
		data: {train: data(WORDS.slice(0, 8)), test: data(WORDS.slice(8))},
	};
	writeFileSync(file, `${JSON.stringify(task, null, 1)}\n`);
}

/** Run the CLI (or a bench child) in a process of its own: seconds, peak RSS in bytes, stdout. */
function measured(args: string[], env: NodeJS.ProcessEnv): {seconds: number; peak: number; stdout: string; ok: boolean; error: string} {
	const t = performance.now();
	const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', ...args], {cwd: ROOT, env: {...process.env, ...env, NODE_NO_WARNINGS: '1'}, encoding: 'utf8', maxBuffer: 1 << 26});
	const seconds = (performance.now() - t) / 1000;
	const lines = r.stderr.trim().split('\n');
	const peak = Number(lines.at(-1)) * 1024;
	return {seconds, peak, stdout: r.stdout, ok: r.status === 0, error: r.status === 0 ? '' : lines.slice(-4, -1).join(' | ').slice(0, 300)};
}

function bytesIn(dir: string): number {
	return Number(execFileSync('du', ['-sb', dir], {encoding: 'utf8'}).split('\t')[0]);
}

type Row = {shape: Shape; parameters: number; weightBytes: number; build: number; firstOpen: number; cachedScore: number; open: number; ready: number; score: number; attribute: number; tokens: number; bare?: number; tjs?: number; tjsError?: string; peaks: Record<string, number>; cacheBytes: number; errors: string[]};

function measureShape(shape: Shape, work: string): Row {
	const dir = path.join(work, shape);
	const cache = path.join(work, `cache-${shape}`);
	const env = {GMPO_CACHE_DIR: cache, GMPO_SESSIONS_DIR: path.join(work, 'sessions')};
	const t = performance.now();
	execFileSync(process.execPath, ['--import', 'tsx', '-e', `const m = await import(${JSON.stringify(path.join(ROOT, 'source/training/random-judge.ts'))}); await m.writeRealShapeJudge(${JSON.stringify(dir)}, ${JSON.stringify(shape)});`], {cwd: ROOT, stdio: 'inherit'});
	const build = (performance.now() - t) / 1000;
	const weightBytes = statSync(path.join(dir, 'model.onnx_data')).size;
	const task = path.join(work, `${shape}.json`);
	writeTask(task, [dir]);
	const errors: string[] = [];
	const cli = (label: string, args: string[]) => {
		const r = measured(['cli.tsx', ...args], env);
		if (!r.ok) errors.push(`${label}: ${r.error}`);
		process.stderr.write(`real-size ${shape}: ${label} ${r.seconds.toFixed(1)} s, peak ${(r.peak / GiB).toFixed(2)} GiB${r.ok ? '' : ' FAILED'}\n`);
		return r;
	};
	const first = cli('score (first open)', ['score', task, '--json']);
	const cached = cli('score', ['score', task, '--json']);
	const attribute = cli('attribute', ['attribute', task, '--json']);
	const optimize = cli('optimize 1 round', ['optimize', task, '--auto', '--rounds', '1', '--json']);
	const child = (mode: string) => {
		const r = measured(['bench/real-size-child.ts', mode, dir, task], env);
		process.stderr.write(`real-size ${shape}: ${mode} ${r.seconds.toFixed(1)} s, peak ${(r.peak / GiB).toFixed(2)} GiB${r.ok ? '' : ` FAILED ${r.error}`}\n`);
		return r.ok ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : undefined;
	};
	const judge = child('judge');
	const bare = child('bare');
	const tjs = child('tjs');
	return {
		shape,
		parameters: weightBytes / 4,
		weightBytes,
		build,
		firstOpen: first.seconds,
		cachedScore: cached.seconds,
		open: judge?.open ?? NaN,
		ready: judge?.ready ?? NaN,
		score: judge?.score.warm ?? NaN,
		attribute: judge?.attribute.warm ?? NaN,
		tokens: judge?.tokens ?? 0,
		bare: bare?.forward.warm,
		tjs: tjs?.forward.warm,
		tjsError: tjs ? undefined : 'failed',
		peaks: {score: cached.peak, attribute: attribute.peak, optimize: optimize.peak, firstOpen: first.peak},
		cacheBytes: bytesIn(cache),
		errors,
	};
}

/** Three 0.5B-shaped judges (seeds 1-3) in one headless round: peak RSS. */
function threeJudges(work: string): {peak: number; seconds: number; ok: boolean; error: string} {
	const dirs = [1, 2, 3].map(seed => path.join(work, `qwen-${seed}`));
	for (const [i, dir] of dirs.entries()) {
		execFileSync(process.execPath, ['--import', 'tsx', '-e', `const m = await import(${JSON.stringify(path.join(ROOT, 'source/training/random-judge.ts'))}); await m.writeRealShapeJudge(${JSON.stringify(dir)}, 'qwen2.5-0.5b', {seed: ${i + 1}, name: 'qwen-${i + 1}'});`], {cwd: ROOT, stdio: 'inherit'});
	}
	const task = path.join(work, 'three.json');
	writeTask(task, dirs);
	const env = {GMPO_CACHE_DIR: path.join(work, 'cache-three'), GMPO_SESSIONS_DIR: path.join(work, 'sessions')};
	measured(['cli.tsx', 'score', task, '--json'], env); // builds the three graphs
	const r = measured(['cli.tsx', 'optimize', task, '--auto', '--rounds', '1', '--json'], env);
	process.stderr.write(`real-size: three 0.5B judges, one round: ${r.seconds.toFixed(1)} s, peak ${(r.peak / GiB).toFixed(2)} GiB${r.ok ? '' : ` FAILED ${r.error}`}\n`);
	for (const dir of dirs) rmSync(dir, {recursive: true, force: true});
	return r;
}

export async function run(quick: boolean): Promise<void> {
	// --shape NAME: that shape alone, recorded as its own section (real-size-NAME) beside the full run's.
	const at = process.argv.indexOf('--shape');
	const only = at >= 0 ? (process.argv[at + 1] as Shape | undefined) : undefined;
	if (only !== undefined && !(only in REAL_SHAPES)) throw new Error(`--shape: one of ${Object.keys(REAL_SHAPES).join(', ')}`);
	const shapes: Shape[] = only ? [only] : quick ? ['smollm2-360m'] : ['smollm2-360m', 'qwen2.5-0.5b', 'llama-3.2-1b'];
	const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-real-size-'));
	mkdirSync(path.join(work, 'sessions'));
	const load = os.loadavg()[0]!;
	const rows: Row[] = [];
	let three: ReturnType<typeof threeJudges> | undefined;
	try {
		for (const shape of shapes) {
			rows.push(measureShape(shape, work));
			// Each size's folder goes once measured: the disk holds one model at a time.
			rmSync(path.join(work, shape), {recursive: true, force: true});
		}
		if (!quick && !only) three = threeJudges(work);
	} finally {
		rmSync(work, {recursive: true, force: true});
	}
	const g = (b: number) => fmt(b / GiB, 2);
	const memory: Table = {
		columns: ['shape', 'parameters', 'fp32 weights GiB', 'build folder s', 'first open + score s', 'cached score s', 'peak RSS score GiB', 'peak RSS attribute GiB', 'peak RSS optimize GiB', 'attribute / weights', 'cache MiB', 'cache / weights'],
		rows: rows.map(r => [r.shape, `${(r.parameters / 1e6).toFixed(0)}M`, g(r.weightBytes), fmt(r.build, 1), fmt(r.firstOpen, 1), fmt(r.cachedScore, 1), g(r.peaks.score!), g(r.peaks.attribute!), g(r.peaks.optimize!), fmt(r.peaks.attribute! / r.weightBytes, 2), fmt(r.cacheBytes / 2 ** 20, 1), fmt(r.cacheBytes / r.weightBytes, 4)]),
	};
	const speed: Table = {
		columns: ['shape', 'tokens', 'cached open s', 'open to first score s', 'score s', 'attribute s', 'bare forward s', 'transformers.js s', 'score / forward', 'attribute / forward'],
		rows: rows.map(r => [r.shape, r.tokens, fmt(r.open, 2), fmt(r.ready, 2), fmt(r.score, 2), fmt(r.attribute, 2), r.bare === undefined ? 'failed' : fmt(r.bare, 2), r.tjs === undefined ? 'failed' : fmt(r.tjs, 2), r.bare ? fmt(r.score / r.bare, 2) : '-', r.bare ? fmt(r.attribute / r.bare, 2) : '-']),
	};
	const ok = rows.filter(r => r.errors.length === 0);
	const half = rows.find(r => r.shape === 'qwen2.5-0.5b') ?? rows[0]!;
	const worst = (f: (r: Row) => number) => Math.max(...rows.map(f));
	const result = {
		peak_rss_ratio: Number(worst(r => r.peaks.attribute! / r.weightBytes).toFixed(3)),
		cache_ratio: Number(worst(r => r.cacheBytes / r.weightBytes).toFixed(4)),
		open_s: Number(half.ready.toFixed(2)),
		attr_vs_forward: Number(worst(r => (r.bare ? r.attribute / r.bare : NaN)).toFixed(2)),
		score_vs_forward: Number(worst(r => (r.bare ? r.score / r.bare : NaN)).toFixed(2)),
		largest_ok: Math.max(0, ...ok.map(r => r.parameters)),
		...(three ? {three_half_b_round_peak_gib: Number((three.peak / GiB).toFixed(2)), three_half_b_ok: three.ok} : {}),
		errors: rows.flatMap(r => r.errors.map(e => `${r.shape} ${e}`)),
	};
	report(
		only ? `real-size-${only}` : 'real-size',
		`Judges of real size${only ? `: ${only} alone` : ''} (load average ${load.toFixed(1)} at the start)`,
		[
			{heading: 'Memory and cache (peak RSS of each command in a process of its own, /usr/bin/time)', table: memory},
			{heading: 'Warm times on the task\'s 8 train examples (median of 3; bare = onnxruntime forward to full logits of model.onnx, default session options)', table: speed},
		],
		result,
		{quick, notes: three ? [`Three 0.5B-shaped judges, one headless round: peak RSS ${(three.peak / GiB).toFixed(2)} GiB, ${three.seconds.toFixed(0)} s${three.ok ? '' : ` (FAILED: ${three.error})`}.`] : []},
	);
}
