/**
 * A built model as a Hugging Face style folder: model.onnx next to a config.json with the usual HF keys, so the
 * rest of the product loads it exactly like a downloaded Optimum export. readHubConfig turns a config.json (ours or
 * a real hub one) back into a builder config.
 */
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {UserError} from '../../errors.js';
import type {Model} from '../ir.js';
import {writeModel} from '../model-file.js';
import type {FloatDType} from './common.js';
import {checkGpt2Config, type Gpt2Config} from './gpt2.js';
import {checkLlamaConfig, type LlamaConfig} from './llama.js';

/** A model family with its builder config. */
export type HubConfig = {family: 'gpt2'; config: Gpt2Config} | {family: 'llama'; config: LlamaConfig};

/** True when `config` is a GPT-2 config (the two families share no size keys). */
export function isGpt2Config(config: Gpt2Config | LlamaConfig): config is Gpt2Config {
	return 'nEmbd' in config;
}

/** The config.json object Hugging Face writes for this config. */
export function hubConfigJson(config: Gpt2Config | LlamaConfig): Record<string, unknown> {
	const ids = {bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, ...(config.padTokenId === undefined ? {} : {pad_token_id: config.padTokenId})};
	if (isGpt2Config(config)) {
		return {
			architectures: ['GPT2LMHeadModel'],
			model_type: 'gpt2',
			vocab_size: config.vocabSize,
			n_positions: config.nPositions,
			n_ctx: config.nPositions,
			n_embd: config.nEmbd,
			n_layer: config.nLayer,
			n_head: config.nHead,
			n_inner: null,
			activation_function: 'gelu_new',
			layer_norm_epsilon: config.layerNormEpsilon,
			tie_word_embeddings: true,
			...ids,
			torch_dtype: config.dtype,
		};
	}
	return {
		architectures: ['LlamaForCausalLM'],
		model_type: 'llama',
		vocab_size: config.vocabSize,
		hidden_size: config.hiddenSize,
		intermediate_size: config.intermediateSize,
		num_hidden_layers: config.numHiddenLayers,
		num_attention_heads: config.numAttentionHeads,
		num_key_value_heads: config.numKeyValueHeads,
		head_dim: config.hiddenSize / config.numAttentionHeads,
		max_position_embeddings: config.maxPositionEmbeddings,
		rms_norm_eps: config.rmsNormEps,
		rope_theta: config.ropeTheta,
		rope_scaling: null,
		hidden_act: 'silu',
		attention_bias: false,
		mlp_bias: false,
		tie_word_embeddings: config.tieWordEmbeddings,
		...ids,
		torch_dtype: config.dtype,
	};
}

/** Write `dir`/model.onnx and `dir`/config.json, each atomically (temporary file, then rename). */
export function writeHubFolder(dir: string, model: Model, config: Gpt2Config | LlamaConfig): void {
	mkdirSync(dir, {recursive: true});
	writeModel(path.join(dir, 'model.onnx'), model);
	// config.json last: a folder with a config.json always has its model next to it.
	const file = path.join(dir, 'config.json');
	const tmp = `${file}.tmp-${process.pid}`;
	writeFileSync(tmp, `${JSON.stringify(hubConfigJson(config), null, 2)}\n`);
	renameSync(tmp, file);
}

/** Read `dir`/config.json into a family and builder config; a missing, malformed or unsupported one is a UserError. */
export function readHubConfig(dir: string): HubConfig {
	const file = path.join(dir, 'config.json');
	let json: unknown;
	try {
		json = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		const e = error as NodeJS.ErrnoException;
		throw new UserError(e.code === 'ENOENT' ? 'no config.json in the model folder' : `not valid JSON (${e.message})`, {file});
	}
	if (typeof json !== 'object' || json === null || Array.isArray(json)) {
		throw new UserError('expected a JSON object', {file});
	}
	const r = new Reader(json as Record<string, unknown>, file);
	const modelType = r.raw('model_type');
	try {
		if (modelType === 'gpt2') {
			return {family: 'gpt2', config: readGpt2(r)};
		}
		if (modelType === 'llama') {
			return {family: 'llama', config: readLlama(r)};
		}
	} catch (error) {
		throw error instanceof UserError ? error : new UserError((error as Error).message, {file});
	}
	throw new UserError(`expected "gpt2" or "llama", got ${JSON.stringify(modelType)}`, {file, field: 'model_type'});
}

function readGpt2(r: Reader): Gpt2Config {
	const nEmbd = r.int('n_embd');
	const act = r.raw('activation_function') ?? 'gelu_new';
	if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
		r.fail('activation_function', `only the tanh GELU ("gelu_new") is supported, got ${JSON.stringify(act)}`);
	}
	const inner = r.raw('n_inner');
	if (inner !== undefined && inner !== null && inner !== 4 * nEmbd) {
		r.fail('n_inner', `only 4 * n_embd (${4 * nEmbd}) is supported, got ${JSON.stringify(inner)}`);
	}
	const config: Gpt2Config = {
		...optionalPad(r),
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
	checkGpt2Config(config);
	return config;
}

function readLlama(r: Reader): LlamaConfig {
	const hiddenSize = r.int('hidden_size');
	const numAttentionHeads = r.int('num_attention_heads');
	const headDim = r.raw('head_dim');
	if (headDim !== undefined && headDim !== null && headDim !== hiddenSize / numAttentionHeads) {
		r.fail('head_dim', `only hidden_size / num_attention_heads (${hiddenSize / numAttentionHeads}) is supported, got ${JSON.stringify(headDim)}`);
	}
	if (r.raw('rope_scaling') !== undefined && r.raw('rope_scaling') !== null) {
		r.fail('rope_scaling', 'RoPE scaling is not supported (expected null)');
	}
	for (const key of ['attention_bias', 'mlp_bias']) {
		if (r.raw(key) === true) {
			r.fail(key, 'biases in attention or MLP projections are not supported (expected false)');
		}
	}
	if ((r.raw('hidden_act') ?? 'silu') !== 'silu') {
		r.fail('hidden_act', `only "silu" is supported, got ${JSON.stringify(r.raw('hidden_act'))}`);
	}
	const config: LlamaConfig = {
		...optionalPad(r),
		vocabSize: r.int('vocab_size'),
		hiddenSize,
		intermediateSize: r.int('intermediate_size'),
		numHiddenLayers: r.int('num_hidden_layers'),
		numAttentionHeads,
		numKeyValueHeads: r.raw('num_key_value_heads') === undefined || r.raw('num_key_value_heads') === null ? numAttentionHeads : r.int('num_key_value_heads'),
		maxPositionEmbeddings: r.int('max_position_embeddings', 2048),
		rmsNormEps: r.num('rms_norm_eps', 1e-6),
		ropeTheta: r.num('rope_theta', 10000),
		tieWordEmbeddings: r.bool('tie_word_embeddings', false),
		bosTokenId: r.tokenId('bos_token_id', 1),
		eosTokenId: r.tokenId('eos_token_id', 2),
		dtype: r.dtype(),
	};
	checkLlamaConfig(config);
	return config;
}

/** Typed access to config.json fields, with HF's defaults and messages that name the field. */
class Reader {
	constructor(
		private readonly json: Record<string, unknown>,
		private readonly file: string,
	) {}

	raw(key: string): unknown {
		return this.json[key];
	}

	fail(field: string, message: string): never {
		throw new UserError(message, {file: this.file, field});
	}

	num(key: string, fallback?: number): number {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'number' || !Number.isFinite(v)) {
			this.fail(key, v === undefined ? 'missing (expected a number)' : `expected a number, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	int(key: string, fallback?: number): number {
		const v = this.num(key, fallback);
		if (!Number.isInteger(v) || v <= 0) {
			this.fail(key, `expected a positive integer, got ${v}`);
		}
		return v;
	}

	bool(key: string, fallback: boolean): boolean {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'boolean') {
			this.fail(key, `expected true or false, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	/** A token id; HF allows a list for eos (several stop tokens), of which the first is the canonical one. */
	tokenId(key: string, fallback: number): number {
		return this.optionalTokenId(key) ?? fallback;
	}

	optionalTokenId(key: string): number | undefined {
		const raw = this.json[key];
		const v = Array.isArray(raw) ? raw[0] : raw;
		if (v === undefined || v === null) {
			return undefined;
		}
		if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
			this.fail(key, `expected a token id (a non-negative integer), got ${JSON.stringify(raw)}`);
		}
		return v;
	}

	/** float64 when the weights are float64; every other stored type (float16, bfloat16, float32) runs as float32. */
	dtype(): FloatDType {
		const v = this.json['torch_dtype'] ?? this.json['dtype'];
		return v === 'float64' ? 'float64' : 'float32';
	}
}

/** pad_token_id only when the config has one, so a config without it round-trips without an undefined key. */
function optionalPad(r: Reader): {padTokenId?: number} {
	const pad = r.optionalTokenId('pad_token_id');
	return pad === undefined ? {} : {padTokenId: pad};
}
