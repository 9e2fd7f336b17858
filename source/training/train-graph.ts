/**
 * The training graph of a judge: the judge loss graph (source/onnx/judge-graph.ts) of the built model, with every
 * trainable weight turned from an initializer into a graph input, plus the gradient of sum_b loss[b] w.r.t. each of
 * them. Weights are fed on every step, so the optimizer lives in TypeScript and one graph serves the whole run.
 * Non-trainable constants (RoPE's inv_freq, graph-built scalars) stay initializers.
 */
import type {HubConfig} from '../hf/hub-folder.js';
import {buildGpt2, gpt2WeightShapes, randomGpt2Weights} from '../onnx/builders/gpt2.js';
import {buildLlama, llamaWeightShapes, randomLlamaWeights} from '../onnx/builders/llama.js';
import {buildGradientModel} from '../onnx/gradient.js';
import {sizeOf, type Model, type Tensor} from '../onnx/ir.js';
import {buildLossGraph, probeFeeds, type CausalLmInterface} from '../onnx/judge-graph.js';
import {ortTensor, type Feeds} from '../onnx/ort.js';

/** A model family and its builder config (float32 for training). */
export type ModelSpec = HubConfig;

/** Names and shapes of a spec's weights, in the builder's order (deterministic). */
export function weightShapes(spec: ModelSpec): Map<string, number[]> {
	return spec.family === 'gpt2' ? gpt2WeightShapes(spec.config) : llamaWeightShapes(spec.config);
}

/** Freshly initialised weights (the builders' own initialisation, seeded). */
export function initialWeights(spec: ModelSpec, seed: number): Map<string, Tensor> {
	return spec.family === 'gpt2' ? randomGpt2Weights(spec.config, seed) : randomLlamaWeights(spec.config, seed);
}

/** The decoder graph (Optimum interface) of a spec over weights. */
export function buildModel(spec: ModelSpec, weights: ReadonlyMap<string, Tensor>): Model {
	return spec.family === 'gpt2' ? buildGpt2(spec.config, weights) : buildLlama(spec.config, weights);
}

/** Number of trainable parameters. */
export function parameterCount(spec: ModelSpec): number {
	let n = 0;
	for (const dims of weightShapes(spec).values()) n += sizeOf(dims);
	return n;
}

/**
 * Whether AdamW's decoupled weight decay applies to a weight. Only matrices of the blocks are decayed: norms and
 * biases are scales and offsets whose natural value is not 0, and the embeddings (tied to the LM head) hold rare
 * tokens that decay would push towards 0 between their few updates.
 */
export function decays(name: string, dims: readonly number[]): boolean {
	if (dims.length < 2) return false;
	return !/(wte|wpe|embed_tokens|lm_head)\.weight$/.test(name);
}

/** A training graph ready for a session. */
export type TrainingGraph = {
	/** The model with loss and gradient outputs. */
	model: Model;
	/** Trainable weight names, in order; each is a graph input of the same name. */
	weights: string[];
	/** Gradient output name of each weight (same order). */
	gradOutputs: string[];
	/** The causal-LM interface found by the judge surgery (past inputs to feed empty). */
	info: CausalLmInterface;
};

/** Build the training graph of a spec. `weights` only provide shapes and the graph structure. */
export async function buildTrainingGraph(spec: ModelSpec, weights: ReadonlyMap<string, Tensor>): Promise<TrainingGraph> {
	const {model, info} = buildLossGraph(buildModel(spec, weights));
	const g = model.graph;
	const names = [...weightShapes(spec).keys()];
	for (const name of names) {
		const t = g.initializers.get(name);
		if (!t) throw new Error(`weight ${name} is not an initializer of the built graph`);
		g.initializers.delete(name);
		g.inputs.push({name, dtype: t.dtype, shape: [...t.dims]});
	}
	const withWeights = (f: Feeds): Feeds => {
		const out: Feeds = {...f};
		for (const name of names) {
			const t = weights.get(name)!;
			out[name] = ortTensor(t.dtype, t.data, t.dims);
		}
		return out;
	};
	const probes = [withWeights(probeFeeds(info, 2, 5, 1)), withWeights(probeFeeds(info, 3, 7, 1))];
	const gradNames = Object.fromEntries(names.map(n => [n, `grad/${n}`]));
	const {model: trained, gradOutputs} = await buildGradientModel(model, {loss: 'loss', wrt: names, probes, gradNames});
	return {model: trained, weights: names, gradOutputs, info};
}

/** A batch of token rows: what the training and evaluation graphs are fed besides the weights. */
export type TokenBatch = {
	/** Rows. */
	batch: number;
	/** Padded length of every row. */
	length: number;
	/** Token ids [batch * length], right-padded. */
	ids: BigInt64Array;
	/** 1 for real tokens, 0 for padding [batch * length]. */
	mask: BigInt64Array;
	/** The next token at each position (0 where there is none) [batch * length]. */
	targets: BigInt64Array;
	/** Loss weight of each position's prediction [batch * length]. */
	weights: Float32Array;
};

/** The non-weight feeds of a judge loss graph for a batch (no segments: segment_ids -1, one mask column of 1). */
export function batchFeeds(info: CausalLmInterface, b: TokenBatch): Feeds {
	const n = b.batch * b.length;
	const positions = new BigInt64Array(n);
	for (let r = 0; r < b.batch; r++) for (let t = 0; t < b.length; t++) positions[r * b.length + t] = BigInt(t);
	const feeds: Feeds = {
		input_ids: ortTensor('int64', b.ids, [b.batch, b.length]),
		attention_mask: ortTensor('int64', b.mask, [b.batch, b.length]),
		segment_mask: ortTensor('float32', new Float32Array(b.batch).fill(1), [b.batch, 1]),
		segment_ids: ortTensor('int64', new BigInt64Array(n).fill(-1n), [b.batch, b.length]),
		target_ids: ortTensor('int64', b.targets, [b.batch, b.length]),
		target_weight: ortTensor('float32', b.weights, [b.batch, b.length]),
	};
	if (info.hasPositionIds) feeds.position_ids = ortTensor('int64', positions, [b.batch, b.length]);
	for (const p of info.pastInputs) feeds[p.name] = ortTensor('float32', new Float32Array(0), [b.batch, p.heads, 0, p.headDim]);
	return feeds;
}
