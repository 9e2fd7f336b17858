/**
 * Running builder graphs of the Optimum decoder interface in tests: feeds with an optional KV cache, logits per row,
 * closeness assertions, and the two gradient checks of a judge built from the graph (segment_grad of the attribution
 * graph and weight gradients of the loss graph, both against central finite differences in float64).
 */
import assert from 'node:assert/strict';
import {seededRandom, type FloatDType} from '../../source/onnx/builders/common.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {tensorOf, type Model, type Tensor} from '../../source/onnx/ir.js';
import {buildAttributionGraph, buildLossGraph, type Baseline} from '../../source/onnx/judge-graph.js';
import {createSession, fromIr, ortTensor, run, type Feeds, type OrtSession, type OrtTensor} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import type {Vec} from './lm-reference.js';

/** Sizes of the decoder interface. */
export type DecoderIo = {layers: number; kvHeads: number; headDim: number; vocab: number};

type Weights = Map<string, Tensor>;

/** Random init is tiny (std 0.02) with zero biases / unit or zero norms: perturb every weight so mistakes show. */
export function perturb(weights: Weights, seed: number, amount = 0.5): Weights {
	const r = seededRandom(seed);
	return new Map([...weights].map(([k, t]) => [k, tensorOf(t.dtype, t.dims, Array.from(t.data as Float64Array, v => v + amount * (2 * r() - 1)))]));
}

export const session = async (model: Model, dtype: FloatDType): Promise<OrtSession> =>
	createSession(encodeModel(model), {optimization: dtype === 'float64' ? 'basic' : 'all'});

export function randomIds(n: number, seed: number, vocab: number): number[] {
	const r = seededRandom(seed);
	return Array.from({length: n}, () => Math.floor(r() * vocab));
}

const ints = (rowsOf: number[][]): OrtTensor => ortTensor('int64', BigInt64Array.from(rowsOf.flat(), BigInt), [rowsOf.length, rowsOf[0]!.length]);
export const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, i) => from + i);

/** Run a batch; `past` defaults to an empty cache; mask defaults to all ones over past + new tokens. */
export async function forward(s: OrtSession, io: DecoderIo, dtype: FloatDType, ids: number[][], opts: {past?: Record<string, OrtTensor>; pastLength?: number; mask?: number[][]; positions?: number[][]} = {}) {
	const pastLength = opts.pastLength ?? 0;
	const feeds: Record<string, OrtTensor> = {
		input_ids: ints(ids),
		attention_mask: ints(opts.mask ?? ids.map(r => new Array<number>(pastLength + r.length).fill(1))),
		position_ids: ints(opts.positions ?? ids.map(r => range(pastLength, pastLength + r.length))),
	};
	for (let i = 0; i < io.layers; i++) {
		for (const kind of ['key', 'value']) {
			feeds[`past_key_values.${i}.${kind}`] = opts.past?.[`present.${i}.${kind}`] ?? ortTensor(dtype, dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), [ids.length, io.kvHeads, 0, io.headDim]);
		}
	}
	return run(s, feeds);
}

/** Logits [S][V] of batch row `b`. */
export function logitsOf(t: OrtTensor, b = 0): Vec[] {
	const [, S, V] = t.dims as number[];
	const flat = Array.from(t.data as Float64Array);
	return Array.from({length: S!}, (_, s) => flat.slice((b * S! + s) * V!, (b * S! + s + 1) * V!));
}

/** An explicit message: assert.ok without one makes node re-parse this TypeScript source, which can hang. */
export function assertClose(a: Vec[], b: Vec[], tol: number, what: string): void {
	assert.equal(a.length, b.length, `${what}: ${a.length} rows, expected ${b.length}`);
	const d = Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i]![j]!))));
	assert.ok(d < tol, `${what}: max difference ${d} exceeds ${tol}`);
}

/** Logits of one sequence in one pass equal those of consecutive chunks fed through the KV cache. */
export async function checkKvCache(s: OrtSession, io: DecoderIo, ids: number[], cuts: number[]): Promise<void> {
	const whole = logitsOf((await forward(s, io, 'float64', [ids])).logits!);
	let past: Record<string, OrtTensor> | undefined;
	const bounds = [0, ...cuts, ids.length];
	for (let c = 0; c + 1 < bounds.length; c++) {
		const [from, to] = [bounds[c]!, bounds[c + 1]!];
		const out = await forward(s, io, 'float64', [ids.slice(from, to)], {past, pastLength: from});
		assertClose(logitsOf(out.logits!), whole.slice(from, to), 1e-9, `tokens ${from}..${to}`);
		assert.deepEqual(out['present.0.value']!.dims, [1, io.kvHeads, to, io.headDim]);
		past = out;
	}
}

/** Right and left padding in a batch of two leave the real positions' logits unchanged. */
export async function checkPadding(s: OrtSession, io: DecoderIo): Promise<void> {
	const long = randomIds(7, 40, io.vocab);
	const short = randomIds(3, 41, io.vocab);
	const alone = async (ids: number[]) => logitsOf((await forward(s, io, 'float64', [ids])).logits!);
	const right = await forward(s, io, 'float64', [long, [...short, 0, 0, 0, 0]], {mask: [range(0, 7).map(() => 1), [1, 1, 1, 0, 0, 0, 0]]});
	assertClose(logitsOf(right.logits!, 0), await alone(long), 1e-9, 'longer row');
	assertClose(logitsOf(right.logits!, 1).slice(0, 3), await alone(short), 1e-9, 'right-padded row');
	const left = await forward(s, io, 'float64', [long, [0, 0, 0, 0, ...short]], {mask: [range(0, 7).map(() => 1), [0, 0, 0, 0, 1, 1, 1]], positions: [range(0, 7), [0, 0, 0, 0, 0, 1, 2]]});
	assertClose(logitsOf(left.logits!, 1).slice(4), await alone(short), 1e-9, 'left-padded row');
	assert.ok(Array.from(left.logits!.data as Float64Array).every(Number.isFinite), 'padded rows stay finite');
}

/**
 * Judge feeds for a padded batch of two (lengths 9 and 6, three prompt segments, targets after the prompt), with
 * the head at every position or at `target_positions` only.
 */
function judgeFeeds(io: DecoderIo, targetPositions: boolean): Record<string, Tensor> {
	const T = 9;
	const lengths = [9, 6];
	const ids = lengths.flatMap((n, b) => range(0, T).map(t => (t < n ? (7 * t + 3 * b + 1) % io.vocab : 0)));
	const mask = lengths.flatMap(n => range(0, T).map(t => (t < n ? 1 : 0)));
	const segs = [[0, 0, 1, 1, 2, 2, -1, -1, -1], [0, 1, 1, 2, -1, -1, -1, -1, -1]].flat();
	const targetsAt = [[5, 6, 7], [3, 4, 4]];
	const feeds: Record<string, Tensor> = {
		input_ids: tensorOf('int64', [2, T], ids),
		attention_mask: tensorOf('int64', [2, T], mask),
		position_ids: tensorOf('int64', [2, T], [...range(0, T), ...range(0, T)]),
		segment_ids: tensorOf('int64', [2, T], segs),
	};
	if (targetPositions) {
		feeds.target_positions = tensorOf('int64', [2, 3], targetsAt.flat());
		feeds.target_ids = tensorOf('int64', [2, 3], targetsAt.flatMap((at, b) => at.map(t => ids[b * T + t + 1]!)));
		feeds.target_weight = tensorOf('float64', [2, 3], [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0]);
	} else {
		const weight = range(0, 2 * T).map(i => {
			const at = new Set(targetsAt[Math.floor(i / T)]);
			return at.has(i % T) ? 1 / at.size : 0;
		});
		feeds.target_ids = tensorOf('int64', [2, T], range(0, 2 * T).map(i => ids[Math.min(i + 1, 2 * T - 1)]!));
		feeds.target_weight = tensorOf('float64', [2, T], weight);
	}
	for (let i = 0; i < io.layers; i++) {
		for (const kind of ['key', 'value']) {
			feeds[`past_key_values.${i}.${kind}`] = {dtype: 'float64', dims: [2, io.kvHeads, 0, io.headDim], data: new Float64Array(0)};
		}
	}
	return feeds;
}

const toOrt = (feeds: Record<string, Tensor>): Feeds => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, fromIr(t)]));

/**
 * The judge's segment_grad (attribution graph built from `model`) against central differences of its loss, at a
 * mask point away from 1; returns the worst relative error (denominator max(1e-3, |numeric|)).
 */
export async function segmentGradError(model: Model, io: DecoderIo, options: {baseline: Baseline; targetPositions: boolean}): Promise<number> {
	const attr = await buildAttributionGraph(model, {...options, padTokenId: 0});
	const loss = buildLossGraph(model, {...options, padTokenId: 0});
	const gs = await createSession(encodeModel(attr.model), {optimization: 'basic'});
	const ls = await createSession(encodeModel(loss.model), {optimization: 'basic'});
	const feeds = toOrt(judgeFeeds(io, options.targetPositions));
	const r = seededRandom(7);
	const m = range(0, 6).map(() => 0.5 + r());
	const maskOf = (values: number[]) => ortTensor('float64', Float64Array.from(values), [2, 3]);
	const grad = (await run(gs, {...feeds, segment_mask: maskOf(m)})).segment_grad!.data as Float64Array;
	const lossAt = async (values: number[]) => (await run(ls, {...feeds, segment_mask: maskOf(values)})).loss!.data as Float64Array;
	const eps = 1e-6;
	let worst = 0;
	for (let i = 0; i < 6; i++) {
		const b = Math.floor(i / 3);
		const plus = [...m];
		plus[i]! += eps;
		const minus = [...m];
		minus[i]! -= eps;
		const numeric = ((await lossAt(plus))[b]! - (await lossAt(minus))[b]!) / (2 * eps);
		worst = Math.max(worst, Math.abs(numeric - grad[i]!) / Math.max(1e-3, Math.abs(numeric)));
	}
	assert.ok(grad.some(g => Math.abs(g) > 1e-6), 'the gradient is not trivially zero');
	await gs.release();
	await ls.release();
	return worst;
}

/** Gradients of the summed judge loss w.r.t. the named weights against central differences; the worst error. */
export async function weightGradError(source: Model, io: DecoderIo, weightNames: string[]): Promise<number> {
	const {model} = buildLossGraph(source, {targetPositions: false});
	const weightFeeds: Feeds = {};
	for (const w of weightNames) {
		const t = model.graph.initializers.get(w)!;
		model.graph.initializers.delete(w);
		model.graph.inputs.push({name: w, dtype: t.dtype, shape: t.dims});
		weightFeeds[w] = fromIr(t);
	}
	model.graph.nodes.push({op: 'ReduceSum', domain: '', name: 'test/sum', inputs: ['loss', 'test/axes'], outputs: ['test/total'], attrs: {keepdims: {type: 'int', value: 0}}});
	model.graph.initializers.set('test/axes', tensorOf('int64', [1], [0]));
	model.graph.outputs = [{name: 'test/total', dtype: 'float64', shape: []}];
	const feeds: Feeds = {...toOrt(judgeFeeds(io, false)), segment_mask: ortTensor('float64', Float64Array.from([1, 0.7, 1.2, 0.9, 1, 1]), [2, 3]), ...weightFeeds};
	const {model: gm, gradOutputs} = await buildGradientModel(model, {loss: 'test/total', wrt: weightNames, probes: [feeds, feeds]});
	const gs = await createSession(encodeModel(gm), {optimization: 'basic'});
	const fs = await createSession(encodeModel(model), {optimization: 'basic'});
	const out = await run(gs, feeds);
	const eps = 1e-6;
	let worst = 0;
	for (const [i, w] of weightNames.entries()) {
		const grad = out[gradOutputs[i]!]!.data as Float64Array;
		const base = feeds[w]!.data as Float64Array;
		for (let k = 0; k < 8; k++) {
			const j = Math.floor((k * base.length) / 8) + 1;
			const at = async (delta: number) => {
				const v = new Float64Array(base);
				v[j]! += delta;
				return (await run(fs, {...feeds, [w]: ortTensor('float64', v, [...feeds[w]!.dims])}))['test/total']!.data[0] as number;
			};
			const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
			worst = Math.max(worst, Math.abs(numeric - grad[j]!) / Math.max(1e-3, Math.abs(numeric)));
		}
	}
	await gs.release();
	await fs.release();
	return worst;
}

/**
 * Structure every builder graph must have: the interface names, every weight installed as itself, one embedding
 * Gather, no large initializer besides the weights (no copied or transposed weight), and only differentiable ops
 * between the weights and the logits.
 */
export function checkStructure(model: Model, weights: Weights, io: DecoderIo, embedding: string): void {
	const g = model.graph;
	assert.deepEqual(model.opsets, [{domain: '', version: 17}]);
	const kv = range(0, io.layers).flatMap(i => [`.${i}.key`, `.${i}.value`]);
	assert.deepEqual(g.inputs.map(v => v.name), ['input_ids', 'attention_mask', 'position_ids', ...kv.map(k => `past_key_values${k}`)]);
	assert.deepEqual(g.outputs.map(v => v.name), ['logits', ...kv.map(k => `present${k}`)]);
	assert.deepEqual(g.outputs[0]!.shape, ['batch_size', 'sequence_length', io.vocab]);
	for (const [name, t] of weights) {
		assert.equal(g.initializers.get(name), t, `${name} is the initializer itself`);
	}
	for (const [name, t] of g.initializers) {
		if (!weights.has(name)) {
			assert.ok(t.data.length <= 64, `${name} (${t.data.length} elements) is a small constant, not a weight copy`);
		}
	}
	const lookups = g.nodes.filter(n => n.op === 'Gather' && n.inputs[1] === 'input_ids');
	assert.deepEqual(lookups.map(n => n.inputs[0]), [embedding]);
	const down = new Set(weights.keys());
	for (const n of g.nodes) {
		if (n.inputs.some(i => down.has(i))) n.outputs.forEach(o => down.add(o));
	}
	const up = new Set(['logits']);
	for (const n of [...g.nodes].reverse()) {
		if (n.outputs.some(o => up.has(o))) n.inputs.forEach(i => up.add(i));
	}
	const onPath = new Set(g.nodes.filter(n => n.inputs.some(i => down.has(i)) && n.outputs.some(o => up.has(o))).map(n => n.op));
	const allowed = 'MatMul Add Sub Mul Div Neg Pow Sqrt Exp Tanh Erf Sigmoid Softmax ReduceMean Transpose Reshape Unsqueeze Expand Where Concat Split Gather LayerNormalization Less GreaterOrEqual';
	assert.deepEqual([...onPath].filter(op => !allowed.split(' ').includes(op)), []);
}
