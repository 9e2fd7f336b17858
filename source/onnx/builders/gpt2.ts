/**
 * GPT-2 as an ONNX graph laid out like Optimum's decoder export: learned positions, pre-LayerNorm blocks, fused QKV
 * (Conv1D layout), tanh-approximation GELU and an LM head tied to the token embedding.
 */
import {attr, type Model, type Tensor} from '../ir.js';
import type {GraphBuilder} from '../graph-builder.js';
import {
	attention,
	attentionAllowed,
	builderFor,
	conv1d,
	decoderModel,
	installWeights,
	splitHeads,
	type FloatDType,
	randomWeights,
} from './common.js';

/** A GPT-2 style configuration (Hugging Face GPT2Config, the fields the graph depends on). */
export type Gpt2Config = {
	/** Vocabulary size (rows of the token embedding, width of the logits). */
	vocabSize: number;
	/** Maximum number of positions (rows of the position embedding). */
	nPositions: number;
	/** Hidden size. */
	nEmbd: number;
	/** Number of transformer blocks. */
	nLayer: number;
	/** Number of attention heads (nEmbd must be a multiple). */
	nHead: number;
	/** Epsilon of every LayerNorm. */
	layerNormEpsilon: number;
	/** Beginning-of-sequence token id. */
	bosTokenId: number;
	/** End-of-sequence token id. */
	eosTokenId: number;
	/** Padding token id, when the tokenizer has one (GPT-2 itself has none). */
	padTokenId?: number;
	/** Float type of the weights, the cache and the logits. */
	dtype: FloatDType;
	/** Inner size of the MLP when it is not 4 * nEmbd. */
	nInner?: number;
	/** The MLP's activation when it is not the tanh GELU ("gelu_new"): "gelu" is the exact, erf form. */
	activation?: 'gelu';
};

/** The Hugging Face parameter names of a GPT-2 model and their shapes (the LM head is tied to wte). */
export function gpt2WeightShapes(config: Gpt2Config): Map<string, number[]> {
	const d = config.nEmbd;
	const inner = config.nInner ?? 4 * d;
	const shapes = new Map<string, number[]>([
		['transformer.wte.weight', [config.vocabSize, d]],
		['transformer.wpe.weight', [config.nPositions, d]],
	]);
	for (let i = 0; i < config.nLayer; i++) {
		const p = `transformer.h.${i}.`;
		shapes.set(`${p}ln_1.weight`, [d]);
		shapes.set(`${p}ln_1.bias`, [d]);
		shapes.set(`${p}attn.c_attn.weight`, [d, 3 * d]);
		shapes.set(`${p}attn.c_attn.bias`, [3 * d]);
		shapes.set(`${p}attn.c_proj.weight`, [d, d]);
		shapes.set(`${p}attn.c_proj.bias`, [d]);
		shapes.set(`${p}ln_2.weight`, [d]);
		shapes.set(`${p}ln_2.bias`, [d]);
		shapes.set(`${p}mlp.c_fc.weight`, [d, inner]);
		shapes.set(`${p}mlp.c_fc.bias`, [inner]);
		shapes.set(`${p}mlp.c_proj.weight`, [inner, d]);
		shapes.set(`${p}mlp.c_proj.bias`, [d]);
	}
	shapes.set('transformer.ln_f.weight', [d]);
	shapes.set('transformer.ln_f.bias', [d]);
	return shapes;
}

/**
 * Deterministic random weights with GPT-2's initialisation: normal(0, 0.02) matrices and embeddings, residual
 * output projections scaled by 1/sqrt(2 * nLayer), zero biases, unit LayerNorm scales.
 */
export function randomGpt2Weights(config: Gpt2Config, seed = 0): Map<string, Tensor> {
	checkGpt2Config(config);
	return randomWeights(gpt2WeightShapes(config), config.dtype, seed, name =>
		/ln_\w+\.weight$/.test(name) ? {fill: 1} : name.endsWith('.bias') ? {fill: 0} : name.endsWith('c_proj.weight') ? {std: 0.02 / Math.sqrt(2 * config.nLayer)} : undefined,
	);
}

/** Throw on a configuration no GPT-2 graph can have. */
export function checkGpt2Config(config: Gpt2Config): void {
	for (const key of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead', 'nInner'] as const) {
		if (config[key] === undefined && key === 'nInner') continue;
		if (!Number.isInteger(config[key]) || config[key]! <= 0) {
			throw new Error(`GPT-2 config: ${key} must be a positive integer, got ${config[key]}`);
		}
	}
	if (config.nEmbd % config.nHead !== 0) {
		throw new Error(`GPT-2 config: nEmbd ${config.nEmbd} is not a multiple of nHead ${config.nHead}`);
	}
	if (config.dtype !== 'float32' && config.dtype !== 'float64') {
		throw new Error(`GPT-2 config: dtype must be float32 or float64, got ${String(config.dtype)}`);
	}
}

/** The GPT-2 decoder graph (Optimum interface, opset 17) over `weights`, which become its initializers by name. */
export function buildGpt2(config: Gpt2Config, weights: ReadonlyMap<string, Tensor>): Model {
	checkGpt2Config(config);
	const d = config.nEmbd;
	const headDim = d / config.nHead;
	const model = decoderModel('gpt2', {numLayers: config.nLayer, numKvHeads: config.nHead, headDim, vocabSize: config.vocabSize, dtype: config.dtype});
	installWeights(model.graph, weights, gpt2WeightShapes(config), config.dtype);
	const b = builderFor(model);
	const allowed = attentionAllowed(b);

	const tokens = b.op('Gather', ['transformer.wte.weight', 'input_ids']);
	const positions = b.op('Gather', ['transformer.wpe.weight', 'position_ids']);
	let h = b.op('Add', [tokens, positions]);
	for (let i = 0; i < config.nLayer; i++) {
		const p = `transformer.h.${i}.`;
		const a = layerNorm(b, h, `${p}ln_1`, config.layerNormEpsilon);
		const qkv = conv1d(b, a, `${p}attn.c_attn.weight`, `${p}attn.c_attn.bias`);
		const [q, k, v] = b.split(qkv, 2, [d, d, d]).map(x => splitHeads(b, x, config.nHead, headDim));
		const context = attention(b, q!, k!, v!, {layer: i, numHeads: config.nHead, numKvHeads: config.nHead, headDim, dtype: config.dtype, allowed});
		h = b.op('Add', [h, conv1d(b, context, `${p}attn.c_proj.weight`, `${p}attn.c_proj.bias`)]);
		const m = layerNorm(b, h, `${p}ln_2`, config.layerNormEpsilon);
		const fc = conv1d(b, m, `${p}mlp.c_fc.weight`, `${p}mlp.c_fc.bias`);
		const f = config.activation === 'gelu' ? geluErf(b, fc, config.dtype) : geluTanh(b, fc, config.dtype);
		h = b.op('Add', [h, conv1d(b, f, `${p}mlp.c_proj.weight`, `${p}mlp.c_proj.bias`)]);
	}
	const final = layerNorm(b, h, 'transformer.ln_f', config.layerNormEpsilon);
	const head = b.op('Transpose', ['transformer.wte.weight'], {perm: attr.ints([1, 0])});
	b.opInto('logits', 'MatMul', [final, head]);
	return model;
}

function layerNorm(b: GraphBuilder, x: string, prefix: string, epsilon: number): string {
	return b.op('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {axis: attr.int(-1), epsilon: attr.float(epsilon)});
}

/** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), from primitives the autodiff knows. */
function geluTanh(b: GraphBuilder, x: string, dtype: FloatDType): string {
	const cube = b.op('Mul', [x, b.op('Mul', [x, x])]);
	const inner = b.op('Add', [x, b.op('Mul', [cube, b.scalar(0.044715, dtype)])]);
	const t = b.op('Tanh', [b.op('Mul', [inner, b.scalar(Math.sqrt(2 / Math.PI), dtype)])]);
	const half = b.op('Mul', [x, b.scalar(0.5, dtype)]);
	return b.op('Mul', [half, b.op('Add', [t, b.scalar(1, dtype)])]);
}

/** The exact GELU 0.5 x (1 + erf(x / sqrt 2)) ("gelu" in transformers). */
function geluErf(b: GraphBuilder, x: string, dtype: FloatDType): string {
	const e = b.op('Erf', [b.op('Mul', [x, b.scalar(Math.SQRT1_2, dtype)])]);
	return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5, dtype)]), b.op('Add', [e, b.scalar(1, dtype)])]);
}
