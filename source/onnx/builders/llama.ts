/**
 * Llama as an ONNX graph laid out like Optimum's decoder export: RMSNorm, rotary position embeddings (HF's
 * rotate-half convention, cos/sin computed in-graph from position_ids), grouped-query attention and a SwiGLU MLP.
 */
import {attr, tensorOf, type Model, type Tensor} from '../ir.js';
import type {GraphBuilder} from '../graph-builder.js';
import {
	attention,
	attentionAllowed,
	builderFor,
	decoderModel,
	filledTensor,
	gaussian,
	installWeights,
	linear,
	normalTensor,
	seededRandom,
	splitHeads,
	type FloatDType,
} from './common.js';

/** A Llama style configuration (Hugging Face LlamaConfig, the fields the graph depends on). */
export type LlamaConfig = {
	/** Vocabulary size (rows of the token embedding, width of the logits). */
	vocabSize: number;
	/** Hidden size. */
	hiddenSize: number;
	/** Inner size of the SwiGLU MLP. */
	intermediateSize: number;
	/** Number of decoder layers. */
	numHiddenLayers: number;
	/** Number of query heads (hiddenSize must be a multiple; the head size must be even for RoPE). */
	numAttentionHeads: number;
	/** Number of key/value heads (a divisor of numAttentionHeads; fewer means grouped-query attention). */
	numKeyValueHeads: number;
	/** Maximum context length the model was trained for (recorded in config.json; RoPE itself has no table). */
	maxPositionEmbeddings: number;
	/** Epsilon of every RMSNorm. */
	rmsNormEps: number;
	/** RoPE base. */
	ropeTheta: number;
	/** Whether the LM head reuses model.embed_tokens.weight (else lm_head.weight is a separate weight). */
	tieWordEmbeddings: boolean;
	/** Beginning-of-sequence token id. */
	bosTokenId: number;
	/** End-of-sequence token id. */
	eosTokenId: number;
	/** Padding token id, when the tokenizer has one. */
	padTokenId?: number;
	/** Float type of the weights, the cache and the logits. */
	dtype: FloatDType;
};

/** The size of one attention head. */
export function llamaHeadDim(config: LlamaConfig): number {
	return config.hiddenSize / config.numAttentionHeads;
}

/** The Hugging Face parameter names of a Llama model and their shapes (nn.Linear layout: [out, in]). */
export function llamaWeightShapes(config: LlamaConfig): Map<string, number[]> {
	const d = config.hiddenSize;
	const kv = config.numKeyValueHeads * llamaHeadDim(config);
	const ff = config.intermediateSize;
	const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [config.vocabSize, d]]]);
	for (let i = 0; i < config.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		shapes.set(`${p}input_layernorm.weight`, [d]);
		shapes.set(`${p}self_attn.q_proj.weight`, [d, d]);
		shapes.set(`${p}self_attn.k_proj.weight`, [kv, d]);
		shapes.set(`${p}self_attn.v_proj.weight`, [kv, d]);
		shapes.set(`${p}self_attn.o_proj.weight`, [d, d]);
		shapes.set(`${p}post_attention_layernorm.weight`, [d]);
		shapes.set(`${p}mlp.gate_proj.weight`, [ff, d]);
		shapes.set(`${p}mlp.up_proj.weight`, [ff, d]);
		shapes.set(`${p}mlp.down_proj.weight`, [d, ff]);
	}
	shapes.set('model.norm.weight', [d]);
	if (!config.tieWordEmbeddings) {
		shapes.set('lm_head.weight', [config.vocabSize, d]);
	}
	return shapes;
}

/** Deterministic random weights: normal(0, 0.02) matrices and embeddings (HF's initializer_range), unit norms. */
export function randomLlamaWeights(config: LlamaConfig, seed = 0): Map<string, Tensor> {
	checkLlamaConfig(config);
	const normal = gaussian(seededRandom(seed));
	const weights = new Map<string, Tensor>();
	for (const [name, dims] of llamaWeightShapes(config)) {
		weights.set(name, name.endsWith('norm.weight') ? filledTensor(config.dtype, dims, 1) : normalTensor(config.dtype, dims, 0.02, normal));
	}
	return weights;
}

/** Throw on a configuration no Llama graph can have. */
export function checkLlamaConfig(config: LlamaConfig): void {
	const keys = ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads'] as const;
	for (const key of keys) {
		if (!Number.isInteger(config[key]) || config[key] <= 0) {
			throw new Error(`Llama config: ${key} must be a positive integer, got ${config[key]}`);
		}
	}
	if (config.hiddenSize % config.numAttentionHeads !== 0 || llamaHeadDim(config) % 2 !== 0) {
		throw new Error(`Llama config: hiddenSize ${config.hiddenSize} must split into ${config.numAttentionHeads} heads of even size`);
	}
	if (config.numAttentionHeads % config.numKeyValueHeads !== 0) {
		throw new Error(`Llama config: numAttentionHeads ${config.numAttentionHeads} is not a multiple of numKeyValueHeads ${config.numKeyValueHeads}`);
	}
	if (config.dtype !== 'float32' && config.dtype !== 'float64') {
		throw new Error(`Llama config: dtype must be float32 or float64, got ${String(config.dtype)}`);
	}
}

/** The Llama decoder graph (Optimum interface, opset 17) over `weights`, which become its initializers by name. */
export function buildLlama(config: LlamaConfig, weights: ReadonlyMap<string, Tensor>): Model {
	checkLlamaConfig(config);
	const headDim = llamaHeadDim(config);
	const heads = config.numAttentionHeads;
	const kvHeads = config.numKeyValueHeads;
	const eps = config.rmsNormEps;
	const model = decoderModel('llama', {numLayers: config.numHiddenLayers, numKvHeads: kvHeads, headDim, vocabSize: config.vocabSize, dtype: config.dtype});
	installWeights(model.graph, weights, llamaWeightShapes(config), config.dtype);
	const b = builderFor(model);
	const allowed = attentionAllowed(b);
	const rope = rotaryTables(b, config);

	let h = b.op('Gather', ['model.embed_tokens.weight', 'input_ids']);
	for (let i = 0; i < config.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		const a = rmsNorm(b, h, `${p}input_layernorm.weight`, eps, config.dtype);
		const q = applyRope(b, splitHeads(b, linear(b, a, `${p}self_attn.q_proj.weight`), heads, headDim), rope, headDim);
		const k = applyRope(b, splitHeads(b, linear(b, a, `${p}self_attn.k_proj.weight`), kvHeads, headDim), rope, headDim);
		const v = splitHeads(b, linear(b, a, `${p}self_attn.v_proj.weight`), kvHeads, headDim);
		const context = attention(b, q, k, v, {layer: i, numHeads: heads, numKvHeads: kvHeads, headDim, dtype: config.dtype, allowed});
		h = b.op('Add', [h, linear(b, context, `${p}self_attn.o_proj.weight`)]);
		const m = rmsNorm(b, h, `${p}post_attention_layernorm.weight`, eps, config.dtype);
		const gate = linear(b, m, `${p}mlp.gate_proj.weight`);
		const silu = b.op('Mul', [gate, b.op('Sigmoid', [gate])]);
		const inner = b.op('Mul', [silu, linear(b, m, `${p}mlp.up_proj.weight`)]);
		h = b.op('Add', [h, linear(b, inner, `${p}mlp.down_proj.weight`)]);
	}
	const final = rmsNorm(b, h, 'model.norm.weight', eps, config.dtype);
	const head = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
	b.opInto('logits', 'MatMul', [final, b.op('Transpose', [head], {perm: attr.ints([1, 0])})]);
	return model;
}

/** HF's LlamaRMSNorm: weight * x / sqrt(mean(x^2) + eps) over the last axis. */
function rmsNorm(b: GraphBuilder, x: string, weight: string, eps: number, dtype: FloatDType): string {
	const meanSquare = b.reduce('ReduceMean', b.op('Pow', [x, b.scalar(2, dtype)]), [-1], true);
	const rms = b.op('Sqrt', [b.op('Add', [meanSquare, b.scalar(eps, dtype)])]);
	return b.op('Mul', [weight, b.op('Div', [x, rms])]);
}

type Rope = {cos: string; sin: string};

/**
 * cos and sin [B, 1, S, headDim] of position_ids * inv_freq, the frequencies repeated for both halves as in HF.
 * Computed from the integer positions only, so no weight gradient flows through Cos/Sin.
 */
function rotaryTables(b: GraphBuilder, config: LlamaConfig): Rope {
	const headDim = llamaHeadDim(config);
	const invFreq = Array.from({length: headDim / 2}, (_, i) => 1 / config.ropeTheta ** ((2 * i) / headDim));
	const freqs = b.constant(tensorOf(config.dtype, [headDim], [...invFreq, ...invFreq]), 'rope_inv_freq');
	const positions = b.unsqueeze(b.cast('position_ids', config.dtype), [1, 3]); // [B, 1, S, 1]
	const angles = b.op('Mul', [positions, freqs]); // [B, 1, S, headDim]
	return {cos: b.op('Cos', [angles]), sin: b.op('Sin', [angles])};
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x2, x1) over the two halves of the head. */
function applyRope(b: GraphBuilder, x: string, rope: Rope, headDim: number): string {
	const [x1, x2] = b.split(x, 3, [headDim / 2, headDim / 2]);
	const rotated = b.op('Concat', [b.op('Neg', [x2!]), x1!], {axis: attr.int(3)});
	return b.op('Add', [b.op('Mul', [x, rope.cos]), b.op('Mul', [rotated, rope.sin])]);
}
