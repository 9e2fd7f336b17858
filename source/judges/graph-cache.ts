/**
 * A judge's graph, built once and cached on disk: one unified graph (onnx/unified-graph.ts) for scoring,
 * attribution, the shared-prefix pass and generation, whose weights are external data. The cache holds graph
 * structure and, at most, one copy of the weights:
 *
 * - a model whose weights all lie in its own folder (an Optimum export, model.onnx with or without model.onnx_data)
 *   is referenced in place: the entry holds the graph only, and sessions resolve its data in the model's folder;
 * - otherwise (weights converted or generated in memory: a checkpoint import, a built model) the weights are
 *   streamed once into the entry's weights.bin.
 *
 * The key covers everything that determines the graph: the model file and every data file it references
 * (fingerprint.ts: whole-file SHA-256 up to 64 MiB, else size + mtime + a sampled SHA-256), the judge's settings and
 * the surgery's version. A cached open scans model.onnx without reading a weight (proto-scan.ts) and reads the
 * entry's manifest. An entry is built in a temporary folder and renamed into place when complete, so a failed or
 * cancelled build leaves nothing behind, and two processes building the same entry do not collide.
 */
import {createHash, randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UserError} from '../errors.js';
import {makeDirs} from '../fs-errors.js';
import {UnsupportedOpError} from '../onnx/autodiff.js';
import {dedupeModel} from '../onnx/dedupe.js';
import {buildGradientModel} from '../onnx/gradient.js';
import {isFloat, sizeOf, type Model} from '../onnx/ir.js';
import {matmulsToGemm} from '../onnx/gemm-weights.js';
import {buildLossGraph, inspectCausalLm, JudgeGraphError, probeFeeds, removeDeadNodes, type Baseline, type CausalLmInterface} from '../onnx/judge-graph.js';
import {locationUnder, readModel, tensorBytes, writeModelExternal} from '../onnx/model-file.js';
import {exposeEmbeddingLookup} from '../onnx/rules/contrib.js';
import {unifiedGraph, type ExtraOutput} from '../onnx/unified-graph.js';
import {loadCheckpoint} from '../hf/checkpoint.js';
import {fingerprint, fingerprintKey, type Fingerprint} from './fingerprint.js';
import {poolProbeRunner} from './probe.js';

/** Bump when the surgery, the autodiff or the cache layout changes what they write, so entries are rebuilt. */
const CACHE_VERSION = 6;

/** Bytes of tensors made in memory that a graph referencing its weights in place may still hold inline. */
const FOREIGN_INLINE_BYTES = 64 * 2 ** 20;

/** Where cached judge graphs live: $GMPO_CACHE_DIR, else ~/.cache/gmpo. */
export function cacheDir(): string {
	return process.env.GMPO_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gmpo');
}

/** A judge's graph, ready for sessions. */
export type JudgeGraphs = {
	/** The source model's interface. */
	info: CausalLmInterface;
	/** The unified graph file. */
	graphPath: string;
	/** The folder its external data is resolved against. */
	dataDir: string;
	/** Whether the graph computes segment_grad (its want_grad input), or why not. */
	attribution: {available: true} | {available: false; reason: string};
	/** present.* outputs of the shared-prefix pass, in past-input order; empty when the model has no usable cache. */
	presentOutputs: string[];
	/** Parameters (elements of float initializers). */
	parameters: number;
	/** Bytes of the weights as the graph runs them. */
	weightBytes: number;
	/** Bytes the cache entry holds (graph and weights file). */
	cacheBytes: number;
	/** Cache key (sessions in workers are keyed by it). */
	key: string;
	/** Whether this open built the entry (false: found in the cache). */
	built: boolean;
};

/** One step of a first open, for progress displays. */
export type BuildProgress = {
	/** What is being done. */
	phase: 'scanning' | 'converting weights' | 'building graphs' | 'probing shapes' | 'differentiating' | 'writing';
	/** Progress within the phase, 0..1 when known. */
	fraction?: number;
};

/** Options of judgeGraphs. */
export type JudgeGraphsOptions = {
	/** Embedding baseline of the mask. */
	baseline?: Baseline;
	/** Token id of the pad baseline. */
	padTokenId?: number;
	/** Cancels a build (nothing is left in the cache). */
	signal?: AbortSignal;
	/** Progress of a build. */
	onProgress?: (progress: BuildProgress) => void;
};

/** What the manifest of an entry records. */
type Manifest = Omit<JudgeGraphs, 'graphPath' | 'dataDir' | 'key' | 'built'> & {
	version: number;
	/** The data folder: absolute, or "" for the entry itself. */
	dataDir: string;
	sources: Fingerprint[];
};

/** The model's weight files (the model file itself when raw_data lies in it) and its weight bytes. */
export function describeModel(model: Model): {files: string[]; weightBytes: number; parameters: number} {
	const files = new Set<string>();
	let weightBytes = 0;
	let parameters = 0;
	for (const t of model.graph.initializers.values()) {
		if (t.stored) {
			files.add(t.stored.file);
		}
		if (isFloat(t.dtype)) {
			parameters += sizeOf(t.dims);
			weightBytes += tensorBytes(t);
		}
	}
	return {files: [...files].sort(), weightBytes, parameters};
}

/** Read an ONNX model for a judge (graph structure only; weights stay on disk). */
export function scanJudgeModel(modelPath: string): Model {
	try {
		return readModel(modelPath);
	} catch (error) {
		throw new UserError(`not a readable ONNX model: ${(error as Error).message}`, {file: modelPath});
	}
}

/**
 * Bytes of the weights a judge's model runs with (fp32 after conversion), read from headers only: the ONNX file's
 * structure, or the checkpoint's safetensors headers.
 */
export async function modelWeightBytes(kind: 'onnx' | 'checkpoint', modelPath: string): Promise<number> {
	return kind === 'checkpoint' ? (await loadCheckpoint(modelPath)).weightBytes : describeModel(scanJudgeModel(modelPath)).weightBytes;
}

/** Build (or find in the cache) the graph of the ONNX model at `modelPath`. */
export async function judgeGraphs(modelPath: string, options: JudgeGraphsOptions = {}): Promise<JudgeGraphs> {
	options.onProgress?.({phase: 'scanning'});
	const model = scanJudgeModel(modelPath);
	const sources = [modelPath, ...describeModel(model).files].map(f => path.resolve(f));
	return graphsOf(model, [...new Set(sources)], path.dirname(path.resolve(modelPath)), options);
}

/**
 * Build (or find in the cache) the graph of the Hugging Face checkpoint in `dir`: gmpo's builders make the ONNX
 * graph (structure only: the weights are read and converted from the safetensors files when the cache entry is
 * written, once). fp32 weights are referenced in place; others are converted into the entry's weights.bin.
 */
export async function checkpointGraphs(dir: string, options: JudgeGraphsOptions = {}): Promise<JudgeGraphs> {
	options.onProgress?.({phase: 'scanning'});
	const checkpoint = await loadCheckpoint(dir, {
		signal: options.signal,
		onProgress: (done, total) => options.onProgress?.({phase: 'converting weights', fraction: done / total}),
	});
	const root = path.resolve(dir);
	const files = readdirSync(root)
		.filter(name => name === 'config.json' || name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json'))
		.sort()
		.map(name => path.join(root, name));
	// The graph is gmpo's own build: its structure is part of the key, so a change in a builder is a new entry.
	return graphsOf(checkpoint.model, files, root, {...options, structure: structureHash(checkpoint.model), modelFile: root});
}

/** A hash of a model's structure: nodes, attributes, and the names, types and shapes of its initializers. */
function structureHash(model: Model): string {
	const hash = createHash('sha256');
	hash.update(JSON.stringify(model.graph.nodes, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array, String) : typeof v === 'bigint' ? String(v) : v)));
	for (const [name, t] of model.graph.initializers) {
		hash.update(`|${name}:${t.dtype}[${t.dims.join(',')}]`);
	}
	return hash.digest('hex');
}

/** What graphsOf needs besides JudgeGraphsOptions. */
type SourceOptions = JudgeGraphsOptions & {
	/** A hash of the model's structure, when the graph is gmpo's own build (part of the key). */
	structure?: string;
	/** The file (or checkpoint folder) an error about the model names (default: the first source). */
	modelFile?: string;
};

/**
 * The cached graph of a model already in memory (weights as lazy tensors): `sources` are the files it was read
 * from, `home` the folder whose files may be referenced in place. A model the surgery cannot use (JudgeGraphError,
 * from inspecting it or from building its loss graph) is a UserError naming the model file.
 */
export async function graphsOf(model: Model, sources: string[], home: string, options: SourceOptions): Promise<JudgeGraphs> {
	try {
		return await cachedGraphs(model, sources, home, options);
	} catch (error) {
		if (error instanceof JudgeGraphError) {
			throw new UserError(error.message, {file: options.modelFile ?? sources[0]});
		}
		throw error;
	}
}

async function cachedGraphs(model: Model, sources: string[], home: string, options: SourceOptions): Promise<JudgeGraphs> {
	// An embedding fused into one node (EmbedLayerNormalization, onnxruntime's GPT-2 exports) hides the token lookup
	// the surgery masks: it becomes primitives first. The rewrite depends on the model file only, so the key holds.
	exposeEmbeddingLookup(model);
	const info: CausalLmInterface = inspectCausalLm(model);
	const prints = sources.map(fingerprint);
	const baseline = options.baseline ?? 'zero';
	const key = createHash('sha256')
		.update(`v${CACHE_VERSION}|${baseline}|${options.padTokenId ?? ''}|${options.structure ?? ''}|${fingerprintKey(prints)}`)
		.digest('hex')
		.slice(0, 24);
	const entry = path.join(cacheDir(), key);
	const cached = readManifest(entry, key);
	if (cached) {
		return cached;
	}
	makeDirs(cacheDir(), 'the graph cache folder (GMPO_CACHE_DIR)');
	removeAbandonedBuilds();
	const tmp = path.join(cacheDir(), `.build-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
	mkdirSync(tmp);
	try {
		const manifest = await build(model, info, {home, tmp, prints, baseline, options});
		writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
		try {
			renameSync(tmp, entry);
		} catch (error) {
			// Another process finished the same entry first: use theirs.
			if (!readManifest(entry, key)) {
				throw error;
			}
		}
	} finally {
		rmSync(tmp, {recursive: true, force: true});
	}
	const result = readManifest(entry, key);
	if (!result) {
		throw new Error(`the graph cache entry ${entry} was not written`);
	}
	return {...result, built: true};
}

/** Build folders of processes that are gone (killed mid-build: no cleanup ran) are removed. */
function removeAbandonedBuilds(): void {
	for (const name of readdirSync(cacheDir())) {
		const pid = /^\.build-[0-9a-f]+-(\d+)-[0-9a-f]+$/.exec(name)?.[1];
		if (pid !== undefined && !isAlive(Number(pid))) {
			rmSync(path.join(cacheDir(), name), {recursive: true, force: true});
		}
	}
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function readManifest(entry: string, key: string): JudgeGraphs | undefined {
	const file = path.join(entry, 'manifest.json');
	if (!existsSync(file)) {
		return undefined;
	}
	try {
		const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
		if (m.version !== CACHE_VERSION || !existsSync(path.join(entry, 'judge.onnx'))) {
			return undefined;
		}
		const {version: _version, sources: _sources, ...rest} = m;
		return {...rest, graphPath: path.join(entry, 'judge.onnx'), dataDir: m.dataDir || entry, key, built: false};
	} catch {
		return undefined;
	}
}

type BuildContext = {home: string; tmp: string; prints: Fingerprint[]; baseline: Baseline; options: JudgeGraphsOptions};

async function build(source: Model, info: CausalLmInterface, context: BuildContext): Promise<Manifest> {
	const {home, tmp, options} = context;
	const {signal, onProgress} = options;
	let model = source;
	// Weights not lying under the model's folder (converted or generated in memory) are written once, here, and the
	// model read back over that file: the probe and the judge graph then reference them in place.
	let foreign = 0;
	for (const t of model.graph.initializers.values()) {
		if (tensorBytes(t) >= 4096 && !(t.stored && locationUnder(home, t.stored.file) !== undefined)) {
			foreign += tensorBytes(t);
		}
	}
	// A few constants made in memory (rotary tables, scales) go inline in the graph; weights go to weights.bin.
	const inPlace = foreign < FOREIGN_INLINE_BYTES;
	const dataDir = inPlace ? home : tmp;
	if (!inPlace) {
		onProgress?.({phase: 'converting weights', fraction: 0});
		await writeModelExternal(path.join(tmp, 'source.onnx'), model, {
			dataDir: tmp,
			dataFile: 'weights.bin',
			signal,
			onProgress: (done, total) => onProgress?.({phase: 'converting weights', fraction: done / total}),
		});
		model = readModel(path.join(tmp, 'source.onnx'));
		rmSync(path.join(tmp, 'source.onnx'));
	}
	signal?.throwIfAborted();
	onProgress?.({phase: 'building graphs'});
	const loss = buildLossGraph(model, {baseline: context.baseline, padTokenId: options.padTokenId, targetPositions: true}).model;
	// Weights read as stored (no transposed copies); the Transposes this leaves unused go.
	matmulsToGemm(loss, info.floatType);
	removeDeadNodes(loss);
	dedupeModel(loss);
	let attribution: Model | undefined;
	let reason: string | undefined;
	try {
		const probes = [probeFeeds(info, 2, 5, 3, 2), probeFeeds(info, 3, 7, 4, 3)];
		onProgress?.({phase: 'probing shapes'});
		const probeRunner = poolProbeRunner({tmp, dataDir, signal});
		attribution = (await buildGradientModel(loss, {loss: 'loss', wrt: ['segment_mask'], probes, gradNames: {segment_mask: 'segment_grad'}, probeRunner})).model;
		dedupeModel(attribution);
		onProgress?.({phase: 'differentiating'});
	} catch (error) {
		if (!(error instanceof UnsupportedOpError)) {
			throw error;
		}
		reason = error.message;
	}
	signal?.throwIfAborted();
	const produced = new Set(loss.graph.nodes.flatMap(n => n.outputs));
	// The shared-prefix pass feeds present.* back as past_key_values.*; packed past_N inputs are not shared (the
	// judge then scores every token of every example).
	const presents = info.pastInputs.map(p => p.name.replace(/^past_key_values\./, 'present.'));
	const separate = info.pastInputs.every(p => !p.packed);
	const presentOutputs = separate && info.hasPositionIds && presents.length > 0 && presents.every(p => produced.has(p)) ? presents : [];
	const extra: ExtraOutput[] = [{name: 'target_logits', dtype: info.floatType}, ...presentOutputs.map(name => ({name, dtype: info.floatType}))];
	const unified = unifiedGraph(loss, attribution, info.floatType, extra);
	onProgress?.({phase: 'writing'});
	await writeModelExternal(path.join(tmp, 'judge.onnx'), unified, {dataDir, signal});
	const {weightBytes, parameters} = describeModel(model);
	const cacheBytes = readdirSync(tmp).reduce((sum, name) => sum + statSync(path.join(tmp, name)).size, 0);
	return {
		version: CACHE_VERSION,
		info,
		attribution: reason === undefined ? {available: true} : {available: false, reason},
		presentOutputs,
		parameters,
		weightBytes,
		cacheBytes,
		dataDir: inPlace ? home : '',
		sources: context.prints,
	};
}
