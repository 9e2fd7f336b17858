/**
 * judge.json of a judge served by an inference engine (`"kind": "server"`): where the server is, which model it
 * serves, the name of the environment variable holding its API key (never the key itself), and the folder of the
 * model's Hugging Face tokenizer files, which gmpo uses to render and tokenise exactly as a local judge does. The
 * text fields (format, bos, eos, ...) are those of a model folder's judge.json (judge-config.ts).
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {z} from 'zod';
import {judgeConfigSchema, type JudgeConfigIssue} from './judge-config.js';

/** The engines that return the log-probabilities of given prompt tokens. */
export const SERVER_ENGINES = ['vllm', 'sglang'] as const;

/** One of SERVER_ENGINES. */
export type ServerEngine = (typeof SERVER_ENGINES)[number];

const shared = judgeConfigSchema.shape;

export const serverJudgeConfigSchema = z
	.object({
		/** Marks a judge on an inference server. */
		kind: z.literal('server'),
		/** Name shown in tables and used as the judge's key in sessions. */
		name: shared.name,
		/** What the judge does, for the judges list. */
		description: shared.description,
		/** Model family, free text; when absent, config.json's model_type in the tokenizer folder. */
		family: shared.family,
		/** Which engine serves the model: its protocol for prompt log-probabilities. */
		engine: z.enum(SERVER_ENGINES, {error: 'expected "vllm" or "sglang" (engines that return prompt log-probabilities)'}),
		/** The server's base URL (http://host:8000); a trailing /v1 is accepted. */
		url: z
			.string()
			.trim()
			.refine(u => /^https?:\/\/[^/]/.test(u) && URL.canParse(u), {message: 'expected an http:// or https:// URL such as http://127.0.0.1:8000'}),
		/** The model name the server serves (vLLM: the model or --served-model-name; SGLang: the model path). */
		model: z.string().trim().min(1),
		/** Name of the environment variable holding the API key (sent as a Bearer token); none when absent. */
		apiKeyEnv: z
			.string()
			.regex(/^[A-Za-z_]\w*$/, {message: 'expected the NAME of an environment variable (such as VLLM_API_KEY), not the key'})
			.optional(),
		/** The folder of the served model's tokenizer files (tokenizer.json, tokenizer_config.json), relative to judge.json. */
		tokenizer: z.string().min(1).default('.'),
		/** Prompt format, as for a model folder. */
		format: shared.format,
		/** Context length in tokens; when absent, the server's max_model_len, else the tokenizer folder's. */
		maxTokens: shared.maxTokens,
		/** Held out of selection: its loss is reported, never used to choose a candidate. */
		heldout: shared.heldout,
		/** BOS before the text, as for a model folder. */
		bos: shared.bos,
		/** EOS after the target, as for a model folder. */
		eos: shared.eos,
		/** The BOS token string, overriding tokenizer_config.json's. */
		bosToken: shared.bosToken,
		/** The EOS token string, overriding tokenizer_config.json's. */
		eosToken: shared.eosToken,
		/** Sequences per request. */
		batchSize: z.number().int().min(1).max(1024).default(8),
		/** Requests in flight at once. */
		concurrency: z.number().int().min(1).max(256).default(8),
		/** Total time allowed for one request, the whole answer included, in ms. */
		timeoutMs: z.number().int().positive().default(120_000),
		/** Retries of a request after a 429, a 5xx or a connection error. */
		retries: z.number().int().min(0).max(10).default(4),
	})
	.strict();

/** A server judge's judge.json after validation, defaults filled in. */
export type ServerJudgeConfig = z.output<typeof serverJudgeConfigSchema>;
/** A server judge's judge.json as written. */
export type ServerJudgeConfigInput = z.input<typeof serverJudgeConfigSchema>;

/** Validates parsed judge.json content of a server judge; returns the config or the first problem. */
export function parseServerJudgeConfig(value: unknown): {ok: true; config: ServerJudgeConfig} | {ok: false; issue: JudgeConfigIssue} {
	if (typeof value === 'object' && value !== null && 'apiKey' in value) {
		const message = 'a key is never stored in judge.json: put it in an environment variable and name the variable in "apiKeyEnv"';
		return {ok: false, issue: {field: 'apiKey', message}};
	}
	const result = serverJudgeConfigSchema.safeParse(value);
	if (result.success) return {ok: true, config: result.data};
	const issue = result.error.issues[0]!;
	const field = issue.path.map(String);
	if (issue.code === 'unrecognized_keys') return {ok: false, issue: {field: [...field, issue.keys[0]].join('.'), message: 'unknown field'}};
	const missing = /^Invalid input: (expected .*), received undefined$/.exec(issue.message);
	return {ok: false, issue: {field: field.join('.'), message: missing ? `missing (${missing[1]})` : issue.message.replace(/^Invalid input: (expected .*), received (.*)$/, '$1, got $2')}};
}

/**
 * Whether the judge folder at `dir` is a server judge (judge.json says `"kind": "server"`). Anything else, an
 * unreadable or invalid judge.json included, is left to the model-folder loader, which reports it.
 */
export async function isServerJudgeFolder(dir: string): Promise<boolean> {
	const text = await readFile(path.join(dir, 'judge.json'), 'utf8').catch(() => undefined);
	if (text === undefined) return false;
	try {
		const value: unknown = JSON.parse(text);
		return typeof value === 'object' && value !== null && (value as {kind?: unknown}).kind === 'server';
	} catch {
		return false;
	}
}

/** The base URL without trailing slashes or a trailing /v1 (the endpoints are addressed from the root). */
export function serverRoot(url: string): string {
	return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}
