/**
 * Phi-3 (transformers' Phi3ForCausalLM) as an ONNX decoder graph: the Llama layout with a fused qkv_proj and a fused
 * gate_up_proj (split in-graph, on the projection outputs), RoPE on a partial_rotary_factor share of each head with
 * LongRoPE scaling ("longrope", formerly "su") when configured, and an optional sliding-window mask on every layer.
 */
import {attr, type Model, type Tensor} from '../ir.js';
import type {Architecture} from './architecture.js';
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
import {HfConfigReader} from './hf-config.js';
import {activation, applyRotary, ropeInverseFrequencies, rmsNorm, rotaryTables, type RotarySpec} from './layers.js';

/** LongRoPE scaling (rope_scaling type "longrope"; "su" and "yarn" are its older names in Phi3Config). */
export type Phi3RopeScaling = {
	/** The type as config.json names it (kept so the config round-trips). */
	type: 'longrope' | 'su' | 'yarn';
	/** Per-frequency divisors while positions fit original_max_position_embeddings (rotaryDim / 2 of them). */
	shortFactor: number[];
	/** Per-frequency divisors once a position reaches original_max_position_embeddings. */
	longFactor: number[];
	/** Factor on cos and sin; when absent, sqrt(1 + ln(s) / ln(original)) with s = max / original (1 if s <= 1). */
	attentionFactor?: number;
};

/** A Phi-3 configuration (Hugging Face Phi3Config, the fields the graph depends on). */
export type Phi3Config = {
	/** Vocabulary size (rows of the token embedding, width of the logits). */
	vocabSize: number;
	/** Hidden size. */
	hiddenSize: number;
	/** Inner size of the MLP (gate_up_proj has twice as many rows). */
	intermediateSize: number;
	/** Number of decoder layers. */
	numHiddenLayers: number;
	/** Number of query heads. */
	numAttentionHeads: number;
	/** Number of key/value heads (a divisor of numAttentionHeads). */
	numKeyValueHeads: number;
	/** Size of one head (config head_dim; hidden_size / num_attention_heads when absent). */
	headDim: number;
	/** Context length the model is configured for (with originalMaxPositionEmbeddings, sets the LongRoPE factor). */
	maxPositionEmbeddings: number;
	/** Context length of pre-training: LongRoPE switches to the long factors beyond it. */
	originalMaxPositionEmbeddings: number;
	/** Epsilon of every RMSNorm. */
	rmsNormEps: number;
	/** RoPE base. */
	ropeTheta: number;
	/** Share of each head that is rotated (rotary size = floor(headDim * factor), even). */
	partialRotaryFactor: number;
	/** LongRoPE scaling, when configured. */
	ropeScaling?: Phi3RopeScaling;
	/** Sliding attention window (keys within the last N positions), when configured. */
	slidingWindow?: number;
	/** MLP activation (config hidden_act; Phi-3 uses silu). */
	hiddenAct: 'silu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast';
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
};

/** Number of rotated dimensions per head. */
export function phi3RotaryDim(c: Phi3Config): number {
	return Math.floor(c.headDim * c.partialRotaryFactor);
}

/** LongRoPE's factor on cos and sin, as transformers computes it for Phi-3. */
export function phi3AttentionFactor(c: Phi3Config): number {
	if (!c.ropeScaling) {
		return 1;
	}
	if (c.ropeScaling.attentionFactor !== undefined) {
		return c.ropeScaling.attentionFactor;
	}
	const factor = c.maxPositionEmbeddings / c.originalMaxPositionEmbeddings;
	return factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(c.originalMaxPositionEmbeddings));
}

/** The first problem of a config no Phi-3 graph can have, as [config.json field, message]. */
export function phi3Problem(c: Phi3Config): [string, string] | undefined {
	const sizes = {vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numHiddenLayers, num_attention_heads: c.numAttentionHeads, num_key_value_heads: c.numKeyValueHeads, head_dim: c.headDim};
	for (const [key, v] of Object.entries(sizes)) {
		if (!Number.isInteger(v) || v <= 0) {
			return [key, `must be a positive integer, got ${v}`];
		}
	}
	if (c.numAttentionHeads % c.numKeyValueHeads !== 0) {
		return ['num_key_value_heads', `${c.numKeyValueHeads} does not divide num_attention_heads ${c.numAttentionHeads}`];
	}
	const r = phi3RotaryDim(c);
	if (r <= 0 || r % 2 !== 0 || c.partialRotaryFactor > 1) {
		return ['partial_rotary_factor', `must rotate an even number of each head's ${c.headDim} dimensions, got ${c.partialRotaryFactor} (${r})`];
	}
	if (c.ropeScaling) {
		for (const [key, f] of [['short_factor', c.ropeScaling.shortFactor], ['long_factor', c.ropeScaling.longFactor]] as const) {
			if (f.length !== r / 2) {
				return [`rope_scaling.${key}`, `expected ${r / 2} factors (rotary size ${r} / 2), got ${f.length}`];
			}
		}
	}
	if (c.dtype !== 'float32' && c.dtype !== 'float64') {
		return ['torch_dtype', `expected float32 or float64, got ${String(c.dtype)}`];
	}
	return undefined;
}

function checkPhi3Config(c: Phi3Config): void {
	const problem = phi3Problem(c);
	if (problem) {
		throw new Error(`Phi-3 config: ${problem[0]} ${problem[1]}`);
	}
}

/** Checkpoint tensor names and shapes (nn.Linear layout [out, in]). */
export function phi3WeightShapes(c: Phi3Config): Map<string, number[]> {
	const d = c.hiddenSize;
	const q = c.numAttentionHeads * c.headDim;
	const kv = c.numKeyValueHeads * c.headDim;
	const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, d]]]);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		shapes.set(`${p}input_layernorm.weight`, [d]);
		shapes.set(`${p}self_attn.qkv_proj.weight`, [q + 2 * kv, d]);
		shapes.set(`${p}self_attn.o_proj.weight`, [d, q]);
		shapes.set(`${p}post_attention_layernorm.weight`, [d]);
		shapes.set(`${p}mlp.gate_up_proj.weight`, [2 * c.intermediateSize, d]);
		shapes.set(`${p}mlp.down_proj.weight`, [d, c.intermediateSize]);
	}
	shapes.set('model.norm.weight', [d]);
	if (!c.tieWordEmbeddings) {
		shapes.set('lm_head.weight', [c.vocabSize, d]);
	}
	return shapes;
}

/** The rotary tables' recipe: short factors (or none) up to the original context, long ones beyond. */
export function phi3Rotary(c: Phi3Config): RotarySpec {
	const rotaryDim = phi3RotaryDim(c);
	const s = c.ropeScaling;
	return {
		rotaryDim,
		invFreq: ropeInverseFrequencies(c.ropeTheta, rotaryDim, s?.shortFactor),
		...(s ? {long: {invFreq: ropeInverseFrequencies(c.ropeTheta, rotaryDim, s.longFactor), originalMaxPositions: c.originalMaxPositionEmbeddings}} : {}),
		scale: phi3AttentionFactor(c),
		dtype: c.dtype,
	};
}

/** The Phi-3 decoder graph (Optimum interface, opset 17) over `weights`, which become its initializers by name. */
export function buildPhi3(c: Phi3Config, weights: ReadonlyMap<string, Tensor>): Model {
	checkPhi3Config(c);
	const {headDim, dtype} = c;
	const heads = c.numAttentionHeads;
	const kvHeads = c.numKeyValueHeads;
	const model = decoderModel('phi3', {numLayers: c.numHiddenLayers, numKvHeads: kvHeads, headDim, vocabSize: c.vocabSize, dtype});
	installWeights(model.graph, weights, phi3WeightShapes(c), dtype);
	const b = builderFor(model);
	const allowed = attentionAllowed(b, c.slidingWindow);
	const rope = rotaryTables(b, phi3Rotary(c));

	let h = b.op('Gather', ['model.embed_tokens.weight', 'input_ids']);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		const a = rmsNorm(b, h, `${p}input_layernorm.weight`, c.rmsNormEps, dtype);
		const qkv = linear(b, a, `${p}self_attn.qkv_proj.weight`);
		const [q, k, v] = b.split(qkv, 2, [heads * headDim, kvHeads * headDim, kvHeads * headDim]);
		const context = attention(b, applyRotary(b, splitHeads(b, q!, heads, headDim), rope, headDim), applyRotary(b, splitHeads(b, k!, kvHeads, headDim), rope, headDim), splitHeads(b, v!, kvHeads, headDim), {
			layer: i,
			numHeads: heads,
			numKvHeads: kvHeads,
			headDim,
			dtype,
			allowed,
		});
		h = b.op('Add', [h, linear(b, context, `${p}self_attn.o_proj.weight`)]);
		const m = rmsNorm(b, h, `${p}post_attention_layernorm.weight`, c.rmsNormEps, dtype);
		const [gate, up] = b.split(linear(b, m, `${p}mlp.gate_up_proj.weight`), 2, [c.intermediateSize, c.intermediateSize]);
		const inner = b.op('Mul', [up!, activation(b, gate!, c.hiddenAct, dtype)]);
		h = b.op('Add', [h, linear(b, inner, `${p}mlp.down_proj.weight`)]);
	}
	const final = rmsNorm(b, h, 'model.norm.weight', c.rmsNormEps, dtype);
	const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
	b.opInto('logits', 'MatMul', [final, b.op('Transpose', [head], {perm: attr.ints([1, 0])})]);
	return model;
}

/** Deterministic random weights: normal(0, 0.02) matrices and embeddings (HF's initializer_range), unit norms. */
export function randomPhi3Weights(c: Phi3Config, seed = 0): Map<string, Tensor> {
	checkPhi3Config(c);
	return randomWeights(phi3WeightShapes(c), c.dtype, seed, name => (name.endsWith('norm.weight') ? {fill: 1} : undefined));
}

const PHI3_ACTIVATIONS = ['silu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'] as const;

/** config.json to a Phi3Config with Phi3Config's defaults; anything unsupported is a UserError naming the field. */
export function readPhi3Config(json: Record<string, unknown>, file: string): Phi3Config {
	const r: HfConfigReader = new HfConfigReader(json, file);
	const hiddenSize = r.int('hidden_size', 3072);
	const numAttentionHeads = r.int('num_attention_heads', 32);
	const hiddenAct = r.str('hidden_act', 'silu');
	if (!(PHI3_ACTIVATIONS as readonly string[]).includes(hiddenAct)) {
		r.fail('hidden_act', `expected one of ${PHI3_ACTIVATIONS.join(', ')}, got ${JSON.stringify(hiddenAct)}`);
	}
	const rope = r.rope({theta: 10000, partialRotaryFactor: 1});
	let ropeScaling: Phi3RopeScaling | undefined;
	if (rope.type === 'longrope' || rope.type === 'su' || rope.type === 'yarn') {
		const s = rope.scaling!;
		ropeScaling = {type: rope.type, shortFactor: s.numbers('short_factor'), longFactor: s.numbers('long_factor'), ...(s.has('attention_factor') ? {attentionFactor: s.num('attention_factor')} : {})};
	} else if (rope.type !== 'default') {
		r.failField(rope.typeField, `expected "longrope" (or its older names "su", "yarn") or no scaling, got ${JSON.stringify(rope.type)}`);
	}
	const config: Phi3Config = {
		...r.padTokenId(32000),
		vocabSize: r.int('vocab_size', 32064),
		hiddenSize,
		intermediateSize: r.int('intermediate_size', 8192),
		numHiddenLayers: r.int('num_hidden_layers', 32),
		numAttentionHeads,
		numKeyValueHeads: r.int('num_key_value_heads', numAttentionHeads),
		headDim: r.int('head_dim', Math.floor(hiddenSize / numAttentionHeads)),
		maxPositionEmbeddings: r.int('max_position_embeddings', 4096),
		originalMaxPositionEmbeddings: r.int('original_max_position_embeddings', rope.scaling?.has('original_max_position_embeddings') ? rope.scaling.int('original_max_position_embeddings') : 4096),
		rmsNormEps: r.num('rms_norm_eps', 1e-5),
		ropeTheta: rope.theta,
		partialRotaryFactor: rope.partialRotaryFactor,
		...(ropeScaling ? {ropeScaling} : {}),
		...(r.has('sliding_window') ? {slidingWindow: r.int('sliding_window')} : {}),
		hiddenAct: hiddenAct as Phi3Config['hiddenAct'],
		tieWordEmbeddings: r.bool('tie_word_embeddings', false),
		bosTokenId: r.tokenId('bos_token_id', 1),
		eosTokenId: r.tokenId('eos_token_id', 32000),
		dtype: r.dtype(),
	};
	const problem = phi3Problem(config);
	if (problem) {
		r.failField(problem[0], problem[1]);
	}
	return config;
}


/** The config.json transformers writes for `c` (transformers 4 keys, as hub checkpoints have them). */
export function phi3ConfigJson(c: Phi3Config): Record<string, unknown> {
	const s = c.ropeScaling;
	return {
		architectures: ['Phi3ForCausalLM'],
		model_type: 'phi3',
		vocab_size: c.vocabSize,
		hidden_size: c.hiddenSize,
		intermediate_size: c.intermediateSize,
		num_hidden_layers: c.numHiddenLayers,
		num_attention_heads: c.numAttentionHeads,
		num_key_value_heads: c.numKeyValueHeads,
		...(c.headDim === Math.floor(c.hiddenSize / c.numAttentionHeads) ? {} : {head_dim: c.headDim}),
		hidden_act: c.hiddenAct,
		max_position_embeddings: c.maxPositionEmbeddings,
		original_max_position_embeddings: c.originalMaxPositionEmbeddings,
		rms_norm_eps: c.rmsNormEps,
		rope_theta: c.ropeTheta,
		...(c.partialRotaryFactor === 1 ? {} : {partial_rotary_factor: c.partialRotaryFactor}),
		rope_scaling: s ? {type: s.type, short_factor: s.shortFactor, long_factor: s.longFactor, ...(s.attentionFactor === undefined ? {} : {attention_factor: s.attentionFactor})} : null,
		sliding_window: c.slidingWindow ?? null,
		tie_word_embeddings: c.tieWordEmbeddings,
		bos_token_id: c.bosTokenId,
		eos_token_id: c.eosTokenId,
		pad_token_id: c.padTokenId ?? null,
		attention_dropout: 0.0,
		embd_pdrop: 0.0,
		resid_pdrop: 0.0,
		initializer_range: 0.02,
		use_cache: true,
		torch_dtype: c.dtype,
	};
}

/** Phi-3 for the checkpoint importer (config.json model_type "phi3"). */
export const phi3Architecture: Architecture<Phi3Config> = {
	modelTypes: ['phi3'],
	readConfig: readPhi3Config,
	configJson: phi3ConfigJson,
	weightShapes: phi3WeightShapes,
	// inv_freq is a non-persistent buffer, but some older checkpoints saved it.
	canonicalName: key => (key.endsWith('.rotary_emb.inv_freq') ? undefined : key),
	build: buildPhi3,
	randomWeights: randomPhi3Weights,
};
