/**
 * Loading a judge folder: judge.json, the ONNX model, tokenizer.json and, when present, the chat template
 * (tokenizer_config.json, chat_template.jinja) and config.json of an Optimum export. Every problem a user can cause
 * becomes one UserError naming the file and, where there is one, the field. Whether the ONNX graph has the inputs
 * a judge needs is checked where the model is opened, not here.
 */
import {readdir, readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import {UserError} from '../errors.js';
import {isCheckpointFolder} from '../hf/checkpoint.js';
import {createFormatter, type JudgeFormatter, type RenderedText} from './format.js';
import {parseJudgeConfig, type JudgeConfig} from './judge-config.js';
import {encodeJudgeText, type Framing, type JudgeTokens} from './segment-map.js';
import {tokenizerFromJson, type TextTokenizer} from './tokenizer.js';

/** A validated judge folder, ready to render and tokenise text. */
export type JudgeFolder = {
	/** Absolute path of the folder. */
	dir: string;
	/** judge.json, validated, defaults filled in. */
	config: JudgeConfig;
	/** Model family: judge.json's, else config.json's model_type, else "unknown". */
	family: string;
	/** What the judge runs: an ONNX model file, or a Hugging Face checkpoint folder gmpo builds a graph from. */
	kind: 'onnx' | 'checkpoint';
	/** Absolute path of the ONNX model (exists), or of the checkpoint folder. */
	modelPath: string;
	/** Absolute path of tokenizer.json. */
	tokenizerPath: string;
	/** The loaded tokenizer. */
	tokenizer: TextTokenizer;
	/** The Jinja chat template in use (judge.json's, else the folder's), when the format is chat. */
	chatTemplate?: string;
	/** Special-token strings (bos_token, eos_token, ...) from tokenizer_config.json and judge.json. */
	specialTokens: Record<string, string>;
	/** Context length in tokens, when judge.json or the folder states it. */
	maxTokens?: number;
	/** Renders (segments, input, target) into the judge's text. */
	formatter: JudgeFormatter;
	/** BOS/EOS ids put around the text, as judge.json's bos and eos ask. */
	framing: Framing;
};

/** Loads and validates a judge folder. */
export async function loadJudgeFolder(dir: string): Promise<JudgeFolder> {
	const root = path.resolve(dir);
	const info = await stat(root).catch((error: NodeJS.ErrnoException) => error);
	if (info instanceof Error) {
		throw new UserError(info.code === 'ELOOP' ? 'judge folder not found: too many symbolic links (ELOOP)' : 'judge folder not found', {file: root});
	}
	if (!info.isDirectory()) {
		throw new UserError('a judge must be a folder (with judge.json, model.onnx, tokenizer.json)', {file: root});
	}

	const judgeFile = path.join(root, 'judge.json');
	const judgeText = await readFile(judgeFile, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'EISDIR' ? null : undefined));
	if (judgeText === null) throw new UserError('judge.json is a folder, not a file', {file: judgeFile});
	if (judgeText === undefined) {
		throw new UserError('missing judge.json: a judge folder needs one next to the model and tokenizer.json ({"name": "my-judge"} is enough)', {
			file: judgeFile,
		});
	}
	const parsed = parseJudgeConfig(parseJson(judgeText, judgeFile));
	if (!parsed.ok) throw new UserError(parsed.issue.message, {file: judgeFile, field: parsed.issue.field || undefined});
	const config = parsed.config;

	const {kind, modelPath} = await resolveModel(root, config.model);

	return {dir: root, config, kind, modelPath, ...(await loadJudgeText(root, config, judgeFile))};
}

/** What the text side of a judge reads from judge.json (an ONNX judge's or a server judge's). */
export type JudgeTextConfig = Pick<JudgeConfig, 'name' | 'family' | 'tokenizer' | 'format' | 'maxTokens' | 'bos' | 'eos' | 'bosToken' | 'eosToken'>;

/** The text side of a judge: how it renders and tokenises, read from a folder holding the Hugging Face tokenizer files. */
export type JudgeText = Omit<JudgeFolder, 'dir' | 'config' | 'kind' | 'modelPath'>;

/**
 * Loads the tokenizer, special tokens, framing and formatter from `root` (tokenizer.json, tokenizer_config.json,
 * chat_template.jinja, config.json): shared by ONNX judges and judges on an inference server, so both render and
 * tokenise a text identically. Problems are reported against `judgeFile`.
 */
export async function loadJudgeText(root: string, config: JudgeTextConfig, judgeFile: string): Promise<JudgeText> {
	const tokenizerPath = path.resolve(root, config.tokenizer);
	const tokenizerText = await readFile(tokenizerPath, 'utf8').catch(() => undefined);
	if (tokenizerText === undefined) {
		throw new UserError('tokenizer file not found', {file: tokenizerPath, field: 'tokenizer'});
	}
	let tokenizer: TextTokenizer;
	try {
		tokenizer = await tokenizerFromJson(tokenizerText);
	} catch (error) {
		throw new UserError(`not a Hugging Face tokenizer.json: ${messageOf(error)}`, {file: tokenizerPath});
	}

	const tokenizerConfigFile = path.join(root, 'tokenizer_config.json');
	const tokenizerConfig = await readJsonObject(tokenizerConfigFile);
	const modelConfig = await readJsonObject(path.join(root, 'config.json')).catch(() => undefined);

	const specialTokens = specialTokensOf(tokenizerConfig ?? {});
	if (config.bosToken) specialTokens.bos_token = config.bosToken;
	if (config.eosToken) specialTokens.eos_token = config.eosToken;
	const framing = resolveFraming(config, tokenizer, specialTokens, judgeFile);

	let chatTemplate: string | undefined;
	let templateFile = judgeFile;
	if (config.format.type === 'chat') {
		const found = config.format.template
			? {template: config.format.template, file: judgeFile}
			: await folderChatTemplate(root, tokenizerConfig, tokenizerConfigFile);
		if (!found) {
			throw new UserError(
				'format "chat" needs a chat template, and the folder has none (tokenizer_config.json chat_template or ' +
					'chat_template.jinja): add format.template or use a plain format',
				{file: judgeFile, field: 'format'},
			);
		}
		chatTemplate = found.template;
		templateFile = found.file;
	}
	let formatter: JudgeFormatter;
	try {
		formatter = createFormatter({judge: config.name, format: config.format, chatTemplate, specialTokens});
	} catch (error) {
		if (error instanceof UserError) throw new UserError(error.message, {file: templateFile});
		throw error;
	}

	return {
		family: config.family ?? stringField(modelConfig, 'model_type') ?? 'unknown',
		tokenizerPath,
		tokenizer,
		chatTemplate,
		specialTokens,
		maxTokens: config.maxTokens ?? contextLengthOf(modelConfig, tokenizerConfig),
		formatter,
		framing,
	};
}

/**
 * Renders and tokenises one example for a judge. Refuses (rather than truncates) a text longer than the judge's
 * context, since a truncated text would be scored as if it were whole.
 */
export async function encodeExample(
	judge: JudgeText & {config: {name: string}},
	segments: readonly string[],
	input: string,
	target: string,
): Promise<JudgeTokens & {rendered: RenderedText}> {
	const rendered = judge.formatter.render(segments, input, target);
	const tokens = await encodeJudgeText(judge.tokenizer, rendered, judge.framing);
	const length = tokens.contextIds.length + tokens.targetIds.length;
	if (judge.maxTokens !== undefined && length > judge.maxTokens) {
		throw new UserError(
			`judge "${judge.config.name}": an example is ${length} tokens long, more than the judge's ${judge.maxTokens}; ` +
				'use a judge with a longer context (the folder of a larger model, e.g. an exported Hugging Face model, given with --judges; ' +
				'gmpo judges check <folder> shows its context), or shorten the prompt, the input or the target',
		);
	}
	return {...tokens, rendered};
}

function resolveFraming(
	config: JudgeTextConfig,
	tokenizer: TextTokenizer,
	specialTokens: Record<string, string>,
	judgeFile: string,
): Framing {
	const idOf = (which: 'bos' | 'eos') => {
		const token = specialTokens[`${which}_token`];
		const field = `${which}Token` as const;
		if (token === undefined) {
			const message = `${which} is "always" but tokenizer_config.json names no ${which.toUpperCase()} token: set ${field}`;
			throw new UserError(message, {file: judgeFile, field: which});
		}
		const id = tokenizer.tokenId(token);
		if (id === undefined) {
			const message = `${which.toUpperCase()} token ${JSON.stringify(token)} is not in the tokenizer's vocabulary`;
			throw new UserError(message, {file: judgeFile, field: config[field] ? field : which});
		}
		return id;
	};
	for (const which of ['bos', 'eos'] as const) if (config[`${which}Token`]) idOf(which);
	let prefix: readonly number[] = [];
	if (config.bos === 'always') prefix = [idOf('bos')];
	// A chat template writes its own BOS (transformers tokenises its output without special tokens).
	else if (config.bos === 'auto' && config.format.type === 'plain') prefix = tokenizer.specialPrefix;
	const suffix = config.eos === 'always' ? [idOf('eos')] : [];
	return {prefix, suffix};
}

/** bos_token etc. from tokenizer_config.json; values may be strings or serialised AddedTokens ({content}). */
function specialTokensOf(tokenizerConfig: Record<string, unknown>): Record<string, string> {
	const tokens: Record<string, string> = {};
	for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
		const value = tokenizerConfig[key];
		const content = typeof value === 'string' ? value : stringField(value, 'content');
		if (content !== undefined) tokens[key] = content;
	}
	return tokens;
}

/** The folder's chat template: chat_template.jinja (newer transformers), else tokenizer_config.json's. */
async function folderChatTemplate(
	root: string,
	tokenizerConfig: Record<string, unknown> | undefined,
	tokenizerConfigFile: string,
): Promise<{template: string; file: string} | undefined> {
	const jinjaFile = path.join(root, 'chat_template.jinja');
	const jinja = await readFile(jinjaFile, 'utf8').catch(() => undefined);
	if (jinja?.trim()) return {template: jinja, file: jinjaFile};
	const value = tokenizerConfig?.chat_template;
	if (typeof value === 'string' && value.trim()) return {template: value, file: tokenizerConfigFile};
	// Several named templates: transformers uses "default".
	if (Array.isArray(value)) {
		const named = value.find(t => stringField(t, 'name') === 'default') ?? value[0];
		const template = stringField(named, 'template');
		if (template) return {template, file: tokenizerConfigFile};
	}
	return undefined;
}

function contextLengthOf(
	modelConfig: Record<string, unknown> | undefined,
	tokenizerConfig: Record<string, unknown> | undefined,
): number | undefined {
	for (const key of ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length']) {
		const value = modelConfig?.[key];
		if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
	}
	// transformers writes a huge model_max_length (1e30) when the length is unknown.
	const value = tokenizerConfig?.model_max_length;
	if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 1e7) return value;
	return undefined;
}

async function readJsonObject(file: string): Promise<Record<string, unknown> | undefined> {
	const text = await readFile(file, 'utf8').catch(() => undefined);
	if (text === undefined) return undefined;
	const value = parseJson(text, file);
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new UserError('expected a JSON object', {file});
	}
	return value as Record<string, unknown>;
}

function parseJson(text: string, file: string): unknown {
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new UserError(`not valid JSON: ${messageOf(error)}`, {file});
	}
}

/**
 * The model a judge folder runs: judge.json's `model` (an ONNX file), else model.onnx, else the folder's Hugging
 * Face checkpoint.
 */
async function resolveModel(root: string, named: string | undefined): Promise<{kind: 'onnx' | 'checkpoint'; modelPath: string}> {
	const modelPath = path.resolve(root, named ?? 'model.onnx');
	if (await isFile(modelPath)) {
		return {kind: 'onnx', modelPath};
	}
	if (named === undefined && isCheckpointFolder(root)) {
		return {kind: 'checkpoint', modelPath: root};
	}
	const found = await onnxFilesIn(root);
	const hint =
		found.length > 0
			? `; the folder has ${found.join(', ')}: name one in "model"`
			: named === undefined
				? '; a judge folder holds model.onnx, or a Hugging Face checkpoint (config.json and model.safetensors)'
				: '';
	throw new UserError(`model file not found${hint}`, {file: modelPath, field: 'model'});
}

async function onnxFilesIn(root: string): Promise<string[]> {
	const found: string[] = [];
	for (const sub of ['', 'onnx']) {
		const names = await readdir(path.join(root, sub)).catch(() => []);
		for (const name of names.sort()) if (name.endsWith('.onnx') && (await isFile(path.join(root, sub, name)))) found.push(path.join(sub, name));
	}
	return found;
}

async function isFile(file: string): Promise<boolean> {
	return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

function stringField(value: unknown, key: string): string | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const field = (value as Record<string, unknown>)[key];
	return typeof field === 'string' ? field : undefined;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
