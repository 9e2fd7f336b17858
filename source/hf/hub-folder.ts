/**
 * A built model as a Hugging Face style folder: model.onnx next to a config.json with the usual HF keys, so the
 * rest of the product loads it exactly like a downloaded Optimum export. readHubConfig turns a config.json (ours or
 * a real hub one) back into a builder config; the config.json readers and writers are the architectures' (source/hf).
 */
import {mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from '../atomic-write.js';
import {UserError} from '../errors.js';
import type {Model} from '../onnx/ir.js';
import {writeModel} from '../onnx/model-file.js';
import {gpt2ConfigJson, readGpt2Config} from './gpt2.js';
import {llamaFamilyConfigJson, readLlamaFamily} from './llama-family.js';
import type {Gpt2Config} from '../onnx/builders/gpt2.js';
import type {LlamaConfig} from '../onnx/builders/llama.js';

/** A model family with its builder config. */
export type HubConfig = {family: 'gpt2'; config: Gpt2Config} | {family: 'llama'; config: LlamaConfig};

/** True when `config` is a GPT-2 config (the two families share no size keys). */
export function isGpt2Config(config: Gpt2Config | LlamaConfig): config is Gpt2Config {
	return 'nEmbd' in config;
}

/** The config.json object Hugging Face writes for this config. */
export function hubConfigJson(config: Gpt2Config | LlamaConfig): Record<string, unknown> {
	return isGpt2Config(config) ? gpt2ConfigJson(config) : llamaFamilyConfigJson(config, 'llama');
}

/** Write `dir`/model.onnx and `dir`/config.json, each atomically (temporary file, then rename). */
export function writeHubFolder(dir: string, model: Model, config: Gpt2Config | LlamaConfig): void {
	mkdirSync(dir, {recursive: true});
	writeModel(path.join(dir, 'model.onnx'), model);
	// config.json last: a folder with a config.json always has its model next to it.
	writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(hubConfigJson(config), null, 2)}\n`);
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
	const modelType = (json as Record<string, unknown>)['model_type'];
	if (modelType === 'gpt2') {
		return {family: 'gpt2', config: readGpt2Config(json as Record<string, unknown>, file)};
	}
	if (modelType === 'llama') {
		return {family: 'llama', config: readLlamaFamily(json as Record<string, unknown>, file, 'llama')};
	}
	throw new UserError(`expected "gpt2" or "llama", got ${JSON.stringify(modelType)}`, {file, field: 'model_type'});
}
