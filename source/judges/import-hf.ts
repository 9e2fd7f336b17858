/**
 * `gmpo judges import-hf`: a Hugging Face checkpoint folder (config.json, safetensors, tokenizer.json) to a judge
 * folder (model.onnx built by gmpo's builders, the tokenizer files, config.json and a judge.json with defaults
 * from the checkpoint's configs). The folder is written under a temporary name and renamed when complete, so a
 * failed or cancelled import leaves nothing behind.
 */
import {copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';
import {makeDirs} from '../fs-errors.js';
import type {Model} from '../onnx/ir.js';
import {writeModelExternal} from '../onnx/model-file.js';
import {tokenizerFromJson} from './tokenizer.js';
import {loadCheckpoint, type Checkpoint, type LoadCheckpointOptions} from '../hf/checkpoint.js';

/** Files copied from the checkpoint folder when present (tokenizer.json is required). */
const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json', 'generation_config.json', 'config.json', 'README.md', 'LICENSE', 'LICENSE.txt', 'NOTICE'];

/**
 * Write a judge's ONNX model: the graph in model.onnx, the weights streamed one tensor at a time into
 * model.onnx_data beside it (Optimum's layout), so a model of any size imports without holding its weights twice.
 */
export async function writeJudgeModel(file: string, model: Model, signal?: AbortSignal): Promise<void> {
	await writeModelExternal(file, model, {dataDir: path.dirname(file), dataFile: 'model.onnx_data', signal});
}

/** What an import wrote. */
export type ImportSummary = {
	/** The judge's name (judge.json). */
	name: string;
	/** Absolute path of the judge folder. */
	dir: string;
	/** config.json's model_type. */
	architecture: string;
	/** Parameters of the model. */
	parameters: number;
	/** The judge's prompt format. */
	format: 'chat' | 'plain';
};

/** The default judge folder of a checkpoint folder: beside it, named `<folder>-judge`. */
export function defaultJudgeDir(hfDir: string): string {
	return `${path.resolve(hfDir)}-judge`;
}

/** Convert the checkpoint in `hfDir` into a judge folder at `outDir` (default: defaultJudgeDir). */
export async function importHf(hfDir: string, outDir?: string, options: LoadCheckpointOptions = {}): Promise<ImportSummary> {
	const source = path.resolve(hfDir);
	if (!existsSync(source) || !statSync(source).isDirectory()) {
		throw new UserError('not a folder: a Hugging Face checkpoint folder holds config.json, model.safetensors and tokenizer.json', {file: source});
	}
	const out = path.resolve(outDir ?? defaultJudgeDir(source));
	if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
		throw new UserError('the judge folder already exists and is not empty: choose another out-dir or remove it', {file: out});
	}
	const tokenizerFile = path.join(source, 'tokenizer.json');
	if (!existsSync(tokenizerFile)) {
		throw new UserError('no tokenizer.json: gmpo needs the Hugging Face (fast) tokenizer file next to the weights', {file: source});
	}
	const checkpoint = await loadCheckpoint(source, options);
	const judge = await judgeJson(source, checkpoint, outDir === undefined ? path.basename(source) : path.basename(out));
	const tmp = `${out}.tmp-${process.pid}`;
	rmSync(tmp, {recursive: true, force: true});
	makeDirs(path.dirname(out), 'the output folder');
	mkdirSync(tmp);
	try {
		for (const name of COPIED) {
			if (existsSync(path.join(source, name))) copyFileSync(path.join(source, name), path.join(tmp, name));
		}
		await writeJudgeModel(path.join(tmp, 'model.onnx'), checkpoint.model, options.signal);
		options.signal?.throwIfAborted();
		writeFileSync(path.join(tmp, 'judge.json'), `${JSON.stringify(judge, null, 2)}\n`);
		if (existsSync(out)) rmSync(out, {recursive: true});
		renameSync(tmp, out);
	} catch (error) {
		rmSync(tmp, {recursive: true, force: true});
		throw error;
	}
	return {name: judge.name, dir: out, architecture: checkpoint.architecture, parameters: checkpoint.parameters, format: judge.format.type};
}

/**
 * judge.json for the checkpoint: the chat format when the folder has a chat template (the prompt is the system
 * message), else the plain default; BOS as the tokenizer adds it ("auto"); with a chat template, the end-of-sequence
 * token scored after the reply. Token strings the tokenizer configs lack are named from config.json's ids.
 */
async function judgeJson(source: string, checkpoint: Checkpoint, name: string) {
	const tokenizer = await tokenizerFromJson(readFileSync(path.join(source, 'tokenizer.json'), 'utf8')).catch((error: unknown) => {
		throw new UserError(`not a Hugging Face tokenizer.json: ${(error as Error).message}`, {file: path.join(source, 'tokenizer.json')});
	});
	const vocab = checkpoint.model.graph.initializers.get(embeddingName(checkpoint))?.dims[0];
	if (vocab !== undefined && tokenizer.vocabSize > vocab) {
		throw new UserError(`the tokenizer has ${tokenizer.vocabSize} ids, more than the model's vocabulary of ${vocab}: the tokenizer does not belong to these weights`, {file: path.join(source, 'tokenizer.json')});
	}
	const tokenizerConfig = readObject(path.join(source, 'tokenizer_config.json'));
	const template = tokenizerConfig['chat_template'];
	const chat = existsSync(path.join(source, 'chat_template.jinja')) || (typeof template === 'string' && template.trim() !== '') || Array.isArray(template);
	const named = (key: string, id: number | undefined): {token?: string} => {
		// Named (or deliberately null, as Qwen's bos_token) by tokenizer_config.json: the judge reads it from there.
		if (Object.hasOwn(tokenizerConfig, key)) return {};
		const token = id === undefined ? undefined : tokenizer.tokenString(id);
		return token === undefined ? {} : {token};
	};
	const bos = named('bos_token', checkpoint.tokens.bosTokenId);
	const eos = named('eos_token', checkpoint.tokens.eosTokenIds[0]);
	const hasEos = eos.token !== undefined || typeof tokenizerConfig['eos_token'] === 'string' || (typeof tokenizerConfig['eos_token'] === 'object' && tokenizerConfig['eos_token'] !== null);
	return {
		name,
		description: `imported from the Hugging Face checkpoint ${path.basename(source)} (${checkpoint.architecture}, ${checkpoint.parameters.toLocaleString('en-US')} parameters)`,
		family: checkpoint.architecture,
		format: chat ? {type: 'chat' as const} : {type: 'plain' as const},
		bos: 'auto',
		eos: chat && hasEos ? 'always' : 'never',
		...(bos.token === undefined ? {} : {bosToken: bos.token}),
		...(eos.token === undefined ? {} : {eosToken: eos.token}),
	};
}

/** The token-embedding initializer: the table the graph's first Gather reads by input_ids. */
function embeddingName(checkpoint: Checkpoint): string {
	return checkpoint.model.graph.nodes.find(n => n.op === 'Gather' && n.inputs[1] === 'input_ids')?.inputs[0] ?? '';
}

function readObject(file: string): Record<string, unknown> {
	if (!existsSync(file)) return {};
	try {
		const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
		return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
	} catch (error) {
		throw new UserError(`not valid JSON (${(error as Error).message})`, {file});
	}
}
