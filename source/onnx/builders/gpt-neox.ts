/**
 * GPT-NeoX (transformers' GPTNeoXForCausalLM: Pythia, GPT-NeoX-20B, RedPajama-INCITE, ...) as an ONNX decoder
 * graph: LayerNorms with bias, a fused query_key_value projection laid out per head as [heads, 3, head_dim] (split
 * in-graph after a Reshape of its output), rotary embeddings on the first rotary_pct of each head, the parallel or
 * sequential residual, the exact (erf) GELU by default and a separate embed_out head.
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
	type FloatDType,
	randomWeights,
} from './common.js';
import {HfConfigReader} from './hf-config.js';
import {activation, applyRotary, isActivation, layerNorm, ropeInverseFrequencies, rotaryTables, type Activation} from './layers.js';

/** A GPT-NeoX configuration (Hugging Face GPTNeoXConfig, the fields the graph depends on). */
export type GptNeoxConfig = {
	/** Vocabulary size (rows of embed_in and embed_out). */
	vocabSize: number;
	/** Hidden size. */
	hiddenSize: number;
	/** Inner size of the MLP. */
	intermediateSize: number;
	/** Number of layers. */
	numHiddenLayers: number;
	/** Number of attention heads (hiddenSize must be a multiple). */
	numAttentionHeads: number;
	/** Share of each head that is rotated (config rotary_pct; rotary size floor(headDim * rotaryPct), even). */
	rotaryPct: number;
	/** RoPE base (config rotary_emb_base). */
	rotaryEmbBase: number;
	/** Maximum context length (recorded in config.json; RoPE itself has no table). */
	maxPositionEmbeddings: number;
	/** Epsilon of every LayerNorm. */
	layerNormEps: number;
	/** x + attn(ln1(x)) + mlp(ln2(x)) when true; x' = x + attn(ln1(x)), x' + mlp(ln2(x')) when false. */
	useParallelResidual: boolean;
	/** Whether query_key_value and dense have biases. */
	attentionBias: boolean;
	/** MLP activation (config hidden_act; "gelu" is the exact erf form). */
	hiddenAct: Activation;
	/** Whether the head reuses gpt_neox.embed_in.weight (else embed_out.weight, the usual case). */
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

/** Size of one head. */
export function gptNeoxHeadDim(c: GptNeoxConfig): number {
	return c.hiddenSize / c.numAttentionHeads;
}

/** Number of rotated dimensions per head (transformers: int(head_size * rotary_pct)). */
export function gptNeoxRotaryDim(c: GptNeoxConfig): number {
	return Math.floor(gptNeoxHeadDim(c) * c.rotaryPct);
}

/** The first problem of a config no GPT-NeoX graph can have, as [config.json field, message]. */
export function gptNeoxProblem(c: GptNeoxConfig): [string, string] | undefined {
	const sizes = {vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numHiddenLayers, num_attention_heads: c.numAttentionHeads};
	for (const [key, v] of Object.entries(sizes)) {
		if (!Number.isInteger(v) || v <= 0) {
			return [key, `must be a positive integer, got ${v}`];
		}
	}
	if (c.hiddenSize % c.numAttentionHeads !== 0) {
		return ['num_attention_heads', `${c.numAttentionHeads} does not divide hidden_size ${c.hiddenSize}`];
	}
	const r = gptNeoxRotaryDim(c);
	if (r <= 0 || r % 2 !== 0 || c.rotaryPct > 1) {
		return ['rotary_pct', `must rotate an even number of each head's ${gptNeoxHeadDim(c)} dimensions, got ${c.rotaryPct} (${r})`];
	}
	if (c.dtype !== 'float32' && c.dtype !== 'float64') {
		return ['torch_dtype', `expected float32 or float64, got ${String(c.dtype)}`];
	}
	return undefined;
}

function checkGptNeoxConfig(c: GptNeoxConfig): void {
	const problem = gptNeoxProblem(c);
	if (problem) {
		throw new Error(`GPT-NeoX config: ${problem[0]} ${problem[1]}`);
	}
}

/** Checkpoint tensor names and shapes (nn.Linear layout [out, in]). */
export function gptNeoxWeightShapes(c: GptNeoxConfig): Map<string, number[]> {
	const d = c.hiddenSize;
	const ff = c.intermediateSize;
	const shapes = new Map<string, number[]>([['gpt_neox.embed_in.weight', [c.vocabSize, d]]]);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `gpt_neox.layers.${i}.`;
		shapes.set(`${p}input_layernorm.weight`, [d]);
		shapes.set(`${p}input_layernorm.bias`, [d]);
		shapes.set(`${p}post_attention_layernorm.weight`, [d]);
		shapes.set(`${p}post_attention_layernorm.bias`, [d]);
		shapes.set(`${p}attention.query_key_value.weight`, [3 * d, d]);
		shapes.set(`${p}attention.dense.weight`, [d, d]);
		if (c.attentionBias) {
			shapes.set(`${p}attention.query_key_value.bias`, [3 * d]);
			shapes.set(`${p}attention.dense.bias`, [d]);
		}
		shapes.set(`${p}mlp.dense_h_to_4h.weight`, [ff, d]);
		shapes.set(`${p}mlp.dense_h_to_4h.bias`, [ff]);
		shapes.set(`${p}mlp.dense_4h_to_h.weight`, [d, ff]);
		shapes.set(`${p}mlp.dense_4h_to_h.bias`, [d]);
	}
	shapes.set('gpt_neox.final_layer_norm.weight', [d]);
	shapes.set('gpt_neox.final_layer_norm.bias', [d]);
	if (!c.tieWordEmbeddings) {
		shapes.set('embed_out.weight', [c.vocabSize, d]);
	}
	return shapes;
}

/** The GPT-NeoX decoder graph (Optimum interface, opset 17) over `weights`, which become its initializers by name. */
export function buildGptNeox(c: GptNeoxConfig, weights: ReadonlyMap<string, Tensor>): Model {
	checkGptNeoxConfig(c);
	const {dtype} = c;
	const heads = c.numAttentionHeads;
	const headDim = gptNeoxHeadDim(c);
	const rotaryDim = gptNeoxRotaryDim(c);
	const model = decoderModel('gpt_neox', {numLayers: c.numHiddenLayers, numKvHeads: heads, headDim, vocabSize: c.vocabSize, dtype});
	installWeights(model.graph, weights, gptNeoxWeightShapes(c), dtype);
	const b = builderFor(model);
	const allowed = attentionAllowed(b);
	const rope = rotaryTables(b, {rotaryDim, invFreq: ropeInverseFrequencies(c.rotaryEmbBase, rotaryDim), scale: 1, dtype});
	const dense = (x: string, prefix: string, bias: boolean) => {
		const y = linear(b, x, `${prefix}.weight`);
		return bias ? b.op('Add', [y, `${prefix}.bias`]) : y;
	};
	const mlp = (x: string, p: string) => dense(activation(b, dense(x, `${p}mlp.dense_h_to_4h`, true), c.hiddenAct, dtype), `${p}mlp.dense_4h_to_h`, true);

	let h = b.op('Gather', ['gpt_neox.embed_in.weight', 'input_ids']);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `gpt_neox.layers.${i}.`;
		const a = layerNorm(b, h, `${p}input_layernorm`, c.layerNormEps);
		const qkv = dense(a, `${p}attention.query_key_value`, c.attentionBias);
		// Each head's slice of the output holds its query, key and value in turn: [B, S, heads, 3 * headDim].
		const perHead = b.op('Reshape', [qkv, b.int64s([0, 0, heads, 3 * headDim])]);
		const [q, k, v] = b.split(perHead, 3, [headDim, headDim, headDim]).map(x => b.op('Transpose', [x], {perm: attr.ints([0, 2, 1, 3])}));
		const context = attention(b, applyRotary(b, q!, rope, headDim), applyRotary(b, k!, rope, headDim), v!, {layer: i, numHeads: heads, numKvHeads: heads, headDim, dtype, allowed});
		const attn = dense(context, `${p}attention.dense`, c.attentionBias);
		if (c.useParallelResidual) {
			const m = mlp(layerNorm(b, h, `${p}post_attention_layernorm`, c.layerNormEps), p);
			h = b.op('Add', [b.op('Add', [m, attn]), h]);
		} else {
			const x = b.op('Add', [attn, h]);
			h = b.op('Add', [mlp(layerNorm(b, x, `${p}post_attention_layernorm`, c.layerNormEps), p), x]);
		}
	}
	const final = layerNorm(b, h, 'gpt_neox.final_layer_norm', c.layerNormEps);
	const head = c.tieWordEmbeddings ? 'gpt_neox.embed_in.weight' : 'embed_out.weight';
	b.opInto('logits', 'MatMul', [final, b.op('Transpose', [head], {perm: attr.ints([1, 0])})]);
	return model;
}

/** Deterministic random weights: normal(0, 0.02) matrices and embeddings, zero biases, unit LayerNorm scales. */
export function randomGptNeoxWeights(c: GptNeoxConfig, seed = 0): Map<string, Tensor> {
	checkGptNeoxConfig(c);
	return randomWeights(gptNeoxWeightShapes(c), c.dtype, seed, name => (/layer_?norm\.weight$/.test(name) ? {fill: 1} : name.endsWith('.bias') ? {fill: 0} : undefined));
}

/**
 * config.json to a GptNeoxConfig with GPTNeoXConfig's defaults: rotary_pct and rotary_emb_base (transformers 4) or
 * rope_parameters' partial_rotary_factor and rope_theta (transformers 5); no RoPE scaling.
 */
export function readGptNeoxConfig(json: Record<string, unknown>, file: string): GptNeoxConfig {
	const r: HfConfigReader = new HfConfigReader(json, file);
	const rope = r.rope({theta: 10000, partialRotaryFactor: 0.25, thetaKey: 'rotary_emb_base', partialKey: 'rotary_pct'});
	if (rope.type !== 'default') {
		r.failField(rope.typeField, `RoPE scaling is not supported for GPT-NeoX (expected none), got ${JSON.stringify(rope.type)}`);
	}
	const act = r.str('hidden_act', 'gelu');
	if (!isActivation(act)) {
		r.fail('hidden_act', `expected gelu, gelu_new, gelu_pytorch_tanh, gelu_fast or silu, got ${JSON.stringify(act)}`);
	}
	const config: GptNeoxConfig = {
		...r.padTokenId(),
		vocabSize: r.int('vocab_size', 50432),
		hiddenSize: r.int('hidden_size', 6144),
		intermediateSize: r.int('intermediate_size', 24576),
		numHiddenLayers: r.int('num_hidden_layers', 44),
		numAttentionHeads: r.int('num_attention_heads', 64),
		rotaryPct: rope.partialRotaryFactor,
		rotaryEmbBase: rope.theta,
		maxPositionEmbeddings: r.int('max_position_embeddings', 2048),
		layerNormEps: r.num('layer_norm_eps', 1e-5),
		useParallelResidual: r.bool('use_parallel_residual', true),
		attentionBias: r.bool('attention_bias', true),
		hiddenAct: act,
		tieWordEmbeddings: r.bool('tie_word_embeddings', false),
		bosTokenId: r.tokenId('bos_token_id', 0),
		eosTokenId: r.tokenId('eos_token_id', 2),
		dtype: r.dtype(),
	};
	const problem = gptNeoxProblem(config);
	if (problem) {
		r.failField(problem[0], problem[1]);
	}
	return config;
}

/** The config.json transformers writes for `c` (transformers 4 keys, as hub checkpoints have them). */
export function gptNeoxConfigJson(c: GptNeoxConfig): Record<string, unknown> {
	return {
		architectures: ['GPTNeoXForCausalLM'],
		model_type: 'gpt_neox',
		vocab_size: c.vocabSize,
		hidden_size: c.hiddenSize,
		intermediate_size: c.intermediateSize,
		num_hidden_layers: c.numHiddenLayers,
		num_attention_heads: c.numAttentionHeads,
		rotary_pct: c.rotaryPct,
		rotary_emb_base: c.rotaryEmbBase,
		max_position_embeddings: c.maxPositionEmbeddings,
		layer_norm_eps: c.layerNormEps,
		use_parallel_residual: c.useParallelResidual,
		attention_bias: c.attentionBias,
		hidden_act: c.hiddenAct,
		tie_word_embeddings: c.tieWordEmbeddings,
		bos_token_id: c.bosTokenId,
		eos_token_id: c.eosTokenId,
		...(c.padTokenId === undefined ? {} : {pad_token_id: c.padTokenId}),
		attention_dropout: 0.0,
		hidden_dropout: 0.0,
		initializer_range: 0.02,
		use_cache: true,
		torch_dtype: c.dtype,
	};
}

/**
 * Buffers some GPT-NeoX checkpoints saved (the causal mask attention.bias, attention.masked_bias and
 * rotary_emb.inv_freq, all rebuilt by the graph) are dropped; every other key is kept.
 */
export function gptNeoxCanonicalName(key: string): string | undefined {
	return /\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/.test(key) ? undefined : key;
}

/** GPT-NeoX for the checkpoint importer (config.json model_type "gpt_neox"). */
export const gptNeoxArchitecture: Architecture<GptNeoxConfig> = {
	modelTypes: ['gpt_neox'],
	readConfig: readGptNeoxConfig,
	configJson: gptNeoxConfigJson,
	weightShapes: gptNeoxWeightShapes,
	canonicalName: gptNeoxCanonicalName,
	build: buildGptNeox,
	randomWeights: randomGptNeoxWeights,
};
