/**
 * The OpenAI-compatible chat client (OpenAI, vLLM, llama.cpp server, Ollama): the only module that imports the
 * `openai` SDK. Every attempt runs under one deadline that covers the whole request, reply body and its parsing
 * included (a server that trickles its reply is cut off like a silent one); transient faults (429, 5xx but 501, a
 * dropped connection, a reply cut off mid-JSON) are retried with backoff, each retry announced; a fault another try
 * will not fix (nothing listening, 501, a refused key, a deadline passed) fails at once. Every failure is one
 * UserError naming the URL, with at most a short excerpt of what the server said; the API key is never shown.
 */
import OpenAI from 'openai';
import {UserError} from '../errors.js';
import type {ChatClient, ChatRequest, ChatResponse} from './chat.js';
import {createChatGenerator} from './direct.js';
import {DeadlineError, withDeadline, withRetry, type DeadlineTimer, type RetryVerdict} from '../core/retry.js';
import type {Generator} from './types.js';

/** Default deadline of one request, in ms: generous for a slow local server writing a dozen edits. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Default retries after a transient fault. */
export const DEFAULT_RETRIES = 2;

/** Settings of an OpenAI-compatible endpoint; resolved by the caller from flags, settings and the environment. */
export type OpenAiOptions = {
	/** Base URL of the API, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1. */
	baseUrl: string;
	/** Model name as the server knows it. */
	model: string;
	/** API key; absent for local servers that need none. Never logged or written. */
	apiKey?: string;
	/** Deadline of one request in ms, from sending it to its reply parsed (default 120000). Not retried. */
	timeoutMs?: number;
	/** Retries after a 429, a 5xx other than 501, a dropped connection or a cut-off reply (default 2). */
	retries?: number;
	/** Delay before the first retry in ms, doubled each time (default 1000). */
	retryBaseDelayMs?: number;
	/** Upper bound of one retry delay in ms (default 30000). */
	retryMaxDelayMs?: number;
	/** How structured output is requested: a JSON Schema (default) or plain JSON mode for servers without schemas. */
	responseFormat?: 'json_schema' | 'json_object';
	/** Sampling temperature for edit proposals (default: the server's). */
	temperature?: number;
	/** The clock of the deadline (default the real one; tests fire it when the server has the request). */
	deadlineTimer?: DeadlineTimer;
};

/** Connection failures that another attempt will not fix: nothing listens there, or the host does not exist. */
const permanentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ERR_INVALID_URL']);
/** HTTP statuses worth another try: the server is busy or a proxy lost it. 501 (not implemented) is not one. */
const transientStatuses = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** The first `code` found along an error's cause chain (fetch nests the socket error one or two levels down). */
function errorCode(error: unknown, depth = 0): string | undefined {
	if (!error || typeof error !== 'object' || depth > 5) return undefined;
	const e = error as {code?: unknown; cause?: unknown; errors?: unknown[]};
	if (typeof e.code === 'string') return e.code;
	return errorCode(e.cause, depth + 1) ?? (Array.isArray(e.errors) ? errorCode(e.errors[0], depth + 1) : undefined);
}

/** A reply body that stopped short or is not JSON (the SDK's parse failed), or a connection cut mid-reply. */
function brokenReply(error: unknown): 'cut' | 'dropped' | undefined {
	if (error instanceof SyntaxError) return 'cut';
	// undici: TypeError("terminated") when the socket closes while the body is read; "fetch failed" before it.
	if (error instanceof TypeError && /terminated|fetch failed|other side closed/i.test(`${error.message} ${String((error as {cause?: unknown}).cause ?? '')}`)) return 'dropped';
	return undefined;
}

/** A short, one-line excerpt of what a server said: the message of a JSON error, the title or text of an HTML page. */
export function excerpt(text: string, max = 120): string {
	let t = text;
	if (/<(!doctype|html|head|body|title)\b/i.test(t)) {
		const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(t)?.[1];
		t = title ?? t.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
		t = t.replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
	}
	t = t.replace(/\s+/g, ' ').trim();
	return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function verdict(error: unknown): RetryVerdict {
	if (error instanceof DeadlineError || error instanceof OpenAI.APIConnectionTimeoutError) return {retry: false};
	if (error instanceof OpenAI.APIConnectionError) return {retry: !permanentCodes.has(errorCode(error) ?? '')};
	if (error instanceof OpenAI.APIError && error.status !== undefined) {
		if (!transientStatuses.has(error.status)) return {retry: false};
		const after = Number(error.headers?.get('retry-after'));
		return {retry: true, afterMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined};
	}
	return {retry: brokenReply(error) !== undefined};
}

/** Creates a ChatClient for an OpenAI-compatible endpoint. */
export function createOpenAiChatClient(options: OpenAiOptions): ChatClient {
	const url = options.baseUrl;
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const retries = options.retries ?? DEFAULT_RETRIES;
	const secret = options.apiKey;
	const sdk = new OpenAI({
		baseURL: url,
		// Local servers need no key, but the SDK insists on one; a placeholder is sent instead.
		apiKey: secret ?? 'no-key',
		// Our deadline (withDeadline) ends every attempt first; the SDK's own timer only covers the headers.
		timeout: 2 * timeoutMs,
		// Our own retry loop runs instead of the SDK's, so that counts and delays are ours to configure and test.
		maxRetries: 0,
		logLevel: 'off',
	});
	// Servers sometimes echo what they received; make sure the key never reaches a message shown or saved.
	const redact = (text: string) => (secret ? text.split(secret).join('***') : text);
	const where = {field: 'generator.baseUrl'};
	const seconds = `${timeoutMs / 1000} s`;

	/** Why an attempt failed, in a few words (for the retry notice and the final message). */
	function reason(error: unknown): string {
		if (error instanceof DeadlineError || error instanceof OpenAI.APIConnectionTimeoutError) return `no complete reply within ${seconds}`;
		if (error instanceof OpenAI.APIConnectionError) return `connection failed${errorCode(error) ? ` (${errorCode(error)})` : ''}`;
		if (error instanceof OpenAI.APIError && error.status !== undefined) {
			const said = (error.error as {message?: unknown} | undefined)?.message;
			const text = typeof said === 'string' ? said : error.message.replace(new RegExp(`^${error.status}\\s*`), '');
			const detail = excerpt(redact(text));
			return `HTTP ${error.status}${detail && detail !== String(error.status) ? `: ${detail}` : ''}`;
		}
		const broken = brokenReply(error);
		if (broken === 'cut') return 'the reply was cut off (not complete JSON)';
		if (broken === 'dropped') return `the connection dropped mid-reply${errorCode(error) ? ` (${errorCode(error)})` : ''}`;
		return (error as Error)?.message ?? String(error);
	}

	function toUserError(error: unknown, attempts: number): unknown {
		const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
		if (error instanceof DeadlineError || error instanceof OpenAI.APIConnectionTimeoutError) {
			return new UserError(`the generator at ${url} sent no complete reply within ${seconds}; raise --timeout (or \`gmpo config set generator.timeout\`) for a slow server${tries}`, where);
		}
		if (error instanceof OpenAI.APIConnectionError) {
			const code = errorCode(error);
			return new UserError(`cannot reach the generator at ${url}${code ? ` (${code})` : ''}${tries}`, where);
		}
		if (error instanceof OpenAI.APIError && error.status !== undefined) {
			if (error.status === 401 || error.status === 403) {
				return new UserError(`the generator at ${url} refused the API key (${error.status}); set OPENAI_API_KEY or \`gmpo config set generator.apiKey\``, where);
			}
			if (error.status === 404) {
				return new UserError(`the generator at ${url} has no model "${options.model}" or no chat endpoint (${reason(error)})`, {field: 'generator.model'});
			}
			return new UserError(`the generator at ${url} answered ${reason(error)}${tries}`, where);
		}
		if (brokenReply(error)) return new UserError(`the generator at ${url} failed: ${reason(error)}${tries}`, where);
		return error;
	}

	async function complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
		const format =
			request.json === undefined
				? undefined
				: options.responseFormat === 'json_object'
					? ({type: 'json_object'} as const)
					: ({type: 'json_schema', json_schema: {name: request.json.name, schema: request.json.schema, strict: true}} as const);
		const body = {
			model: options.model,
			messages: request.messages,
			...(format ? {response_format: format} : {}),
			...(request.temperature === undefined ? {} : {temperature: request.temperature}),
		};
		let attempts = 0;
		try {
			const {value} = await withRetry(
				async () => {
					attempts++;
					// Awaiting the SDK's promise reads and parses the body, so the deadline covers all of it.
					return withDeadline(timeoutMs, signal, attemptSignal => sdk.chat.completions.create(body, {signal: attemptSignal}), options.deadlineTimer);
				},
				verdict,
				{retries, baseDelayMs: options.retryBaseDelayMs ?? 1000, maxDelayMs: options.retryMaxDelayMs},
				signal,
				(error, next) => request.onRetry?.({...next, reason: reason(error)}),
			);
			// A proxy's login page or another API answers 200 too: say so, rather than "malformed edits" after a repair.
			if (typeof value !== 'object' || value === null || !Array.isArray((value as {choices?: unknown}).choices)) {
				const said = excerpt(redact(typeof value === 'string' ? value : JSON.stringify(value) ?? ''));
				throw new UserError(`the generator at ${url} answered, but not with a chat completion${said ? `: ${said}` : ''}; is it an OpenAI-compatible endpoint?`, where);
			}
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
