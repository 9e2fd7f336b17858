/**
 * Pieces shared by the model builders: the Optimum-style decoder interface, the combined causal + padding mask,
 * multi-head attention with a KV cache (grouped-query aware), linear layers over weights kept in their Hugging Face
 * layout, weight validation and seeded random initialisation.
 *
 * Every float weight is one initializer under its Hugging Face name and is consumed directly by the graph (a
 * Transpose node where the layout needs it, never a transposed copy), so training can differentiate w.r.t. it.
 */
import {GraphBuilder} from '../graph-builder.js';
import {attr, sizeOf, tensorOf, type Dim, type Graph, type Model, type Tensor, type ValueInfo} from '../ir.js';
import {mulberry32} from '../../core/random.js';

/** The float types the builders emit. */
export type FloatDType = 'float32' | 'float64';

/** The default-domain opset and IR version of Optimum's decoder exports. */
export const OPSET = 17;
export const IR_VERSION = 8;

/**
 * Masked attention scores are set to this instead of -Infinity: a query whose keys are all padding then gets a
 * uniform (finite) softmax rather than NaN, and later arithmetic on the scores cannot overflow.
 */
export const MASKED_SCORE = -1e9;

const BATCH = 'batch_size';
const SEQ = 'sequence_length';
const PAST = 'past_sequence_length';
const TOTAL = 'past_sequence_length + sequence_length';

/** A deterministic pseudo-random generator of uniform numbers in [0, 1). */
export const seededRandom = mulberry32;

/** Standard normal samples from a uniform source (Box-Muller). */
export function gaussian(uniform: () => number): () => number {
	return () => {
		const u = 1 - uniform(); // in (0, 1], so the log is finite
		return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
	};
}

/** A tensor of normal(0, std) samples. */
export function normalTensor(dtype: FloatDType, dims: number[], std: number, normal: () => number): Tensor {
	const data = floatArray(dtype, sizeOf(dims));
	for (let i = 0; i < data.length; i++) {
		data[i] = std * normal();
	}
	return {dtype, dims: [...dims], data};
}

/** A tensor with every element equal to `value`. */
export function filledTensor(dtype: FloatDType, dims: number[], value: number): Tensor {
	return {dtype, dims: [...dims], data: floatArray(dtype, sizeOf(dims)).fill(value)};
}

/**
 * Deterministic random weights for `shapes`, drawn in their order from one seeded normal source: a weight `rule`
 * gives a constant for (norm scales, biases) is filled with it; every other one is normal(0, std), std from the
 * rule (default 0.02, HF's initializer_range).
 */
export function randomWeights(
	shapes: Map<string, number[]>,
	dtype: FloatDType,
	seed: number,
	rule: (name: string) => {fill: number} | {std: number} | undefined,
): Map<string, Tensor> {
	const normal = gaussian(seededRandom(seed));
	const weights = new Map<string, Tensor>();
	for (const [name, dims] of shapes) {
		const r = rule(name);
		weights.set(name, r && 'fill' in r ? filledTensor(dtype, dims, r.fill) : normalTensor(dtype, dims, r?.std ?? 0.02, normal));
	}
	return weights;
}

/** A zeroed typed array of a builder float type (typed arrays only: a JS array of 100M+ numbers cannot exist). */
export function floatArray(dtype: FloatDType, n: number): Float32Array | Float64Array {
	return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * Check `weights` against the expected names, shapes and dtype and install them as initializers. Missing, extra
 * and misshapen weights are all reported at once, since a wrong weight set usually has many of each.
 */
export function installWeights(graph: Graph, weights: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, number[]>, dtype: FloatDType): void {
	const problems: string[] = [];
	for (const [name, dims] of expected) {
		const t = weights.get(name);
		if (!t) {
			problems.push(`missing ${name}`);
		} else if (t.dtype !== dtype || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
			problems.push(`${name} is ${t.dtype}[${t.dims.join(',')}], expected ${dtype}[${dims.join(',')}]`);
		} else {
			graph.initializers.set(name, t);
		}
	}
	for (const name of weights.keys()) {
		if (!expected.has(name)) {
			problems.push(`unexpected ${name}`);
		}
	}
	if (problems.length > 0) {
		throw new Error(`weights do not match the config: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
	}
}

/** Sizes that fix the decoder interface. */
export type DecoderIo = {
	/** Number of layers (one past/present key and value each). */
	numLayers: number;
	/** Heads stored in the KV cache. */
	numKvHeads: number;
	/** Size of one head. */
	headDim: number;
	/** Vocabulary size (last dim of the logits). */
	vocabSize: number;
	/** Float type of the cache and the logits. */
	dtype: FloatDType;
};

/** An empty model with the inputs and outputs of an Optimum decoder export ("with past"). */
export function decoderModel(name: string, io: DecoderIo): Model {
	const kv = (n: string, len: Dim): ValueInfo => ({name: n, dtype: io.dtype, shape: [BATCH, io.numKvHeads, len, io.headDim]});
	const inputs: ValueInfo[] = [
		{name: 'input_ids', dtype: 'int64', shape: [BATCH, SEQ]},
		{name: 'attention_mask', dtype: 'int64', shape: [BATCH, TOTAL]},
		{name: 'position_ids', dtype: 'int64', shape: [BATCH, SEQ]},
	];
	const outputs: ValueInfo[] = [{name: 'logits', dtype: io.dtype, shape: [BATCH, SEQ, io.vocabSize]}];
	for (let i = 0; i < io.numLayers; i++) {
		inputs.push(kv(`past_key_values.${i}.key`, PAST), kv(`past_key_values.${i}.value`, PAST));
		outputs.push(kv(`present.${i}.key`, TOTAL), kv(`present.${i}.value`, TOTAL));
	}
	return {
		irVersion: IR_VERSION,
		opsets: [{domain: '', version: OPSET}],
		producerName: 'gmpo',
		producerVersion: '0.1.0',
		graph: {name, nodes: [], inputs, outputs, initializers: new Map(), valueInfo: []},
		metadata: {},
	};
}

/**
 * The boolean mask [batch, 1, seq, past + seq] of allowed attention: key j is visible to query i when it is not
 * padding (attention_mask 1) and not in the future (j <= past + i). With a sliding window W, also only when it is
 * one of the W most recent (j > past + i - W, transformers' sliding_window_overlay). Index arithmetic only: no
 * weight flows here.
 */
export function attentionAllowed(b: GraphBuilder, slidingWindow?: number): string {
	const total = b.op('Shape', ['attention_mask'], {start: attr.int(1), end: attr.int(2)});
	const seq = b.op('Shape', ['input_ids'], {start: attr.int(1), end: attr.int(2)});
	const totalS = b.squeeze(total, [0]);
	const past = b.op('Sub', [totalS, b.squeeze(seq, [0])]);
	const one = b.scalar(1, 'int64');
	const keyPos = b.op('Range', [b.scalar(0, 'int64'), totalS, one]); // [T]
	const queryPos = b.unsqueeze(b.op('Range', [past, totalS, one]), [1]); // [S, 1]
	let causal = b.op('LessOrEqual', [keyPos, queryPos]); // [S, T]
	if (slidingWindow !== undefined) {
		const recent = b.op('Greater', [keyPos, b.op('Sub', [queryPos, b.scalar(slidingWindow, 'int64')])]);
		causal = b.op('And', [causal, recent]);
	}
	const notPad = b.unsqueeze(b.cast('attention_mask', 'bool'), [1, 2]); // [B, 1, 1, T]
	return b.op('And', [notPad, causal]);
}

/** x [.., in] times a Conv1D-layout weight [in, out], plus an optional bias. */
export function conv1d(b: GraphBuilder, x: string, weight: string, bias?: string): string {
	const y = b.op('MatMul', [x, weight]);
	return bias ? b.op('Add', [y, bias]) : y;
}

/** x [.., in] times an nn.Linear-layout weight [out, in] (transposed in-graph, so the weight stays one tensor). */
export function linear(b: GraphBuilder, x: string, weight: string): string {
	return b.op('MatMul', [x, b.op('Transpose', [weight], {perm: attr.ints([1, 0])})]);
}

/** [B, S, heads * headDim] to [B, heads, S, headDim]. */
export function splitHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
	const r = b.op('Reshape', [x, b.int64s([0, 0, heads, headDim])]);
	return b.op('Transpose', [r], {perm: attr.ints([0, 2, 1, 3])});
}

/** Settings of one attention call. */
export type AttentionArgs = {
	/** Layer index (names the past and present tensors). */
	layer: number;
	/** Query heads. */
	numHeads: number;
	/** Key/value heads (a divisor of numHeads; fewer means grouped-query attention). */
	numKvHeads: number;
	/** Size of one head. */
	headDim: number;
	/** Float type of the scores. */
	dtype: FloatDType;
	/** The boolean mask from attentionAllowed. */
	allowed: string;
	/** Factor of the query-key scores (default 1 / sqrt(headDim)). */
	scale?: number;
	/** Soft cap of the scaled scores before the mask (Gemma 2's attn_logit_softcapping); none when absent. */
	softcap?: number;
};

/**
 * Scaled dot-product attention with a KV cache. q [B, H, S, D]; k, v [B, KV, S, D] for the new tokens (already
 * position-encoded). Writes present.{layer}.key/value (past concatenated with the new ones) and returns the
 * context [B, S, H * D].
 */
export function attention(b: GraphBuilder, q: string, k: string, v: string, a: AttentionArgs): string {
	const keys = b.opInto(`present.${a.layer}.key`, 'Concat', [`past_key_values.${a.layer}.key`, k], {axis: attr.int(2)});
	const values = b.opInto(`present.${a.layer}.value`, 'Concat', [`past_key_values.${a.layer}.value`, v], {axis: attr.int(2)});
	const kAll = repeatKv(b, keys, a);
	const vAll = repeatKv(b, values, a);
	const scores = b.op('MatMul', [q, b.op('Transpose', [kAll], {perm: attr.ints([0, 1, 3, 2])})]);
	const scaled = b.op('Mul', [scores, b.scalar(a.scale ?? 1 / Math.sqrt(a.headDim), a.dtype)]);
	const capped = a.softcap === undefined ? scaled : softcap(b, scaled, a.softcap, a.dtype);
	const masked = b.op('Where', [a.allowed, capped, b.scalar(MASKED_SCORE, a.dtype)]);
	const probs = b.softmax(masked, 3, 4);
	const context = b.op('MatMul', [probs, vAll]); // [B, H, S, D]
	const t = b.op('Transpose', [context], {perm: attr.ints([0, 2, 1, 3])});
	return b.op('Reshape', [t, b.int64s([0, 0, a.numHeads * a.headDim])]);
}

/** cap * tanh(x / cap): Gemma 2's soft capping of the attention scores and of the final logits. */
export function softcap(b: GraphBuilder, x: string, cap: number, dtype: FloatDType): string {
	const c = b.scalar(cap, dtype);
	return b.op('Mul', [b.op('Tanh', [b.op('Div', [x, c])]), c]);
}

/** [B, KV, T, D] to [B, H, T, D] by repeating each key/value head H / KV times (HF's repeat_kv order). */
function repeatKv(b: GraphBuilder, x: string, a: AttentionArgs): string {
	const rep = a.numHeads / a.numKvHeads;
	if (rep === 1) {
		return x;
	}
	const u = b.unsqueeze(x, [2]); // [B, KV, 1, T, D]
	const e = b.op('Expand', [u, b.int64s([1, 1, rep, 1, 1])]);
	return b.op('Reshape', [e, b.int64s([0, a.numHeads, -1, a.headDim])]);
}

/** A GraphBuilder for a fresh decoder graph; generated names are prefixed so they never look like HF names. */
export function builderFor(model: Model): GraphBuilder {
	return new GraphBuilder(model.graph, OPSET, '/gmpo');
}
