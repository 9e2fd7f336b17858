/**
 * Llama as an ONNX graph laid out like Optimum's decoder export: RMSNorm, rotary position embeddings (HF's
 * rotate-half convention, cos/sin computed in-graph from position_ids), grouped-query attention and a SwiGLU MLP.
 * The variants of the same decoder are options: q/k/v (and o) biases (Qwen2), RMSNorm of each query and key head
 * (Qwen3), an explicit head size, RoPE frequency scaling (Llama 3.x) and a sliding attention window (Mistral).
 * Without them the graph is exactly the plain Llama one.
 */
import {attr, tensorOf, type Model, type Tensor} from '../ir.js';
import type {GraphBuilder} from '../graph-builder.js';
import {
	attention,
	attentionAllowed,
	builderFor,
	decoderModel,
	installWeights,
	linear,
	splitHeads,
	type FloatDType,
	randomWeights,
} from './common.js';

/** RoPE frequency scaling: "linear" divides every frequency; "llama3" divides the low ones (Llama 3.1+). */
export type RopeScaling =
	| {type: 'linear'; factor: number}
	| {type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number};

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
	/** Number of query heads (hiddenSize must be a multiple unless headDim is given; the head size must be even). */
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
	/** Size of one head when it is not hiddenSize / numAttentionHeads (Qwen3, some Mistral models). */
	headDim?: number;
	/** Biases of the attention projections: "qkv" (Qwen2) or "qkvo" (Llama's attention_bias). */
	attentionBias?: 'qkv' | 'qkvo';
	/** Biases of the MLP projections (Llama's mlp_bias). */
	mlpBias?: boolean;
	/** RMSNorm over each query and key head before RoPE (Qwen3's q_norm / k_norm, weights [headDim]). */
	qkNorm?: boolean;
	/** RoPE frequency scaling (absent: none). */
	ropeScaling?: RopeScaling;
	/** Attention window: a query sees the keys less than this many positions back (absent: no window). */
	slidingWindow?: number;
	/** Layers that use the window (absent: all of them, when slidingWindow is set). */
	slidingLayers?: number[];
};

/** The size of one attention head. */
export function llamaHeadDim(config: LlamaConfig): number {
	return config.headDim ?? config.hiddenSize / config.numAttentionHeads;
}

/** The Hugging Face parameter names of a Llama model and their shapes (nn.Linear layout: [out, in]). */
export function llamaWeightShapes(config: LlamaConfig): Map<string, number[]> {
	const d = config.hiddenSize;
	const hd = llamaHeadDim(config);
	const q = config.numAttentionHeads * hd;
	const kv = config.numKeyValueHeads * hd;
	const ff = config.intermediateSize;
	const bias = config.attentionBias;
	const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [config.vocabSize, d]]]);
	for (let i = 0; i < config.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		const add = (name: string, dims: number[], withBias = false) => {
			shapes.set(`${p}${name}.weight`, dims);
			if (withBias) shapes.set(`${p}${name}.bias`, [dims[0]!]);
		};
		add('input_layernorm', [d]);
		add('self_attn.q_proj', [q, d], bias !== undefined);
		add('self_attn.k_proj', [kv, d], bias !== undefined);
		add('self_attn.v_proj', [kv, d], bias !== undefined);
		add('self_attn.o_proj', [d, q], bias === 'qkvo');
		if (config.qkNorm) {
			add('self_attn.q_norm', [hd]);
			add('self_attn.k_norm', [hd]);
		}
		add('post_attention_layernorm', [d]);
		add('mlp.gate_proj', [ff, d], config.mlpBias);
		add('mlp.up_proj', [ff, d], config.mlpBias);
		add('mlp.down_proj', [d, ff], config.mlpBias);
	}
	shapes.set('model.norm.weight', [d]);
	if (!config.tieWordEmbeddings) {
		shapes.set('lm_head.weight', [config.vocabSize, d]);
	}
	return shapes;
}

/** Deterministic random weights: normal(0, 0.02) matrices and embeddings (HF's initializer_range), unit norms, zero biases. */
export function randomLlamaWeights(config: LlamaConfig, seed = 0): Map<string, Tensor> {
	checkLlamaConfig(config);
	return randomWeights(llamaWeightShapes(config), config.dtype, seed, name => (name.endsWith('norm.weight') ? {fill: 1} : name.endsWith('.bias') ? {fill: 0} : undefined));
}

/** Throw on a configuration no Llama graph can have. */
export function checkLlamaConfig(config: LlamaConfig): void {
	const keys = ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads'] as const;
	for (const key of keys) {
		if (!Number.isInteger(config[key]) || config[key] <= 0) {
			throw new Error(`Llama config: ${key} must be a positive integer, got ${config[key]}`);
		}
	}
	if (config.headDim !== undefined) {
		if (!Number.isInteger(config.headDim) || config.headDim <= 0 || config.headDim % 2 !== 0) {
			throw new Error(`Llama config: headDim must be a positive even integer, got ${config.headDim}`);
		}
	} else if (config.hiddenSize % config.numAttentionHeads !== 0 || llamaHeadDim(config) % 2 !== 0) {
		throw new Error(`Llama config: hiddenSize ${config.hiddenSize} must split into ${config.numAttentionHeads} heads of even size`);
	}
	if (config.numAttentionHeads % config.numKeyValueHeads !== 0) {
		throw new Error(`Llama config: numAttentionHeads ${config.numAttentionHeads} is not a multiple of numKeyValueHeads ${config.numKeyValueHeads}`);
	}
	if (config.dtype !== 'float32' && config.dtype !== 'float64') {
		throw new Error(`Llama config: dtype must be float32 or float64, got ${String(config.dtype)}`);
	}
	if (config.slidingWindow !== undefined && (!Number.isInteger(config.slidingWindow) || config.slidingWindow <= 0)) {
		throw new Error(`Llama config: slidingWindow must be a positive integer, got ${config.slidingWindow}`);
	}
}

/** The Llama decoder graph (Optimum interface, opset 17) over `weights`, which become its initializers by name. */
export function buildLlama(config: LlamaConfig, weights: ReadonlyMap<string, Tensor>): Model {
	checkLlamaConfig(config);
	const headDim = llamaHeadDim(config);
	const heads = config.numAttentionHeads;
	const kvHeads = config.numKeyValueHeads;
	const eps = config.rmsNormEps;
	const dt = config.dtype;
	const model = decoderModel('llama', {numLayers: config.numHiddenLayers, numKvHeads: kvHeads, headDim, vocabSize: config.vocabSize, dtype: dt});
	installWeights(model.graph, weights, llamaWeightShapes(config), dt);
	const has = (name: string) => model.graph.initializers.has(name);
	const b = builderFor(model);
	const allowed = attentionAllowed(b);
	const windowed = config.slidingWindow === undefined ? undefined : slidingWindowAllowed(b, allowed, config.slidingWindow);
	const rope = rotaryTables(b, config);
	/** x times the projection's weight, plus its bias when the checkpoint has one. */
	const project = (x: string, name: string) => {
		const y = linear(b, x, `${name}.weight`);
		return has(`${name}.bias`) ? b.op('Add', [y, `${name}.bias`]) : y;
	};
	/** [B, S, n * headDim] to position-encoded heads [B, n, S, headDim], normalised per head first when asked. */
	const heads4 = (x: string, n: number, norm: string) => {
		const split = splitHeads(b, x, n, headDim);
		return applyRope(b, config.qkNorm ? rmsNorm(b, split, norm, eps, dt) : split, rope, headDim);
	};

	let h = b.op('Gather', ['model.embed_tokens.weight', 'input_ids']);
	for (let i = 0; i < config.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		const a = rmsNorm(b, h, `${p}input_layernorm.weight`, eps, dt);
		const q = heads4(project(a, `${p}self_attn.q_proj`), heads, `${p}self_attn.q_norm.weight`);
		const k = heads4(project(a, `${p}self_attn.k_proj`), kvHeads, `${p}self_attn.k_norm.weight`);
		const v = splitHeads(b, project(a, `${p}self_attn.v_proj`), kvHeads, headDim);
		const sliding = windowed && (config.slidingLayers === undefined || config.slidingLayers.includes(i));
		const context = attention(b, q, k, v, {layer: i, numHeads: heads, numKvHeads: kvHeads, headDim, dtype: dt, allowed: sliding ? windowed : allowed});
		h = b.op('Add', [h, project(context, `${p}self_attn.o_proj`)]);
		const m = rmsNorm(b, h, `${p}post_attention_layernorm.weight`, eps, dt);
		const gate = project(m, `${p}mlp.gate_proj`);
		const silu = b.op('Mul', [gate, b.op('Sigmoid', [gate])]);
		const inner = b.op('Mul', [silu, project(m, `${p}mlp.up_proj`)]);
		h = b.op('Add', [h, project(inner, `${p}mlp.down_proj`)]);
	}
	const final = rmsNorm(b, h, 'model.norm.weight', eps, dt);
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

/**
 * `allowed` narrowed to a sliding window: query i sees key j only when i - j < window (transformers' sliding
 * window mask), positions counted over past and new tokens alike. Index arithmetic only.
 */
function slidingWindowAllowed(b: GraphBuilder, allowed: string, window: number): string {
	const total = b.squeeze(b.op('Shape', ['attention_mask'], {start: attr.int(1), end: attr.int(2)}), [0]);
	const seq = b.squeeze(b.op('Shape', ['input_ids'], {start: attr.int(1), end: attr.int(2)}), [0]);
	const one = b.scalar(1, 'int64');
	const keyPos = b.op('Range', [b.scalar(0, 'int64'), total, one]); // [T]
	const queryPos = b.unsqueeze(b.op('Range', [b.op('Sub', [total, seq]), total, one]), [1]); // [S, 1]
	const near = b.op('Less', [b.op('Sub', [queryPos, keyPos]), b.scalar(window, 'int64')]); // [S, T]
	return b.op('And', [allowed, near]);
}

type Rope = {cos: string; sin: string};

/** RoPE inverse frequencies 1 / theta^(2i / headDim), rescaled as the config's rope scaling says. */
export function ropeInverseFrequencies(config: LlamaConfig): number[] {
	const headDim = llamaHeadDim(config);
	const base = Array.from({length: headDim / 2}, (_, i) => 1 / config.ropeTheta ** ((2 * i) / headDim));
	const s = config.ropeScaling;
	if (!s) return base;
	if (s.type === 'linear') return base.map(f => f / s.factor);
	// Llama 3: wavelengths longer than the original context / lowFreqFactor are divided by factor, shorter than
	// original / highFreqFactor kept, and those between interpolated smoothly.
	const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
	const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
	return base.map(f => {
		const wavelen = (2 * Math.PI) / f;
		if (wavelen < highWavelen) return f;
		if (wavelen > lowWavelen) return f / s.factor;
		const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
		return (1 - smooth) * (f / s.factor) + smooth * f;
	});
}

/**
 * cos and sin [B, 1, S, headDim] of position_ids * inv_freq, the frequencies repeated for both halves as in HF.
 * Computed from the integer positions only, so no weight gradient flows through Cos/Sin.
 */
function rotaryTables(b: GraphBuilder, config: LlamaConfig): Rope {
	const headDim = llamaHeadDim(config);
	const invFreq = ropeInverseFrequencies(config);
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
