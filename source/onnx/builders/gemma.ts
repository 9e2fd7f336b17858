/**
 * Gemma and Gemma 2 (transformers' GemmaForCausalLM, Gemma2ForCausalLM) as ONNX decoder graphs: the token embedding
 * scaled by sqrt(hidden_size) after the lookup, RMSNorm computing x * (1 + w), a GeGLU MLP (tanh GELU), an explicit
 * head_dim, RoPE on whole heads and a head tied to the embedding. Gemma 2 adds norms after attention and around
 * the MLP, query_pre_attn_scalar scaling, attention and final logit soft-capping, and a sliding window on the
 * layers layer_types marks (every other one, from the first, by default). config.json reading is in gemma-config.ts.
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
import {gemma2ConfigJson, gemmaConfigJson, gemmaProblem, isGemma2, readGemma2Config, readGemmaConfig, type Gemma2Config, type GemmaConfig} from './gemma-config.js';
import {roundLikeTorch} from './hf-config.js';
import {activation, applyRotary, ropeInverseFrequencies, rmsNorm, rotaryTables} from './layers.js';

export type {Gemma2Config, Gemma2LayerType, GemmaConfig} from './gemma-config.js';

/** The embedding scale: sqrt(hiddenSize) rounded as transformers stores and casts it. */
export function gemmaEmbedScale(c: GemmaConfig): number {
	return roundLikeTorch(Math.sqrt(c.hiddenSize), c.embedScaleDtype);
}

function checkGemmaConfig(c: GemmaConfig): void {
	const problem = gemmaProblem(c);
	if (problem) {
		throw new Error(`Gemma config: ${problem[0]} ${problem[1]}`);
	}
}

/** Checkpoint tensor names and shapes (nn.Linear layout [out, in]). */
export function gemmaWeightShapes(c: GemmaConfig): Map<string, number[]> {
	const d = c.hiddenSize;
	const q = c.numAttentionHeads * c.headDim;
	const kv = c.numKeyValueHeads * c.headDim;
	const ff = c.intermediateSize;
	const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, d]]]);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		shapes.set(`${p}input_layernorm.weight`, [d]);
		shapes.set(`${p}self_attn.q_proj.weight`, [q, d]);
		shapes.set(`${p}self_attn.k_proj.weight`, [kv, d]);
		shapes.set(`${p}self_attn.v_proj.weight`, [kv, d]);
		shapes.set(`${p}self_attn.o_proj.weight`, [d, q]);
		shapes.set(`${p}post_attention_layernorm.weight`, [d]);
		if (isGemma2(c)) {
			shapes.set(`${p}pre_feedforward_layernorm.weight`, [d]);
			shapes.set(`${p}post_feedforward_layernorm.weight`, [d]);
		}
		shapes.set(`${p}mlp.gate_proj.weight`, [ff, d]);
		shapes.set(`${p}mlp.up_proj.weight`, [ff, d]);
		shapes.set(`${p}mlp.down_proj.weight`, [d, ff]);
	}
	shapes.set('model.norm.weight', [d]);
	if (!c.tieWordEmbeddings) {
		shapes.set('lm_head.weight', [c.vocabSize, d]);
	}
	return shapes;
}

/** The Gemma or Gemma 2 decoder graph (Optimum interface, opset 17) over `weights`, its initializers by name. */
export function buildGemma(c: GemmaConfig, weights: ReadonlyMap<string, Tensor>): Model {
	checkGemmaConfig(c);
	const {headDim, dtype} = c;
	const heads = c.numAttentionHeads;
	const kvHeads = c.numKeyValueHeads;
	const g2 = isGemma2(c) ? c : undefined;
	const model = decoderModel(g2 ? 'gemma2' : 'gemma', {numLayers: c.numHiddenLayers, numKvHeads: kvHeads, headDim, vocabSize: c.vocabSize, dtype});
	installWeights(model.graph, weights, gemmaWeightShapes(c), dtype);
	const b = builderFor(model);
	const norm = (x: string, weight: string) => rmsNorm(b, x, weight, c.rmsNormEps, dtype, true);
	const full = attentionAllowed(b);
	const sliding = g2?.slidingWindow === undefined ? full : attentionAllowed(b, g2.slidingWindow);
	const rope = rotaryTables(b, {rotaryDim: headDim, invFreq: ropeInverseFrequencies(c.ropeTheta, headDim), scale: 1, dtype});

	// The scale multiplies the lookup's output, so the judge's mask (on the Gather output) acts before it.
	let h = b.op('Mul', [b.op('Gather', ['model.embed_tokens.weight', 'input_ids']), b.scalar(gemmaEmbedScale(c), dtype)]);
	for (let i = 0; i < c.numHiddenLayers; i++) {
		const p = `model.layers.${i}.`;
		const a = norm(h, `${p}input_layernorm.weight`);
		const q = applyRotary(b, splitHeads(b, linear(b, a, `${p}self_attn.q_proj.weight`), heads, headDim), rope, headDim);
		const k = applyRotary(b, splitHeads(b, linear(b, a, `${p}self_attn.k_proj.weight`), kvHeads, headDim), rope, headDim);
		const v = splitHeads(b, linear(b, a, `${p}self_attn.v_proj.weight`), kvHeads, headDim);
		const context = attention(b, q, k, v, {
			layer: i,
			numHeads: heads,
			numKvHeads: kvHeads,
			headDim,
			dtype,
			allowed: g2?.layerTypes[i] === 'sliding_attention' ? sliding : full,
			...(g2 ? {scale: g2.queryPreAttnScalar ** -0.5} : {}),
			...(g2?.attnLogitSoftcapping === undefined ? {} : {softcap: g2.attnLogitSoftcapping}),
		});
		const attn = linear(b, context, `${p}self_attn.o_proj.weight`);
		h = b.op('Add', [h, g2 ? norm(attn, `${p}post_attention_layernorm.weight`) : attn]);
		const m = norm(h, g2 ? `${p}pre_feedforward_layernorm.weight` : `${p}post_attention_layernorm.weight`);
		const gate = activation(b, linear(b, m, `${p}mlp.gate_proj.weight`), c.hiddenActivation, dtype);
		const mlp = linear(b, b.op('Mul', [gate, linear(b, m, `${p}mlp.up_proj.weight`)]), `${p}mlp.down_proj.weight`);
		h = b.op('Add', [h, g2 ? norm(mlp, `${p}post_feedforward_layernorm.weight`) : mlp]);
	}
	const final = norm(h, 'model.norm.weight');
	const head = b.op('Transpose', [c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'], {perm: attr.ints([1, 0])});
	if (g2?.finalLogitSoftcapping === undefined) {
		b.opInto('logits', 'MatMul', [final, head]);
	} else {
		const cap = b.scalar(g2.finalLogitSoftcapping, dtype);
		b.opInto('logits', 'Mul', [b.op('Tanh', [b.op('Div', [b.op('MatMul', [final, head]), cap])]), cap]);
	}
	return model;
}

/**
 * Deterministic random weights: normal(0, 0.02) matrices and embeddings (HF's initializer_range) and zero norm
 * weights, which Gemma's 1 + w norms read as unit scales.
 */
export function randomGemmaWeights(c: GemmaConfig, seed = 0): Map<string, Tensor> {
	checkGemmaConfig(c);
	return randomWeights(gemmaWeightShapes(c), c.dtype, seed, name => (name.endsWith('norm.weight') ? {fill: 0} : undefined));
}

/** Hub checkpoints of both versions: inv_freq is a non-persistent buffer, but some older files saved it. */
const dropRotaryBuffers = (key: string): string | undefined => (key.endsWith('.rotary_emb.inv_freq') ? undefined : key);

/** Gemma for the checkpoint importer (config.json model_type "gemma"). */
export const gemmaArchitecture: Architecture<GemmaConfig> = {
	modelTypes: ['gemma'],
	readConfig: readGemmaConfig,
	configJson: gemmaConfigJson,
	weightShapes: gemmaWeightShapes,
	canonicalName: dropRotaryBuffers,
	build: buildGemma,
	randomWeights: randomGemmaWeights,
};

/** Gemma 2 for the checkpoint importer (config.json model_type "gemma2"). */
export const gemma2Architecture: Architecture<Gemma2Config> = {
	modelTypes: ['gemma2'],
	readConfig: readGemma2Config,
	configJson: gemma2ConfigJson,
	weightShapes: gemmaWeightShapes,
	canonicalName: dropRotaryBuffers,
	build: buildGemma,
	randomWeights: (c, seed) => randomGemmaWeights(c, seed),
};
