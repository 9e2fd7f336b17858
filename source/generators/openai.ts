/**
 * The OpenAI-compatible chat client (OpenAI, vLLM, llama.cpp server, Ollama): the only module that imports the
 * `openai` SDK. It turns endpoint faults into one clear UserError naming the URL, retries transient ones with
 * backoff, and never logs or reports the API key.
 */
import OpenAI from 'openai';
import {UserError} from '../errors.js';
import type {ChatClient, ChatRequest, ChatResponse} from './chat.js';
import {createChatGenerator} from './direct.js';
import {withRetry, type RetryVerdict} from './retry.js';
import type {Generator} from './types.js';

/** Settings of an OpenAI-compatible endpoint; resolved by the caller from flags, settings and the environment. */
export type OpenAiOptions = {
	/** Base URL of the API, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1. */
	baseUrl: string;
	/** Model name as the server knows it. */
	model: string;
	/** API key; absent for local servers that need none. Never logged or written. */
	apiKey?: string;
	/** Per-request timeout in ms (default 120000). */
	timeoutMs?: number;
	/** Retries after a 429, 5xx, timeout or dropped connection (default 4). */
	retries?: number;
	/** Delay before the first retry in ms, doubled each time (default 1000). */
	retryBaseDelayMs?: number;
	/** Upper bound of one retry delay in ms (default 30000). */
	retryMaxDelayMs?: number;
	/** How structured output is requested: a JSON Schema (default) or plain JSON mode for servers without schemas. */
	responseFormat?: 'json_schema' | 'json_object';
	/** Sampling temperature for edit proposals (default: the server's). */
	temperature?: number;
};

/** Connection failures that another attempt will not fix: nothing listens there, or the host does not exist. */
const permanentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** The first `code` found along an error's cause chain (fetch nests the socket error one or two levels down). */
function errorCode(error: unknown, depth = 0): string | undefined {
	if (!error || typeof error !== 'object' || depth > 5) return undefined;
	const e = error as {code?: unknown; cause?: unknown; errors?: unknown[]};
	if (typeof e.code === 'string') return e.code;
	return errorCode(e.cause, depth + 1) ?? (Array.isArray(e.errors) ? errorCode(e.errors[0], depth + 1) : undefined);
}

function verdict(error: unknown): RetryVerdict {
	if (error instanceof OpenAI.APIConnectionTimeoutError) return {retry: true};
	if (error instanceof OpenAI.APIConnectionError) return {retry: !permanentCodes.has(errorCode(error) ?? '')};
	if (error instanceof OpenAI.APIError && error.status !== undefined) {
		if (error.status !== 429 && error.status < 500) return {retry: false};
		const after = Number(error.headers?.get('retry-after'));
		return {retry: true, afterMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined};
	}
	return {retry: false};
}

/** Creates a ChatClient for an OpenAI-compatible endpoint. */
export function createOpenAiChatClient(options: OpenAiOptions): ChatClient {
	const url = options.baseUrl;
	const timeoutMs = options.timeoutMs ?? 120_000;
	const retries = options.retries ?? 4;
	const secret = options.apiKey;
	const sdk = new OpenAI({
		baseURL: url,
		// Local servers need no key, but the SDK insists on one; a placeholder is sent instead.
		apiKey: secret ?? 'no-key',
		timeout: timeoutMs,
		// Our own retry loop runs instead of the SDK's, so that counts and delays are ours to configure and test.
		maxRetries: 0,
		logLevel: 'off',
	});
	// Servers sometimes echo what they received; make sure the key never reaches a message shown or saved.
	const redact = (text: string) => (secret ? text.split(secret).join('***') : text);
	const where = {field: 'generator.baseUrl'};

	function toUserError(error: unknown, attempts: number): unknown {
		const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
		if (error instanceof OpenAI.APIConnectionTimeoutError) {
			return new UserError(`the generator at ${url} did not answer within ${timeoutMs} ms${tries}`, where);
		}
		if (error instanceof OpenAI.APIConnectionError) {
			const code = errorCode(error);
			return new UserError(`cannot reach the generator at ${url}${code ? ` (${code})` : ''}${tries}`, where);
		}
		if (error instanceof OpenAI.APIError && error.status !== undefined) {
			const detail = redact(error.message);
			if (error.status === 401 || error.status === 403) {
				return new UserError(
					`the generator at ${url} refused the API key (${error.status}); set OPENAI_API_KEY or \`gmpo config set generator.apiKey\``,
					where,
				);
			}
			if (error.status === 404) {
				return new UserError(`the generator at ${url} has no model "${options.model}" or no chat endpoint (404): ${detail}`, {
					field: 'generator.model',
				});
			}
			return new UserError(`the generator at ${url} answered ${detail}${tries}`, where);
		}
		return error;
	}

	async function complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
		const format =
			request.json === undefined
				? undefined
				: options.responseFormat === 'json_object'
					? ({type: 'json_object'} as const)
					: ({type: 'json_schema', json_schema: {name: request.json.name, schema: request.json.schema, strict: true}} as const);
		let attempts = 0;
		try {
			const {value} = await withRetry(
				async () => {
					attempts++;
					return sdk.chat.completions.create(
						{
							model: options.model,
							messages: request.messages,
							...(format ? {response_format: format} : {}),
							...(request.temperature === undefined ? {} : {temperature: request.temperature}),
						},
						{signal},
					);
				},
				verdict,
				{retries, baseDelayMs: options.retryBaseDelayMs ?? 1000, maxDelayMs: options.retryMaxDelayMs},
				signal,
			);
			const message = value.choices[0]?.message;
			return {
				content: message?.content ?? message?.refusal ?? '',
				usage: {promptTokens: value.usage?.prompt_tokens ?? 0, completionTokens: value.usage?.completion_tokens ?? 0},
			};
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			throw toUserError(error, attempts);
		}
	}

	return {model: options.model, complete};
}

/** The main-path generator: one structured edit request per round to an OpenAI-compatible chat model. */
export function createOpenAiGenerator(options: OpenAiOptions): Generator {
	return createChatGenerator(createOpenAiChatClient(options), {name: `openai:${options.model}`, temperature: options.temperature});
}
