/**
 * `npm run bench -- hf-import`: importing a Hugging Face checkpoint of real size. Writes a SmolLM2-360M-shaped
 * bfloat16 checkpoint (vocab 49152, hidden 960, 32 layers, 15 heads, 5 key/value heads, MLP 2560, tied; seeded
 * random weights, streamed by the safetensors writer) into a temporary folder, then measures in fresh child
 * processes (so each peak RSS is that step's own):
 * - open: loadCheckpoint (config, headers, graph; no weight is read);
 * - convert: open, then read every weight once as a streaming writer does (bf16 to fp32, one tensor at a time);
 * - import-hf: the whole `gmpo judges import-hf` (model.onnx + model.onnx_data).
 * --quick runs a 4-layer model of the same width. `--size 1b` measures a Llama-3.2-1B-shaped checkpoint instead, through
 * the CLI (see runOneBillion): import-hf, and the first score of the checkpoint folder used directly as a judge.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadCheckpoint} from '../source/hf/checkpoint.js';
import {importHf} from '../source/judges/import-hf.js';
import {llamaArchitecture} from '../source/hf/llama-family.js';
import {storedBytes, writeCheckpointWeights} from '../source/hf/safetensors-write.js';
import {lazyRandomWeights, randomJudgeTokenizer, REAL_SHAPES} from '../source/training/random-judge.js';
import {mulberry32} from '../source/core/random.js';
import {lazyTensor, sizeOf, type Tensor} from '../source/onnx/ir.js';
import type {LlamaConfig} from '../source/onnx/builders/llama.js';
import {fmt, report, type Table} from './report.js';

type Step = 'open' | 'convert' | 'import-hf';
type StepResult = {seconds: number; peakRssGiB: number; outBytes?: number};

const GiB = 2 ** 30;
const ROOT = path.resolve(import.meta.dirname, '..');

/** The child side: one step on the checkpoint in `dir`. */
async function step(name: Step, dir: string): Promise<StepResult> {
	const start = performance.now();
	let outBytes: number | undefined;
	if (name === 'import-hf') {
		const out = path.join(path.dirname(dir), 'judge');
		await importHf(dir, out);
		outBytes = bytesUnder(out);
	} else {
		const checkpoint = await loadCheckpoint(dir);
		if (name === 'convert') {
			for (const t of checkpoint.model.graph.initializers.values()) {
				const data = t.data;
				if (data.length !== sizeOf(t.dims)) throw new Error('short read');
			}
		}
	}
	return {seconds: (performance.now() - start) / 1000, peakRssGiB: (process.resourceUsage().maxRSS * 1024) / GiB, outBytes};
}

const CHILD_FLAG = '--hf-import-child';
if (process.argv[2] === CHILD_FLAG) {
	const result = await step(process.argv[3] as Step, process.argv[4]!);
	process.stdout.write(`${JSON.stringify(result)}\n`);
	process.exit(0);
}

function inChild(name: Step, dir: string): StepResult {
	const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, name, dir], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000});
	return JSON.parse(out.trim().split('\n').at(-1)!) as StepResult;
}

/** SmolLM2-360M's shape (or 4 layers of it). */
function shape(quick: boolean): LlamaConfig {
	return {
		vocabSize: 49152, hiddenSize: 960, intermediateSize: 2560, numHiddenLayers: quick ? 4 : 32, numAttentionHeads: 15, numKeyValueHeads: 5,
		maxPositionEmbeddings: 8192, rmsNormEps: 1e-5, ropeTheta: 100000, tieWordEmbeddings: true, bosTokenId: 1, eosTokenId: 2, dtype: 'float32',
	};
}

/** Weights generated when read (uniform, std 0.02; unit norms), so writing the checkpoint holds one tensor at a time. */
function lazyWeights(config: LlamaConfig): Map<string, Tensor> {
	let seed = 1;
	return new Map(
		[...llamaArchitecture.weightShapes(config)].map(([name, dims]) => {
			const s = seed++;
			return [
				name,
				lazyTensor('float32', dims, () => {
					const data = new Float32Array(sizeOf(dims));
					if (name.endsWith('norm.weight')) return data.fill(1);
					const r = mulberry32(s);
					for (let i = 0; i < data.length; i++) data[i] = 0.0346 * (2 * r() - 1);
					return data;
				}),
			];
		}),
	);
}

/** Llama-3.2-1B's shape: tied head, grouped-query attention, Llama 3 RoPE scaling. */
function oneBillionShape(): LlamaConfig {
	return {
		...REAL_SHAPES['llama-3.2-1b'],
		maxPositionEmbeddings: 131072,
		rmsNormEps: 1e-5,
		ropeScaling: {type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192},
		tieWordEmbeddings: true,
		bosTokenId: 128000,
		eosTokenId: 128001,
		dtype: 'float32',
	};
}

/** Run the CLI in a process of its own under /usr/bin/time: seconds, peak RSS (GiB), and the error when it failed. */
function measuredCli(args: string[], env: Record<string, string>): {seconds: number; peakRssGiB: number; error?: string; stdout: string} {
	const start = performance.now();
	const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', 'cli.tsx', ...args], {
		cwd: ROOT,
		env: {...process.env, ...env, NODE_NO_WARNINGS: '1'},
		encoding: 'utf8',
		maxBuffer: 1 << 26,
	});
	const seconds = (performance.now() - start) / 1000;
	const lines = r.stderr.trim().split('\n');
	const peakRssGiB = (Number(lines.at(-1)) * 1024) / GiB;
	return {seconds, peakRssGiB, stdout: r.stdout, ...(r.status === 0 ? {} : {error: lines.slice(-4, -1).join(' | ').slice(0, 300)})};
}

function bytesUnder(dir: string): number {
	return readdirSync(dir, {recursive: true, withFileTypes: true})
		.filter(e => e.isFile())
		.reduce((sum, e) => sum + statSync(path.join(e.parentPath, e.name)).size, 0);
}

/**
 * `--size 1b`: a Llama-3.2-1B-shaped bf16 checkpoint written by the project's safetensors writer, then in processes
 * of their own (peak RSS by /usr/bin/time): (a) `gmpo judges import-hf` into a judge folder (model.onnx +
 * model.onnx_data), deleted afterwards; (b) the first `gmpo score` of a task naming the checkpoint folder itself (a
 * judge.json beside it), which converts the bf16 weights into the graph cache once and builds the judge's graph.
 */
async function runOneBillion(): Promise<void> {
	const config = oneBillionShape();
	const root = mkdtempSync(path.join(os.tmpdir(), 'gmpo-bench-hf1b-'));
	const log = (line: string) => process.stderr.write(`hf-import 1b: ${line}\n`);
	try {
		const dir = path.join(root, 'checkpoint');
		const weights = lazyRandomWeights(llamaArchitecture.weightShapes(config), 1);
		const parameters = [...weights.values()].reduce((s, t) => s + sizeOf(t.dims), 0);
		const writeStart = performance.now();
		mkdirSync(dir);
		writeFileSync(path.join(dir, 'config.json'), JSON.stringify({...llamaArchitecture.configJson(config), torch_dtype: 'bfloat16'}));
		writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
		writeFileSync(path.join(dir, 'judge.json'), JSON.stringify({name: 'llama-1b', eos: 'always', eosToken: '<|endoftext|>', maxTokens: 2048}));
		writeCheckpointWeights(dir, weights, {dtype: 'BF16'});
		const checkpointBytes = bytesUnder(dir);
		const writeSeconds = (performance.now() - writeStart) / 1000;
		log(`checkpoint written: ${(checkpointBytes / 1e9).toFixed(2)} GB in ${writeSeconds.toFixed(0)} s`);

		const load = [os.loadavg()[0]!];
		const out = path.join(root, 'judge');
		const imported = measuredCli(['judges', 'import-hf', dir, out, '--json'], {GMPO_CACHE_DIR: path.join(root, 'cache-import')});
		const importBytes = imported.error ? 0 : bytesUnder(out);
		log(`import-hf: ${imported.seconds.toFixed(0)} s, peak ${imported.peakRssGiB.toFixed(2)} GiB${imported.error ? ` FAILED ${imported.error}` : ''}`);
		rmSync(out, {recursive: true, force: true});

		load.push(os.loadavg()[0]!);
		const task = path.join(root, 'task.json');
		writeFileSync(task, JSON.stringify({name: 'hf-1b', prompt: 'You are a careful assistant. Convert the word to uppercase. Answer with the word only.', judges: [dir], data: {train: [{input: 'apple', target: 'APPLE'}, {input: 'river', target: 'RIVER'}], test: [{input: 'pear', target: 'PEAR'}]}}));
		const cache = path.join(root, 'cache');
		const scored = measuredCli(['score', task, '--json'], {GMPO_CACHE_DIR: cache, GMPO_SESSIONS_DIR: path.join(root, 'sessions')});
		const cacheBytes = existsSync(cache) ? bytesUnder(cache) : 0;
		log(`first score: ${scored.seconds.toFixed(0)} s, peak ${scored.peakRssGiB.toFixed(2)} GiB${scored.error ? ` FAILED ${scored.error}` : ''}`);
		load.push(os.loadavg()[0]!);

		const fp32 = (4 * parameters) / GiB;
		const row = (name: string, r: {seconds: number; peakRssGiB: number; error?: string}, written: number) => [
			name, r.error ? `failed: ${r.error}` : fmt(r.seconds, 0), fmt(r.peakRssGiB, 2), fmt(r.peakRssGiB / fp32, 2), fmt(written / 1e9, 2),
		];
		const table: Table = {
			columns: ['step', 'seconds', 'peak RSS (GiB)', 'peak RSS / fp32 weights', 'GB written'],
			rows: [row('gmpo judges import-hf', imported, importBytes), row('first gmpo score (checkpoint folder as the judge)', scored, cacheBytes)],
		};
		report(
			'hf-import-1b',
			`Importing a Llama-3.2-1B-shaped bf16 checkpoint (${(parameters / 1e9).toFixed(2)}B parameters; ${(checkpointBytes / 1e9).toFixed(2)} GB of bf16 safetensors, ${fmt(fp32, 2)} GiB in fp32)`,
			[{table}],
			{
				parameters,
				checkpoint_write_s: Math.round(writeSeconds),
				import_s: Math.round(imported.seconds),
				import_peak_rss_gib: Number(imported.peakRssGiB.toFixed(2)),
				first_score_s: Math.round(scored.seconds),
				first_score_peak_rss_gib: Number(scored.peakRssGiB.toFixed(2)),
				ok: !imported.error && !scored.error,
				load_average: load.map(l => Number(l.toFixed(1))),
			},
			{
				quick: false,
				command: 'npm run bench -- hf-import --size 1b',
				notes: [
					'Each step is the CLI in a process of its own; peak RSS is /usr/bin/time\'s maximum resident set (the worker threads and the mapped weight files included). import-hf writes model.onnx (graph) + model.onnx_data (fp32 weights), converting one tensor at a time; the first score converts the bf16 weights into the graph cache once (weights.bin), probes shapes, differentiates and writes the judge graph, then scores 2 examples. The goal is well under 8 GiB for both.',
					`Load average (1 min) before import-hf, before the score and at the end: ${load.map(l => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores: the machine was shared, so the times are inflated; the memory figures are not.`,
				],
			},
		);
	} finally {
		rmSync(root, {recursive: true, force: true});
	}
}

/** The size asked for: --size 1b (or --size=1b); the SmolLM2-360M shape otherwise. */
function sizeArgument(): '360m' | '1b' {
	const args = process.argv.slice(2);
	const at = args.findIndex(a => a === '--size' || a.startsWith('--size='));
	const value = at < 0 ? '360m' : args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
	if (value !== '360m' && value !== '1b') {
		throw new Error(`--size must be 360m or 1b, got ${value}`);
	}
	return value;
}

export async function run(quick: boolean): Promise<void> {
	if (sizeArgument() === '1b') {
		return runOneBillion();
	}
	const config = shape(quick);
	const root = mkdtempSync(path.join(os.tmpdir(), 'gmpo-bench-hf-'));
	try {
		const dir = path.join(root, 'checkpoint');
		const weights = lazyWeights(config);
		const writeStart = performance.now();
		mkdirSync(dir);
		writeFileSync(path.join(dir, 'config.json'), JSON.stringify({...llamaArchitecture.configJson(config), torch_dtype: 'bfloat16'}));
		writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
		writeCheckpointWeights(dir, weights, {dtype: 'BF16'});
		const bytes = [...weights.values()].reduce((s, t) => s + storedBytes(t, {dtype: 'BF16'}), 0);
		const writeSeconds = (performance.now() - writeStart) / 1000;
		const parameters = [...weights.values()].reduce((s, t) => s + sizeOf(t.dims), 0);
		const results = Object.fromEntries((['open', 'convert', 'import-hf'] as Step[]).map(s => [s, inChild(s, dir)])) as Record<Step, StepResult>;
		const fp32 = (4 * parameters) / GiB;
		const table: Table = {
			columns: ['step', 'seconds', 'peak RSS (GiB)', 'peak RSS / fp32 weights'],
			rows: (Object.entries(results) as [Step, StepResult][]).map(([s, r]) => [s, fmt(r.seconds, 2), fmt(r.peakRssGiB, 2), fmt(r.peakRssGiB / fp32, 2)]),
		};
		report(
			'hf-import',
			`Importing a SmolLM2-360M-shaped bf16 checkpoint (${(parameters / 1e6).toFixed(0)}M parameters, ${config.numHiddenLayers} layers; ${(bytes / 1e9).toFixed(2)} GB of bf16 safetensors, ${fmt(fp32, 2)} GiB in fp32)`,
			[{table}],
			{
				parameters,
				checkpoint_write_s: Number(writeSeconds.toFixed(1)),
				open_s: Number(results.open.seconds.toFixed(2)),
				convert_s: Number(results.convert.seconds.toFixed(1)),
				convert_peak_rss_gib: Number(results.convert.peakRssGiB.toFixed(2)),
				import_s: Number(results['import-hf'].seconds.toFixed(1)),
				import_peak_rss_gib: Number(results['import-hf'].peakRssGiB.toFixed(2)),
				judge_folder_gb: Number(((results['import-hf'].outBytes ?? 0) / 1e9).toFixed(2)),
				load_average: Number(os.loadavg()[0]!.toFixed(1)),
			},
			{
				quick,
				notes: [
					'convert = every weight read once from the bf16 file and widened to fp32, one tensor at a time (what a streaming writer costs); import-hf writes model.onnx (graph) + model.onnx_data (fp32 weights, streamed).',
				],
			},
		);
	} finally {
		rmSync(root, {recursive: true, force: true});
	}
}
