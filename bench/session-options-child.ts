/**
 * One measurement of `npm run bench -- session-options`, in a process of its own so that its peak memory is its
 * alone:
 *
 *   tsx bench/session-options-child.ts open <judge-dir>   open the judge through the product (fills GMPO_CACHE_DIR)
 *   tsx bench/session-options-child.ts run <spec.json>    create the session(s) a Spec describes, run one batch
 *   tsx bench/session-options-child.ts interleave <spec.json>   one session per Spec.variants, timed in turns
 *
 * `run` prints one JSON line (Measured): session-creation and forward seconds, the peak RSS after creation, and how
 * the resident memory splits at the end (anonymous, mapped from the weights file, proportional set size).
 * `interleave` prints the median and least seconds of each variant's session creation and forward: the variants take
 * turns, round after round, so that the load of a shared machine falls on all of them alike (separate processes, minutes apart, differ
 * by more than the options do).
 *
 * This file imports onnxruntime-node itself: the options measured here (the arena, the memory pattern, config keys,
 * external data given as bytes) are the ones source/onnx/ort.ts does not expose. The product's own choice is made
 * through ort.ts's createSession (Spec.product), so that row follows the product if ort.ts changes.
 */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import {batchFeeds, segmentMask, type EncodedExample} from '../source/judges/batching.js';
import {idData, pastDims, type CausalLmInterface} from '../source/onnx/judge-graph.js';
import type {Tensor} from '../source/onnx/ir.js';
import {createSession, fromIr, type Feeds} from '../source/onnx/ort.js';

/** What one child measures. */
export type Spec = {
	/** The graph file. */
	graph: string;
	/** source: the exported model (feeds ids, returns logits); judge: gmpo's unified graph (returns loss). */
	kind: 'source' | 'judge';
	/**
	 * path: InferenceSession.create(path); bytes: from the graph's bytes with
	 * session.model_external_initializers_file_folder_path = dataDir; memory: from bytes with the weights file read
	 * into memory and given as sessionOptions.externalData (one buffer, shared by every session of the process).
	 */
	load: 'path' | 'bytes' | 'memory';
	/** The folder the graph's external data locations are resolved against. */
	dataDir: string;
	/** The weights file, relative to dataDir (for `memory`, and to find its mapping in /proc/self/smaps). */
	dataFile: string;
	/** Graph optimisation level. */
	optimization: 'disabled' | 'basic' | 'extended' | 'all';
	/** Prepacking (false: session.disable_prepacking = 1). */
	prepack: boolean;
	/** enableCpuMemArena. */
	arena: boolean;
	/** enableMemPattern. */
	memPattern: boolean;
	/** Further session config entries (extra.session), e.g. use_device_allocator_for_initializers. */
	config?: Record<string, string>;
	/** Create the session through the product's createSession (source/onnx/ort.ts) with these options. */
	product?: boolean;
	/** Sessions of the same graph in the process (what a worker holding two graphs of one judge would hold). */
	sessions: number;
	/** Also run one attribution pass (judge graphs: want_grad = true). */
	attribution?: boolean;
	/** The source model's interface (from the cache manifest). */
	info: CausalLmInterface;
	/** Batch rows and tokens per row. */
	batch: number;
	tokens: number;
	/** Intra-op threads. */
	threads: number;
	/** For `interleave`: the variants timed against each other, and the rounds. */
	variants?: {name: string; optimization: Spec['optimization']; prepack: boolean}[];
	rounds?: number;
	/** For `interleave`: attribution passes (loss and segment gradients) timed per variant, in turns after the forwards. */
	attributionRounds?: number;
};

/** What `run` prints. */
export type Measured = {
	createS: number;
	/** First forward (arena and buffers grow), then the median of WARM more (the first session's). */
	firstS: number;
	forwardS: number;
	attributionS?: number;
	/** VmHWM right after the session(s) were created, bytes. */
	peakAfterCreate: number;
	/** At the end, bytes: anonymous resident memory, resident pages of the weights file, proportional set size. */
	anon: number;
	mapped: number;
	pss: number;
	/** Every session's outputs agree (the same loss or logits checksum). */
	agree: boolean;
};

const SEGMENTS = 4;
const WARM = 3;
/** Sessions of each variant created in turns by `interleave` (the first of each reads the weights from disk). */
const CREATE_ROUNDS = 3;

/** Key/value pairs of /proc/self/status or smaps_rollup, in bytes. */
function procKb(file: string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const m = /^(\w+):\s+(\d+) kB/.exec(line);
		if (m) out[m[1]!] = Number(m[2]) * 1024;
	}
	return out;
}

/** Resident bytes of every mapping of `file` (the weights file: how much of it onnxruntime reads through mmap). */
function mappedBytes(file: string): number {
	let total = 0;
	let inFile = false;
	for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
		if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
			inFile = line.endsWith(` ${file}`);
		} else if (inFile && line.startsWith('Rss:')) {
			total += Number(/(\d+)/.exec(line)![1]) * 1024;
		}
	}
	return total;
}

/** A fixed batch: `batch` rows of `tokens` deterministic ids, the last quarter of each row its target. */
function encodedBatch(spec: Spec): EncodedExample[] {
	const context = Math.floor((spec.tokens * 3) / 4);
	return Array.from({length: spec.batch}, (_, b) => ({
		ids: Array.from({length: spec.tokens}, (_, t) => (b * 7919 + t * 104729 + 1) % spec.info.vocabSize),
		contextLength: context,
		// Four prompt segments after a short template head, as a rendered prompt would give.
		segments: Array.from({length: context}, (_, t) => (t < 4 ? -1 : Math.min(SEGMENTS - 1, Math.floor(((t - 4) * SEGMENTS) / (context - 4))))),
	}));
}

function sourceFeeds(spec: Spec, encoded: EncodedExample[]): Record<string, Tensor> {
	const {info, batch: B, tokens: T} = spec;
	const ids = new BigInt64Array(B * T);
	const positions = new BigInt64Array(B * T);
	encoded.forEach((e, b) => e.ids.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (positions[b * T + t] = BigInt(t)))));
	const feeds: Record<string, Tensor> = {
		input_ids: {dtype: info.idTypes.input_ids, dims: [B, T], data: idData(info.idTypes.input_ids, ids)},
		attention_mask: {dtype: info.idTypes.attention_mask, dims: [B, T], data: idData(info.idTypes.attention_mask, new BigInt64Array(B * T).fill(1n))},
	};
	if (info.idTypes.position_ids) feeds.position_ids = {dtype: info.idTypes.position_ids, dims: [B, T], data: idData(info.idTypes.position_ids, positions)};
	if (info.idTypes.token_type_ids) feeds.token_type_ids = {dtype: info.idTypes.token_type_ids, dims: [B, T], data: idData(info.idTypes.token_type_ids, new BigInt64Array(B * T))};
	for (const p of info.pastInputs) feeds[p.name] = {dtype: p.dtype, dims: pastDims(p, B), data: new Float32Array(0)};
	return feeds;
}

function judgeFeeds(spec: Spec, encoded: EncodedExample[], grad: boolean): Record<string, Tensor> {
	const members = encoded.map((_, i) => i);
	return {
		...batchFeeds(encoded, members, {...spec.info, targetPositions: true}).feeds,
		segment_mask: segmentMask(spec.batch, SEGMENTS, spec.info.floatType),
		want_grad: {dtype: 'bool', dims: [], data: Uint8Array.of(grad ? 1 : 0)},
	};
}

async function create(spec: Spec, externalData?: Uint8Array): Promise<ort.InferenceSession> {
	const threads = spec.threads;
	if (spec.product) {
		return createSession(readFileSync(spec.graph), {externalDataDir: spec.dataDir, optimization: spec.optimization, prepack: spec.prepack, threads});
	}
	const session: Record<string, string> = {...spec.config};
	if (!spec.prepack) session.disable_prepacking = '1';
	if (spec.load === 'bytes') session.model_external_initializers_file_folder_path = spec.dataDir;
	const options: ort.InferenceSession.SessionOptions = {
		graphOptimizationLevel: spec.optimization,
		intraOpNumThreads: threads,
		interOpNumThreads: 1,
		executionMode: 'sequential',
		enableCpuMemArena: spec.arena,
		enableMemPattern: spec.memPattern,
		extra: {session},
	};
	if (spec.load === 'path') return ort.InferenceSession.create(spec.graph, options);
	if (spec.load === 'memory') {
		return ort.InferenceSession.create(readFileSync(spec.graph), {...options, externalData: [{path: spec.dataFile, data: externalData!}]});
	}
	return ort.InferenceSession.create(readFileSync(spec.graph), options);
}

/** A checksum of a run's first output (the loss, or the logits), to check that the sessions agree. */
function checksum(out: ort.InferenceSession.OnnxValueMapType, name: string): number {
	const data = out[name]!.data as Float32Array;
	let s = 0;
	for (let i = 0; i < data.length; i += 97) s += data[i]!;
	return s;
}

async function measure(spec: Spec): Promise<Measured> {
	const dataPath = path.resolve(spec.dataDir, spec.dataFile);
	// One buffer for the process: a second session given the same bytes shows whether onnxruntime copies them.
	const externalData = spec.load === 'memory' ? readFileSync(dataPath) : undefined;
	let t = performance.now();
	const sessions: ort.InferenceSession[] = [];
	for (let i = 0; i < spec.sessions; i++) sessions.push(await create(spec, externalData));
	const createS = (performance.now() - t) / 1000;
	const peakAfterCreate = procKb('/proc/self/status').VmHWM!;
	const encoded = encodedBatch(spec);
	const toOrt = (feeds: Record<string, Tensor>): Feeds => Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, fromIr(v)]));
	const forward = toOrt(spec.kind === 'source' ? sourceFeeds(spec, encoded) : judgeFeeds(spec, encoded, false));
	const output = spec.kind === 'source' ? 'logits' : 'loss';
	const sums: number[] = [];
	let firstS = 0;
	let forwardS = 0;
	// Every session runs the batch (a worker that holds two graphs has run both): the first run grows the arena; the
	// first session's next WARM runs give the warm time (their median: the machine is shared).
	for (const [i, session] of sessions.entries()) {
		t = performance.now();
		let out = await session.run(forward, [output]);
		if (i === 0) firstS = (performance.now() - t) / 1000;
		const warm: number[] = [];
		for (let r = 0; r < (i === 0 ? WARM : 1); r++) {
			t = performance.now();
			out = await session.run(forward, [output]);
			warm.push((performance.now() - t) / 1000);
		}
		if (i === 0) forwardS = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)]!;
		sums.push(checksum(out, output));
	}
	let attributionS: number | undefined;
	if (spec.attribution) {
		const feeds = toOrt(judgeFeeds(spec, encoded, true));
		t = performance.now();
		const out = await sessions[0]!.run(feeds, ['loss', 'segment_grad']);
		attributionS = (performance.now() - t) / 1000;
		if (!Number.isFinite(checksum(out, 'segment_grad'))) throw new Error('segment_grad is not finite');
	}
	const status = procKb('/proc/self/status');
	const rollup = procKb('/proc/self/smaps_rollup');
	const mapped = mappedBytes(dataPath);
	for (const s of sessions) await s.release();
	return {
		createS,
		firstS,
		forwardS,
		attributionS,
		peakAfterCreate,
		anon: status.RssAnon!,
		mapped,
		pss: rollup.Pss!,
		agree: sums.every(s => Number.isFinite(s) && Math.abs(s - sums[0]!) <= 1e-4 * Math.max(1, Math.abs(sums[0]!))),
	};
}

/** What `interleave` prints per variant: warm forward and session creation seconds, median and least. */
export type Interleaved = Record<string, {median: number; min: number; createMedian: number; createMin: number; attributionMedian?: number}>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Session creation and warm forward seconds of each variant, the variants taking turns: every variant's session is
 * created CREATE_ROUNDS times in turns (all but the last released at once), then the forwards are timed in turns.
 */
async function interleave(spec: Spec): Promise<Interleaved> {
	const variants = spec.variants ?? [];
	const creates: number[][] = variants.map(() => []);
	let sessions: ort.InferenceSession[] = [];
	for (let round = 0; round < CREATE_ROUNDS; round++) {
		sessions = [];
		for (const [i, v] of variants.entries()) {
			const t = performance.now();
			const session = await create({...spec, optimization: v.optimization, prepack: v.prepack});
			creates[i]!.push((performance.now() - t) / 1000);
			if (round < CREATE_ROUNDS - 1) await session.release();
			else sessions.push(session);
		}
	}
	const encoded = encodedBatch(spec);
	const feeds = Object.fromEntries(Object.entries(spec.kind === 'source' ? sourceFeeds(spec, encoded) : judgeFeeds(spec, encoded, false)).map(([k, v]) => [k, fromIr(v)]));
	const output = spec.kind === 'source' ? 'logits' : 'loss';
	for (const s of sessions) await s.run(feeds, [output]);
	const times: number[][] = variants.map(() => []);
	for (let round = 0; round < (spec.rounds ?? 5); round++) {
		for (const [i, s] of sessions.entries()) {
			const t = performance.now();
			await s.run(feeds, [output]);
			times[i]!.push((performance.now() - t) / 1000);
		}
	}
	const attributions: number[][] = variants.map(() => []);
	if (spec.attributionRounds && spec.kind === 'judge') {
		const withGrad = Object.fromEntries(Object.entries(judgeFeeds(spec, encoded, true)).map(([k, v]) => [k, fromIr(v)]));
		for (let round = 0; round < spec.attributionRounds; round++) {
			for (const [i, s] of sessions.entries()) {
				const t = performance.now();
				const out = await s.run(withGrad, ['loss', 'segment_grad']);
				attributions[i]!.push((performance.now() - t) / 1000);
				if (!Number.isFinite(checksum(out, 'segment_grad'))) throw new Error('segment_grad is not finite');
			}
		}
	}
	for (const s of sessions) await s.release();
	return Object.fromEntries(
		variants.map((v, i) => [v.name, {median: median(times[i]!), min: Math.min(...times[i]!), createMedian: median(creates[i]!), createMin: Math.min(...creates[i]!), ...(attributions[i]!.length > 0 ? {attributionMedian: median(attributions[i]!)} : {})}]),
	);
}

const [mode, arg] = process.argv.slice(2) as [string, string];
if (mode === 'open') {
	// As `gmpo score` opens a judge: the folder, the pool the product would choose, the graph built and cached.
	const {loadJudgeFolder} = await import('../source/judges/judge-folder.js');
	const {OnnxJudge} = await import('../source/judges/onnx-judge.js');
	const {OrtPool} = await import('../source/judges/pool.js');
	const {poolLayout} = await import('../source/judges/judge-set.js');
	const {modelWeightBytes} = await import('../source/judges/graph-cache.js');
	const folder = await loadJudgeFolder(arg);
	const pool = new OrtPool(poolLayout([await modelWeightBytes(folder.kind, folder.modelPath)]));
	try {
		await OnnxJudge.openFolder(folder, {pool});
	} finally {
		await pool.close();
	}
} else if (mode === 'run' || mode === 'interleave') {
	const spec = JSON.parse(readFileSync(arg, 'utf8')) as Spec;
	const full = {...spec, threads: spec.threads || os.availableParallelism()};
	process.stdout.write(`${JSON.stringify(mode === 'run' ? await measure(full) : await interleave(full))}\n`);
} else {
	process.stderr.write(`unknown mode ${mode}\n`);
	process.exit(2);
}
