/**
 * GPT-2 as an Architecture: config.json to the GPT-2 builder's config and back, and checkpoint names. Checkpoints
 * store Conv1D weights [in, out] (the builder's layout), under `transformer.` (GPT2LMHeadModel) or bare `h.0...`
 * (the hub's original gpt2, saved from GPT2Model); the causal-mask buffers `attn.bias` / `attn.masked_bias` some
 * of them carry are dropped, and the head is always tied to `wte`.
 */
import {buildGpt2, checkGpt2Config, gpt2WeightShapes, randomGpt2Weights, type Gpt2Config} from '../onnx/builders/gpt2.js';
import type {Architecture} from '../onnx/builders/architecture.js';
import {ConfigReader} from './config-reader.js';

const ACTIVATIONS: Record<string, Gpt2Config['activation'] | 'tanh'> = {gelu_new: 'tanh', gelu_pytorch_tanh: 'tanh', gelu_fast: 'tanh', gelu: 'gelu'};

/** config.json of a GPT-2 model to the builder config. */
export function readGpt2Config(json: Record<string, unknown>, file: string): Gpt2Config {
	const r = new ConfigReader(json, file);
	const nEmbd = r.int('n_embd');
	const act = r.raw('activation_function') ?? 'gelu_new';
	const activation = typeof act === 'string' ? ACTIVATIONS[act] : undefined;
	if (!activation) {
		r.fail('activation_function', `expected one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${JSON.stringify(act)}`);
	}
	for (const [key, unsupported] of [['scale_attn_by_inverse_layer_idx', true], ['scale_attn_weights', false], ['add_cross_attention', true]] as const) {
		if (r.raw(key) === unsupported) r.fail(key, `${JSON.stringify(unsupported)} is not supported (expected ${JSON.stringify(!unsupported)})`);
	}
	if (r.raw('tie_word_embeddings') === false) r.fail('tie_word_embeddings', 'an untied GPT-2 head is not supported (expected true)');
	const nInner = r.optionalInt('n_inner');
	const config: Gpt2Config = {
		...r.optionalPad(),
		vocabSize: r.int('vocab_size'),
		nPositions: r.int('n_positions'),
		nEmbd,
		nLayer: r.int('n_layer'),
		nHead: r.int('n_head'),
		layerNormEpsilon: r.num('layer_norm_epsilon', 1e-5),
		bosTokenId: r.tokenId('bos_token_id', 50256),
		eosTokenId: r.tokenId('eos_token_id', 50256),
		dtype: r.dtype(),
	};
	if (nInner !== undefined && nInner !== 4 * nEmbd) config.nInner = nInner;
	if (activation === 'gelu') config.activation = 'gelu';
	try {
		checkGpt2Config(config);
	} catch (error) {
		r.fail('', (error as Error).message);
	}
	return config;
}

/** The config.json transformers writes for `config`. */
export function gpt2ConfigJson(config: Gpt2Config): Record<string, unknown> {
	const ids = {bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, ...(config.padTokenId === undefined ? {} : {pad_token_id: config.padTokenId})};
	return {
		architectures: ['GPT2LMHeadModel'],
		model_type: 'gpt2',
		vocab_size: config.vocabSize,
		n_positions: config.nPositions,
		n_ctx: config.nPositions,
		n_embd: config.nEmbd,
		n_layer: config.nLayer,
		n_head: config.nHead,
		n_inner: config.nInner ?? null,
		activation_function: config.activation ?? 'gelu_new',
		layer_norm_epsilon: config.layerNormEpsilon,
		tie_word_embeddings: true,
		...ids,
		torch_dtype: config.dtype,
	};
}

export const gpt2Architecture: Architecture<Gpt2Config> = {
	modelTypes: ['gpt2'],
	readConfig: readGpt2Config,
	configJson: gpt2ConfigJson,
	weightShapes: gpt2WeightShapes,
	canonicalName(key) {
		if (/(^|\.)attn\.(bias|masked_bias)$/.test(key) || key === 'lm_head.weight') return undefined;
		return /^(h\.\d+|wte|wpe|ln_f)\./.test(key) ? `transformer.${key}` : key;
	},
	build: buildGpt2,
	randomWeights: randomGpt2Weights,
};
