/**
 * `npm run bench -- hf-import`: importing a Hugging Face checkpoint of real size. Writes a SmolLM2-360M-shaped
 * bfloat16 checkpoint (vocab 49152, hidden 960, 32 layers, 15 heads, 5 key/value heads, MLP 2560, tied; seeded
 * random weights, streamed by the safetensors writer) into a temporary folder, then measures in fresh child
 * processes (so each peak RSS is that step's own):
 * - open: loadCheckpoint (config, headers, graph; no weight is read);
 * - convert: open, then read every weight once as a streaming writer does (bf16 to fp32, one tensor at a time);
 * - import-hf: the whole `gmpo judges import-hf` (model.onnx written by writeJudgeModel, today inline protobuf).
 * --quick runs a 4-layer model of the same width.
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadCheckpoint} from '../source/hf/checkpoint.js';
import {importHf} from '../source/judges/import-hf.js';
import {llamaArchitecture} from '../source/hf/llama-family.js';
import {storedBytes, writeCheckpointWeights} from '../source/hf/safetensors-write.js';
import {randomJudgeTokenizer} from '../source/training/random-judge.js';
import {mulberry32} from '../source/core/random.js';
import {lazyTensor, sizeOf, type Tensor} from '../source/onnx/ir.js';
import type {LlamaConfig} from '../source/onnx/builders/llama.js';
import {fmt, report, type Table} from './report.js';

type Step = 'open' | 'convert' | 'import-hf';
type StepResult = {seconds: number; peakRssGiB: number; outBytes?: number};

const GiB = 2 ** 30;

/** The child side: one step on the checkpoint in `dir`. */
async function step(name: Step, dir: string): Promise<StepResult> {
	const start = performance.now();
	let outBytes: number | undefined;
	if (name === 'import-hf') {
		const out = path.join(path.dirname(dir), 'judge');
		await importHf(dir, out);
		outBytes = statSync(path.join(out, 'model.onnx')).size;
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

export async function run(quick: boolean): Promise<void> {
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
				model_onnx_gb: Number(((results['import-hf'].outBytes ?? 0) / 1e9).toFixed(2)),
				load_average: Number(os.loadavg()[0]!.toFixed(1)),
			},
			{
				quick,
				notes: [
					'convert = every weight read once from the bf16 file and widened to fp32, one tensor at a time (what a streaming writer costs); import-hf writes model.onnx with inline weights (protobuf), so it holds every fp32 weight plus the encoded file until external data replaces it.',
				],
			},
		);
	} finally {
		rmSync(root, {recursive: true, force: true});
	}
}
