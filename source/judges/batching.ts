/**
 * Turning encoded examples into the judge graph's padded batches. Examples are bucketed by length (sorted, then cut
 * into batches under a token budget) so little compute goes to padding. Padding is on the right: with causal
 * attention no real token attends to a pad, so a padded example's loss equals its unpadded loss.
 *
 * Position t predicts token t+1: target_ids[t] = ids[t+1] and target_weight[t] = 1/|target| where token t+1 is a
 * target token, 0 elsewhere, so loss[b] is the mean token cross-entropy of the target.
 */
import type {DType, Tensor} from '../onnx/ir.js';
import {idData, pastDims, type CausalLmInterface, type PastInput} from '../onnx/judge-graph.js';

/** One example as token ids. */
export type EncodedExample = {
	/** Context then target ids. */
	ids: number[];
	/** Tokens of the context (the rest are target tokens). */
	contextLength: number;
	/** Segment index of each context token (-1 outside the prompt). */
	segments: number[];
};

/** A padded batch and the positions of its examples in the caller's list. */
export type Batch = {
	/** Indices into the example list, in batch order. */
	members: number[];
	/** Padded length. */
	length: number;
	/** Inputs of the judge graph (without segment_mask, which the caller sets per pass). */
	feeds: Record<string, Tensor>;
};

/** Limits of one batch. */
export type BatchLimits = {
	/** Most examples in a batch. */
	maxBatch: number;
	/** Most tokens (batch x padded length) in a batch. */
	maxTokens: number;
};

export const DEFAULT_LIMITS: BatchLimits = {maxBatch: 16, maxTokens: 4096};

/** Batch limits per kind of run: a forward pass frees its activations as it goes, a backward pass keeps them. */
export type JudgeLimits = {score: BatchLimits; attribute: BatchLimits};

/** What the memory estimate needs to know of a judge. */
export type JudgeSize = {parameters: number; vocabSize: number; hiddenSize: number; floatBytes: number};

/**
 * Activation memory per token, as multiples of (parameters outside the embedding / hidden size) floats: what a
 * transformer layer keeps per token is proportional to its width, and its parameters to width squared. Measured by
 * `npm run bench -- real-size` (peak memory against batch tokens at three sizes; see BENCHMARKS.md).
 */
const ATTRIBUTE_FLOATS_PER_WIDTH = 3;
const SCORE_FLOATS_PER_WIDTH = 0.5;
/** Per target token: the logits, their log-softmax and (attribution) their gradient, each [V]. */
const HEAD_COPIES = 3;

/**
 * Batch limits that keep a judge's activations within `budgetBytes` (DEFAULT_LIMITS at most). A batch always takes
 * at least one example, however long: the budget bounds batching, it never refuses an example.
 */
export function limitsForBudget(size: JudgeSize, budgetBytes: number): JudgeLimits {
	const width = Math.max(1, size.parameters - size.vocabSize * size.hiddenSize) / size.hiddenSize;
	const perToken = (floats: number) => floats * width * size.floatBytes + HEAD_COPIES * size.vocabSize * size.floatBytes;
	const limit = (floats: number): BatchLimits => ({
		maxBatch: DEFAULT_LIMITS.maxBatch,
		maxTokens: Math.max(1, Math.min(DEFAULT_LIMITS.maxTokens, Math.floor(budgetBytes / perToken(floats)))),
	});
	return {score: limit(SCORE_FLOATS_PER_WIDTH), attribute: limit(ATTRIBUTE_FLOATS_PER_WIDTH)};
}

/** Cut examples into length-bucketed batches. */
export function makeBatches(examples: readonly EncodedExample[], limits: BatchLimits = DEFAULT_LIMITS): number[][] {
	const order = examples.map((e, i) => ({i, n: e.ids.length})).sort((a, b) => a.n - b.n || a.i - b.i);
	const batches: number[][] = [];
	let current: number[] = [];
	let longest = 0;
	for (const {i, n} of order) {
		const widest = Math.max(longest, n);
		if (current.length > 0 && (current.length + 1 > limits.maxBatch || widest * (current.length + 1) > limits.maxTokens)) {
			batches.push(current);
			current = [];
			longest = 0;
		}
		current.push(i);
		longest = Math.max(longest, n);
	}
	if (current.length > 0) {
		batches.push(current);
	}
	return batches;
}

/** What the judge graph takes besides the token ids. */
export type GraphInputs = {
	/** The graph's float type. */
	floatType: DType;
	/** Past key/value inputs, fed as zero-length tensors. */
	pastInputs: readonly PastInput[];
	/** Element types of the integer inputs (which of position_ids and token_type_ids the graph takes). */
	idTypes: CausalLmInterface['idTypes'];
	/** Whether the head runs only at target positions (target_positions, target_ids, target_weight are [B,K]). */
	targetPositions: boolean;
};

/** The feeds of one batch. */
export function batchFeeds(examples: readonly EncodedExample[], members: readonly number[], inputs: GraphInputs): Batch {
	const {floatType, pastInputs} = inputs;
	const B = members.length;
	const T = Math.max(...members.map(i => examples[i]!.ids.length));
	const ids = new BigInt64Array(B * T);
	const mask = new BigInt64Array(B * T);
	const positions = new BigInt64Array(B * T);
	const segmentIds = new BigInt64Array(B * T).fill(-1n);
	const targets = new BigInt64Array(B * T);
	const Float = floatType === 'float64' ? Float64Array : Float32Array;
	const weights = new Float(B * T);
	members.forEach((m, b) => {
		const e = examples[m]!;
		const n = e.ids.length;
		const targetCount = n - e.contextLength;
		for (let t = 0; t < T; t++) {
			const at = b * T + t;
			positions[at] = BigInt(t);
			if (t < n) {
				ids[at] = BigInt(e.ids[t]!);
				mask[at] = 1n;
				if (t < e.contextLength) {
					segmentIds[at] = BigInt(e.segments[t] ?? -1);
				}
				if (t + 1 < n && t + 1 >= e.contextLength) {
					targets[at] = BigInt(e.ids[t + 1]!);
					weights[at] = 1 / targetCount;
				}
			}
		}
	});
	const {idTypes} = inputs;
	const feeds: Record<string, Tensor> = {
		input_ids: idTensor(idTypes.input_ids, [B, T], ids),
		attention_mask: idTensor(idTypes.attention_mask, [B, T], mask),
		segment_ids: {dtype: 'int64', dims: [B, T], data: segmentIds},
		...(inputs.targetPositions ? compactTargets(examples, members, floatType) : {
			target_ids: {dtype: 'int64', dims: [B, T], data: targets},
			target_weight: {dtype: floatType, dims: [B, T], data: weights},
		}),
	};
	if (idTypes.position_ids) {
		feeds.position_ids = idTensor(idTypes.position_ids, [B, T], positions);
	}
	if (idTypes.token_type_ids) {
		// One sequence: every token of type 0, as a tokenizer returns token_type_ids for a single text.
		feeds.token_type_ids = idTensor(idTypes.token_type_ids, [B, T], new BigInt64Array(B * T));
	}
	for (const p of pastInputs) {
		feeds[p.name] = {dtype: p.dtype, dims: pastDims(p, B), data: new (p.dtype === 'float64' ? Float64Array : Float32Array)(0)};
	}
	return {members: [...members], length: T, feeds};
}

/** An integer input of the source model, int64 or int32 as the model declares it. */
export function idTensor(dtype: 'int64' | 'int32', dims: number[], values: BigInt64Array): Tensor {
	return {dtype, dims, data: idData(dtype, values)};
}

/** target_positions, target_ids and target_weight as [B,K]: only the positions that predict a target token. */
function compactTargets(examples: readonly EncodedExample[], members: readonly number[], floatType: DType): Record<string, Tensor> {
	const B = members.length;
	const K = Math.max(1, ...members.map(i => examples[i]!.ids.length - examples[i]!.contextLength));
	const positions = new BigInt64Array(B * K);
	const ids = new BigInt64Array(B * K);
	const weights = new (floatType === 'float64' ? Float64Array : Float32Array)(B * K);
	members.forEach((m, b) => {
		const e = examples[m]!;
		const count = e.ids.length - e.contextLength;
		for (let j = 0; j < count; j++) {
			// Position contextLength - 1 + j predicts target token j.
			positions[b * K + j] = BigInt(e.contextLength - 1 + j);
			ids[b * K + j] = BigInt(e.ids[e.contextLength + j]!);
			weights[b * K + j] = 1 / count;
		}
	});
	return {
		target_positions: {dtype: 'int64', dims: [B, K], data: positions},
		target_ids: {dtype: 'int64', dims: [B, K], data: ids},
		target_weight: {dtype: floatType, dims: [B, K], data: weights},
	};
}

/** A [B, S] segment mask of ones, with segment `drop` of every row set to 0 when given (leave-one-out). */
export function segmentMask(batch: number, segments: number, floatType: DType, drop?: number): Tensor {
	const Float = floatType === 'float64' ? Float64Array : Float32Array;
	const data = new Float(batch * Math.max(1, segments)).fill(1);
	if (drop !== undefined) {
		for (let b = 0; b < batch; b++) {
			data[b * segments + drop] = 0;
		}
	}
	return {dtype: floatType, dims: [batch, Math.max(1, segments)], data};
}
