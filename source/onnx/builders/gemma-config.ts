/**
 * Gemma and Gemma 2 configurations: the builder config types, reading config.json with GemmaConfig's and
 * Gemma2Config's defaults (a UserError naming the field for anything unsupported), and writing it back as
 * transformers does.
 */
import {HfConfigReader, type HalfDType} from './hf-config.js';
import type {FloatDType} from './common.js';
import {isActivation, type Activation} from './layers.js';

/** A Gemma configuration (Hugging Face GemmaConfig, the fields the graph depends on). */
export type GemmaConfig = {
	/** Vocabulary size (rows of the token embedding, width of the logits). */
	vocabSize: number;
	/** Hidden size (the embedding is scaled by its square root). */
	hiddenSize: number;
	/** Inner size of the GeGLU MLP. */
	intermediateSize: number;
	/** Number of decoder layers. */
	numHiddenLayers: number;
	/** Number of query heads. */
	numAttentionHeads: number;
	/** Number of key/value heads (a divisor of numAttentionHeads). */
	numKeyValueHeads: number;
	/** Size of one head (explicit: heads * headDim need not equal hiddenSize). */
	headDim: number;
	/** Maximum context length (recorded in config.json; RoPE itself has no table). */
	maxPositionEmbeddings: number;
	/** Epsilon of every RMSNorm. */
	rmsNormEps: number;
	/** RoPE base. */
	ropeTheta: number;
	/** Activation of the MLP gate (config hidden_activation; the tanh GELU "gelu_pytorch_tanh" in every Gemma). */
	hiddenActivation: Activation;
	/** Whether the LM head reuses model.embed_tokens.weight (else lm_head.weight). */
	tieWordEmbeddings: boolean;
	/** Beginning-of-sequence token id. */
	bosTokenId: number;
	/** End-of-sequence token id. */
	eosTokenId: number;
	/** Padding token id, when the model has one. */
	padTokenId?: number;
	/** Float type of the weights, the cache and the logits. */
	dtype: FloatDType;
	/**
	 * The checkpoint's storage type when it is bfloat16 or float16: transformers runs the model in that type, so
	 * its sqrt(hidden_size) embedding scale is rounded to it (45.25 instead of 45.2548 for 2048 in bfloat16).
	 */
	embedScaleDtype?: HalfDType;
};

/** Which attention a Gemma 2 layer uses (config layer_types). */
export type Gemma2LayerType = 'sliding_attention' | 'full_attention';

/** A Gemma 2 configuration: Gemma's fields and those of Gemma2Config the graph depends on. */
export type Gemma2Config = GemmaConfig & {
	/** Scores are scaled by queryPreAttnScalar^-0.5 (instead of headDim^-0.5). */
	queryPreAttnScalar: number;
	/** Attention scores become cap * tanh(score / cap) before the mask; none when absent. */
	attnLogitSoftcapping?: number;
	/** Logits become cap * tanh(logits / cap); none when absent. */
	finalLogitSoftcapping?: number;
	/** Window of the sliding-attention layers; when absent every layer attends to the full context. */
	slidingWindow?: number;
	/** Attention type of each layer. */
	layerTypes: Gemma2LayerType[];
};

/** True for a Gemma 2 config. */
export function isGemma2(c: GemmaConfig): c is Gemma2Config {
	return 'queryPreAttnScalar' in c;
}

/** The default layer_types: sliding on even layers (transformers: layer_idx % 2 == 0), full on odd ones. */
export function defaultGemma2LayerTypes(numLayers: number): Gemma2LayerType[] {
	return Array.from({length: numLayers}, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
}

/** The first problem of a config no Gemma graph can have, as [config.json field, message]. */
export function gemmaProblem(c: GemmaConfig): [string, string] | undefined {
	const sizes = {vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numHiddenLayers, num_attention_heads: c.numAttentionHeads, num_key_value_heads: c.numKeyValueHeads, head_dim: c.headDim};
	for (const [key, v] of Object.entries(sizes)) {
		if (!Number.isInteger(v) || v <= 0) {
			return [key, `must be a positive integer, got ${v}`];
		}
	}
	if (c.numAttentionHeads % c.numKeyValueHeads !== 0) {
		return ['num_key_value_heads', `${c.numKeyValueHeads} does not divide num_attention_heads ${c.numAttentionHeads}`];
	}
	if (c.headDim % 2 !== 0) {
		return ['head_dim', `must be even for rotary embeddings, got ${c.headDim}`];
	}
	if (c.dtype !== 'float32' && c.dtype !== 'float64') {
		return ['torch_dtype', `expected float32 or float64, got ${String(c.dtype)}`];
	}
	if (isGemma2(c)) {
		if (c.layerTypes.length !== c.numHiddenLayers || c.layerTypes.some(t => t !== 'sliding_attention' && t !== 'full_attention')) {
			return ['layer_types', `expected ${c.numHiddenLayers} entries, each "sliding_attention" or "full_attention"`];
		}
		if (!(c.queryPreAttnScalar > 0)) {
			return ['query_pre_attn_scalar', `must be positive, got ${c.queryPreAttnScalar}`];
		}
	}
	return undefined;
}

/** The fields both versions read the same way. */
function readCommon(r: HfConfigReader, defaults: {hidden: number; intermediate: number; layers: number; heads: number; kvHeads: number}, act: Activation): GemmaConfig {
	const rope = r.rope({theta: 10000, partialRotaryFactor: 1});
	if (rope.type !== 'default') {
		r.failField(rope.typeField, `RoPE scaling is not supported for Gemma (expected none), got ${JSON.stringify(rope.type)}`);
	}
	if (rope.partialRotaryFactor !== 1) {
		r.failField('partial_rotary_factor', `Gemma rotates whole heads (expected 1), got ${rope.partialRotaryFactor}`);
	}
	if (r.bool('attention_bias', false)) {
		r.fail('attention_bias', 'biases in the attention projections are not supported (expected false)');
	}
	if (r.raw('use_bidirectional_attention') === true) {
		r.fail('use_bidirectional_attention', 'only causal (decoder) Gemma models can be judges (expected false)');
	}
	const half = r.halfDtype();
	return {
		...r.padTokenId(0),
		vocabSize: r.int('vocab_size', 256000),
		hiddenSize: r.int('hidden_size', defaults.hidden),
		intermediateSize: r.int('intermediate_size', defaults.intermediate),
		numHiddenLayers: r.int('num_hidden_layers', defaults.layers),
		numAttentionHeads: r.int('num_attention_heads', defaults.heads),
		numKeyValueHeads: r.int('num_key_value_heads', defaults.kvHeads),
		headDim: r.int('head_dim', 256),
		maxPositionEmbeddings: r.int('max_position_embeddings', 8192),
		rmsNormEps: r.num('rms_norm_eps', 1e-6),
		ropeTheta: rope.theta,
		hiddenActivation: act,
		tieWordEmbeddings: r.bool('tie_word_embeddings', true),
		bosTokenId: r.tokenId('bos_token_id', 2),
		eosTokenId: r.tokenId('eos_token_id', 1),
		dtype: r.dtype(),
		...(half ? {embedScaleDtype: half} : {}),
	};
}

function activationAt(r: HfConfigReader, key: string, fallback: string): Activation {
	const v = r.str(key, fallback);
	if (!isActivation(v)) {
		r.fail(key, `expected gelu_pytorch_tanh, gelu_new, gelu_fast, gelu or silu, got ${JSON.stringify(v)}`);
	}
	return v;
}

function checked<C extends GemmaConfig>(r: HfConfigReader, c: C): C {
	const problem = gemmaProblem(c);
	if (problem) {
		r.failField(problem[0], problem[1]);
	}
	return c;
}

/**
 * config.json to a GemmaConfig with GemmaConfig's defaults. The MLP activation is hidden_activation when given;
 * otherwise the tanh GELU, as transformers 4 decided for Gemma (the first hub configs say hidden_act "gelu" although
 * the models were trained with the approximation); another explicit hidden_act is taken as written.
 */
export function readGemmaConfig(json: Record<string, unknown>, file: string): GemmaConfig {
	const r: HfConfigReader = new HfConfigReader(json, file);
	const act = r.has('hidden_activation') ? activationAt(r, 'hidden_activation', 'gelu_pytorch_tanh') : r.raw('hidden_act') === 'gelu' ? 'gelu_pytorch_tanh' : activationAt(r, 'hidden_act', 'gelu_pytorch_tanh');
	return checked(r, readCommon(r, {hidden: 3072, intermediate: 24576, layers: 28, heads: 16, kvHeads: 16}, act));
}

/** A positive number; absent gives `fallback`, null gives undefined (transformers' None: the feature is off). */
function defaultOrNone(r: HfConfigReader, key: string, fallback: number): number | undefined {
	return r.raw(key) === undefined ? fallback : r.optionalPositive(key);
}

/** config.json to a Gemma2Config with Gemma2Config's defaults. */
export function readGemma2Config(json: Record<string, unknown>, file: string): Gemma2Config {
	const r: HfConfigReader = new HfConfigReader(json, file);
	const common = readCommon(r, {hidden: 2304, intermediate: 9216, layers: 26, heads: 8, kvHeads: 4}, activationAt(r, 'hidden_activation', 'gelu_pytorch_tanh'));
	const types = r.raw('layer_types');
	if (types !== undefined && types !== null && !Array.isArray(types)) {
		r.fail('layer_types', `expected a list, got ${JSON.stringify(types)}`);
	}
	const attn = defaultOrNone(r, 'attn_logit_softcapping', 50);
	const final = defaultOrNone(r, 'final_logit_softcapping', 30);
	const window = defaultOrNone(r, 'sliding_window', 4096);
	if (window !== undefined && !Number.isInteger(window)) {
		r.fail('sliding_window', `expected a positive integer or null, got ${window}`);
	}
	return checked(r, {
		...common,
		queryPreAttnScalar: r.num('query_pre_attn_scalar', 256),
		...(attn === undefined ? {} : {attnLogitSoftcapping: attn}),
		...(final === undefined ? {} : {finalLogitSoftcapping: final}),
		...(window === undefined ? {} : {slidingWindow: window}),
		layerTypes: Array.isArray(types) ? (types as Gemma2LayerType[]) : defaultGemma2LayerTypes(common.numHiddenLayers),
	});
}

/** The config.json transformers writes for a Gemma config (transformers 4 keys, as hub checkpoints have them). */
export function gemmaConfigJson(c: GemmaConfig): Record<string, unknown> {
	return {
		architectures: ['GemmaForCausalLM'],
		model_type: 'gemma',
		vocab_size: c.vocabSize,
		hidden_size: c.hiddenSize,
		intermediate_size: c.intermediateSize,
		num_hidden_layers: c.numHiddenLayers,
		num_attention_heads: c.numAttentionHeads,
		num_key_value_heads: c.numKeyValueHeads,
		head_dim: c.headDim,
		hidden_act: c.hiddenActivation,
		hidden_activation: c.hiddenActivation,
		max_position_embeddings: c.maxPositionEmbeddings,
		rms_norm_eps: c.rmsNormEps,
		rope_theta: c.ropeTheta,
		rope_scaling: null,
		attention_bias: false,
		attention_dropout: 0.0,
		initializer_range: 0.02,
		tie_word_embeddings: c.tieWordEmbeddings,
		bos_token_id: c.bosTokenId,
		eos_token_id: c.eosTokenId,
		pad_token_id: c.padTokenId ?? null,
		use_cache: true,
		torch_dtype: c.embedScaleDtype ?? c.dtype,
	};
}

/** The config.json transformers writes for a Gemma 2 config. */
export function gemma2ConfigJson(c: Gemma2Config): Record<string, unknown> {
	const {rope_scaling: _none, ...json} = gemmaConfigJson(c);
	return {
		...json,
		architectures: ['Gemma2ForCausalLM'],
		model_type: 'gemma2',
		query_pre_attn_scalar: c.queryPreAttnScalar,
		attn_logit_softcapping: c.attnLogitSoftcapping ?? null,
		final_logit_softcapping: c.finalLogitSoftcapping ?? null,
		sliding_window: c.slidingWindow ?? null,
		layer_types: c.layerTypes,
		cache_implementation: 'hybrid',
	};
}
