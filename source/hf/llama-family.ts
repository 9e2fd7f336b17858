/**
 * The Llama-style decoders that share one graph builder (source/onnx/builders/llama.ts): llama (SmolLM, TinyLlama,
 * Llama 3.x with `llama3` RoPE scaling), mistral (a sliding window), qwen2 (q/k/v biases) and qwen3 (q/k RMSNorm
 * per head, explicit head_dim). Each is an Architecture: config.json to builder config and back, checkpoint names.
 *
 * Sliding windows are built into the attention mask, except when the window is at least max_position_embeddings:
 * a judge never scores a text longer than that, so such a window never masks anything and is left out.
 */
import type {Model, Tensor} from '../onnx/ir.js';
import {buildLlama, checkLlamaConfig, llamaHeadDim, llamaWeightShapes, randomLlamaWeights, type LlamaConfig, type RopeScaling} from '../onnx/builders/llama.js';
import type {Architecture} from '../onnx/builders/architecture.js';
import {ConfigReader} from './config-reader.js';

type Variant = 'llama' | 'mistral' | 'qwen2' | 'qwen3';

const CLASS: Record<Variant, string> = {llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM'};
const MAX_POSITIONS: Record<Variant, number> = {llama: 2048, mistral: 131072, qwen2: 32768, qwen3: 32768};
/** RoPE types the builder implements. "dynamic" (NTK) equals the default up to max_position_embeddings, which a judge never exceeds. */
const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3'];

/** config.json of a Llama-family model to the builder config. */
export function readLlamaFamily(json: Record<string, unknown>, file: string, variant: Variant): LlamaConfig {
	const r = new ConfigReader(json, file);
	const hiddenSize = r.int('hidden_size');
	const numAttentionHeads = r.int('num_attention_heads');
	const numHiddenLayers = r.int('num_hidden_layers');
	if ((r.raw('hidden_act') ?? 'silu') !== 'silu') {
		r.fail('hidden_act', `only "silu" is supported, got ${JSON.stringify(r.raw('hidden_act'))}`);
	}
	const headDim = r.optionalInt('head_dim');
	const maxPositionEmbeddings = r.int('max_position_embeddings', MAX_POSITIONS[variant]);
	const rope = r.rope();
	const config: LlamaConfig = {
		...r.optionalPad(),
		vocabSize: r.int('vocab_size'),
		hiddenSize,
		intermediateSize: r.int('intermediate_size'),
		numHiddenLayers,
		numAttentionHeads,
		numKeyValueHeads: r.absent('num_key_value_heads') ? numAttentionHeads : r.int('num_key_value_heads'),
		maxPositionEmbeddings,
		rmsNormEps: r.num('rms_norm_eps', 1e-6),
		ropeTheta: rope.theta,
		tieWordEmbeddings: r.bool('tie_word_embeddings', false),
		bosTokenId: r.tokenId('bos_token_id', 1),
		eosTokenId: r.tokenId('eos_token_id', 2),
		dtype: r.dtype(),
	};
	if (headDim !== undefined && headDim * numAttentionHeads !== hiddenSize) config.headDim = headDim;
	const scaling = ropeScaling(r, rope);
	if (scaling) config.ropeScaling = scaling;
	if (variant === 'qwen2') {
		config.attentionBias = 'qkv';
	} else if (variant !== 'mistral' && r.bool('attention_bias', false)) {
		config.attentionBias = 'qkvo';
	}
	if (variant === 'llama' && r.bool('mlp_bias', false)) config.mlpBias = true;
	if (variant === 'qwen3') config.qkNorm = true;
	const window = slidingWindow(r, variant, numHiddenLayers);
	if (window && window.layers.length > 0 && window.size < maxPositionEmbeddings) {
		config.slidingWindow = window.size;
		if (window.layers.length < numHiddenLayers) config.slidingLayers = window.layers;
	}
	try {
		checkLlamaConfig(config);
	} catch (error) {
		r.fail('', (error as Error).message);
	}
	return config;
}

function ropeScaling(r: ConfigReader, rope: ReturnType<ConfigReader['rope']>): RopeScaling | undefined {
	const {type, params, field} = rope;
	if (!ROPE_TYPES.includes(type)) {
		r.fail(`${field}.rope_type`, `RoPE type ${JSON.stringify(type)} is not supported (supported: ${ROPE_TYPES.join(', ')})`);
	}
	if (type === 'linear') return {type, factor: r.nested(params, field, 'factor')};
	if (type === 'llama3') {
		return {
			type,
			factor: r.nested(params, field, 'factor'),
			lowFreqFactor: r.nested(params, field, 'low_freq_factor'),
			highFreqFactor: r.nested(params, field, 'high_freq_factor'),
			originalMaxPositionEmbeddings: r.nested(params, field, 'original_max_position_embeddings'),
		};
	}
	return undefined;
}

/** The window and the layers it applies to, per transformers: every layer for Mistral; Qwen's layer_types. */
function slidingWindow(r: ConfigReader, variant: Variant, layers: number): {size: number; layers: number[]} | undefined {
	if (variant === 'llama') return undefined;
	const size = r.optionalInt('sliding_window');
	if (size === undefined) return undefined;
	const all = Array.from({length: layers}, (_, i) => i);
	if (variant === 'mistral') return {size, layers: all};
	const types = r.raw('layer_types');
	if (Array.isArray(types)) {
		if (types.length !== layers || !types.every(t => t === 'full_attention' || t === 'sliding_attention')) {
			r.fail('layer_types', `expected ${layers} entries of "full_attention" or "sliding_attention"`);
		}
		return {size, layers: all.filter(i => types[i] === 'sliding_attention')};
	}
	if (!r.bool('use_sliding_window', false)) return undefined;
	const from = r.absent('max_window_layers') ? 0 : r.num('max_window_layers');
	return {size, layers: all.filter(i => i >= from)};
}

/** The config.json transformers 4 writes for `config` (top-level rope_theta and rope_scaling, torch_dtype). */
export function llamaFamilyConfigJson(config: LlamaConfig, variant: Variant): Record<string, unknown> {
	const ids = {bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, ...(config.padTokenId === undefined ? {} : {pad_token_id: config.padTokenId})};
	const s = config.ropeScaling;
	const scaling = !s ? null : s.type === 'linear' ? {rope_type: 'linear', factor: s.factor} : {rope_type: 'llama3', factor: s.factor, low_freq_factor: s.lowFreqFactor, high_freq_factor: s.highFreqFactor, original_max_position_embeddings: s.originalMaxPositionEmbeddings};
	const sliding = config.slidingWindow === undefined ? [] : (config.slidingLayers ?? Array.from({length: config.numHiddenLayers}, (_, i) => i));
	const json: Record<string, unknown> = {
		architectures: [CLASS[variant]],
		model_type: variant,
		vocab_size: config.vocabSize,
		hidden_size: config.hiddenSize,
		intermediate_size: config.intermediateSize,
		num_hidden_layers: config.numHiddenLayers,
		num_attention_heads: config.numAttentionHeads,
		num_key_value_heads: config.numKeyValueHeads,
		head_dim: llamaHeadDim(config),
		max_position_embeddings: config.maxPositionEmbeddings,
		rms_norm_eps: config.rmsNormEps,
		rope_theta: config.ropeTheta,
		rope_scaling: scaling,
		hidden_act: 'silu',
	};
	if (variant === 'llama' || variant === 'qwen3') json.attention_bias = config.attentionBias === 'qkvo';
	if (variant === 'llama') json.mlp_bias = config.mlpBias === true;
	if (variant === 'mistral') json.sliding_window = config.slidingWindow ?? null;
	if (variant === 'qwen2' || variant === 'qwen3') {
		Object.assign(json, {
			use_sliding_window: sliding.length > 0,
			sliding_window: config.slidingWindow ?? null,
			max_window_layers: sliding.length > 0 ? Math.min(...sliding) : config.numHiddenLayers,
			layer_types: Array.from({length: config.numHiddenLayers}, (_, i) => (sliding.includes(i) ? 'sliding_attention' : 'full_attention')),
		});
	}
	return {...json, tie_word_embeddings: config.tieWordEmbeddings, ...ids, torch_dtype: config.dtype};
}

/** What each variant must have, so a config written by configJson reads back to the same graph. */
function checkVariant(config: LlamaConfig, variant: Variant): void {
	const problem =
		variant === 'qwen2' && config.attentionBias !== 'qkv' ? 'Qwen2 has q/k/v biases (attentionBias "qkv")'
		: variant !== 'qwen2' && config.attentionBias === 'qkv' ? `${variant} has no q/k/v-only biases`
		: (variant === 'qwen3') !== (config.qkNorm === true) ? `qkNorm is ${variant === 'qwen3' ? 'required by' : 'only for'} qwen3`
		: variant !== 'llama' && config.mlpBias ? `${variant} has no MLP biases`
		: variant === 'mistral' && config.attentionBias ? 'Mistral has no attention biases'
		: variant === 'llama' && config.slidingWindow !== undefined ? 'Llama has no sliding window'
		: undefined;
	if (problem) throw new Error(`${variant} config: ${problem}`);
}

function architecture(variant: Variant): Architecture<LlamaConfig> {
	return {
		modelTypes: [variant],
		readConfig: (json, file) => readLlamaFamily(json, file, variant),
		configJson(config) {
			checkVariant(config, variant);
			return llamaFamilyConfigJson(config, variant);
		},
		weightShapes: config => llamaWeightShapes(config),
		canonicalName(key, config) {
			// Rotary buffers saved by old transformers, and an lm_head.weight saved beside a tied embedding (transformers
			// ties it to embed_tokens on load, ignoring the stored copy).
			if (key.endsWith('.rotary_emb.inv_freq') || (config.tieWordEmbeddings && key === 'lm_head.weight')) return undefined;
			// A bare decoder (LlamaModel rather than LlamaForCausalLM) saves its keys without the "model." prefix.
			return /^(embed_tokens|layers|norm)\./.test(key) ? `model.${key}` : key;
		},
		build(config: LlamaConfig, weights: ReadonlyMap<string, Tensor>): Model {
			checkVariant(config, variant);
			return buildLlama(config, weights);
		},
		randomWeights: (config, seed) => randomLlamaWeights(config, seed),
	};
}

export const llamaArchitecture = architecture('llama');
export const mistralArchitecture = architecture('mistral');
export const qwen2Architecture = architecture('qwen2');
export const qwen3Architecture = architecture('qwen3');
