/**
 * HTTP for judges on an inference server: JSON requests with a total timeout that also covers a body trickling in,
 * retries only where trying again can help (429, 5xx, a connection that failed or dropped), with exponential backoff
 * that honours the server's retry-after, a bound on requests in flight, and cancellation by AbortSignal. Every
 * failure becomes one line naming the judge, the request and what was expected. The API key is sent as a Bearer
 * token and appears in no message.
 */
import {backoffDelay, sleep as realSleep} from '../core/retry.js';
import {JudgeUnavailableError} from './types.js';

/** How patient a client is. */
export type HttpPolicy = {
	/** Total time for one attempt, the whole answer included, in ms. */
	timeoutMs: number;
	/** Retries after the first attempt, on 429, 5xx and connection errors only. */
	retries: number;
	/** Delay before the first retry, in ms; doubled for each further one. */
	baseDelayMs: number;
	/** The longest wait accepted; a server asking (retry-after) for more ends the retries. */
	maxDelayMs: number;
	/** Waits between attempts; tests pass one that records the delay and returns at once. */
	sleep: (ms: number, signal: AbortSignal) => Promise<void>;
};

export const DEFAULT_POLICY: HttpPolicy = {timeoutMs: 120_000, retries: 4, baseDelayMs: 500, maxDelayMs: 60_000, sleep: realSleep};

/** A request that failed in a way worth trying again. */
class Transient extends Error {
	constructor(
		message: string,
		/** The wait the server asked for (retry-after), in ms. */
		readonly afterMs?: number,
		/** What to check when the retries are spent. */
		readonly hint = '',
	) {
		super(message);
	}
}

/** Parses retry-after: delta seconds, or an HTTP date. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
	if (value === null || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The message of an error body: OpenAI's nested {error: {message}}, vLLM's and SGLang's flat {message}, or the text. */
function serverMessage(text: string): string {
	try {
		const body = JSON.parse(text) as {error?: {message?: unknown} | string; message?: unknown; detail?: unknown};
		const message = typeof body.error === 'object' ? body.error?.message : (body.error ?? body.message ?? body.detail);
		if (typeof message === 'string') return message;
		if (message !== undefined) return JSON.stringify(message);
	} catch {
		// Not JSON: the text itself.
	}
	return text.trim().slice(0, 200) || '(no message)';
}

type Waiting = {start: () => void; signal?: AbortSignal; onAbort?: () => void};

/** A bound on tasks running at once; waiting tasks leave the queue when their signal aborts. */
export class Limiter {
	#running = 0;
	readonly #waiting: Waiting[] = [];

	constructor(readonly limit: number) {}

	/** Runs `task` once fewer than `limit` tasks run. */
	async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
		signal?.throwIfAborted();
		if (this.#running >= this.limit) {
			await new Promise<void>((resolve, reject) => {
				const entry: Waiting = {start: resolve, signal};
				entry.onAbort = () => {
					this.#waiting.splice(this.#waiting.indexOf(entry), 1);
					reject(signal!.reason);
				};
				signal?.addEventListener('abort', entry.onAbort, {once: true});
				this.#waiting.push(entry);
			});
		}
		this.#running++;
		try {
			return await task();
		} finally {
			this.#running--;
			const next = this.#waiting.shift();
			if (next) {
				next.signal?.removeEventListener('abort', next.onAbort!);
				next.start();
			}
		}
	}
}

/** A JSON client of one server, for one judge. */
export class ServerClient {
	/** Requests sent (attempts included), for the judge's pass count. */
	requests = 0;
	/** Private, so that no inspection, log or JSON of the client shows it. */
	readonly #apiKey?: string;

	constructor(
		/** For messages: `judge "name"`. */
		readonly judge: string,
		/** The server's root URL, without a trailing slash. */
		readonly root: string,
		readonly policy: HttpPolicy,
		apiKey?: string,
	) {
		this.#apiKey = apiKey;
	}

	/** GET `route`, parsed JSON. */
	get(route: string, signal?: AbortSignal): Promise<unknown> {
		return this.request('GET', route, undefined, signal);
	}

	/** POST `body` as JSON to `route`, parsed JSON; with `missingOk`, undefined when the server has no such route (404). */
	post(route: string, body: unknown, signal?: AbortSignal, options: {missingOk?: boolean} = {}): Promise<unknown> {
		return this.request('POST', route, body, signal, options.missingOk ?? false);
	}

	private async request(method: 'GET' | 'POST', route: string, body: unknown, signal?: AbortSignal, missingOk = false): Promise<unknown> {
		const what = `${method} ${this.root}${route}`;
		const cancel = signal ?? new AbortController().signal;
		for (let attempt = 0; ; attempt++) {
			cancel.throwIfAborted();
			try {
				return await this.attempt(method, route, body, what, cancel, missingOk);
			} catch (error) {
				if (cancel.aborted) throw cancel.reason;
				if (!(error instanceof Transient)) throw error;
				const attempts = `${attempt + 1} attempt${attempt === 0 ? '' : 's'}`;
				if (attempt >= this.policy.retries) throw this.fail(`${error.message} (${attempts})${error.hint}`);
				if (error.afterMs !== undefined && error.afterMs > this.policy.maxDelayMs) {
					throw this.fail(`${error.message} and asks to wait ${Math.ceil(error.afterMs / 1000)} s, more than ${this.policy.maxDelayMs / 1000} s`);
				}
				await this.policy.sleep(backoffDelay(this.policy, attempt, error.afterMs), cancel);
			}
		}
	}

	/** One attempt: the status, then the whole body, within the total timeout. */
	private async attempt(method: string, route: string, body: unknown, what: string, signal: AbortSignal, missingOk: boolean): Promise<unknown> {
		const timeout = new AbortController();
		const timer = setTimeout(() => timeout.abort(), this.policy.timeoutMs);
		const both = AbortSignal.any([signal, timeout.signal]);
		const headers: Record<string, string> = {accept: 'application/json'};
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
		this.requests++;
		let status: number | undefined;
		try {
			const response = await fetch(this.root + route, {method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: both});
			status = response.status;
			const text = await response.text();
			if (status === 429 || status >= 500) {
				throw new Transient(`${what} answered HTTP ${status} (${serverMessage(text)})`, retryAfterMs(response.headers.get('retry-after')));
			}
			if (status === 401 || status === 403) {
				throw this.fail(`${what} answered HTTP ${status} (${serverMessage(text)}): the server wants an API key; name its environment variable in "apiKeyEnv"`);
			}
			if (status === 404 && missingOk) return undefined;
			if (status < 200 || status >= 300) throw this.fail(`${what} answered HTTP ${status}: ${serverMessage(text)}`);
			try {
				return JSON.parse(text);
			} catch {
				throw this.fail(`${what} answered with malformed JSON (${JSON.stringify(text.slice(0, 60))}${text.length > 60 ? '...' : ''})`);
			}
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			if (timeout.signal.aborted) {
				const part = status === undefined ? 'no answer' : `HTTP ${status}, but the answer did not arrive in full`;
				throw this.fail(`${what}: ${part} within ${this.policy.timeoutMs} ms; raise "timeoutMs" in judge.json if the server is just slow`);
			}
			if (error instanceof Transient || error instanceof JudgeUnavailableError) throw error;
			// fetch reports a refused, reset or dropped connection (before or during the body) as a TypeError.
			throw new Transient(`${what} failed: ${connectionReason(error)}`, undefined, '; is the server up, and the url in judge.json right?');
		} finally {
			clearTimeout(timer);
		}
	}

	/** The error a user sees: one line naming the judge. */
	fail(message: string): JudgeUnavailableError {
		return new JudgeUnavailableError(`judge "${this.judge}": ${message}`);
	}
}

function connectionReason(error: unknown): string {
	const cause = (error as {cause?: {code?: unknown; message?: unknown}})?.cause;
	if (typeof cause?.code === 'string') return cause.code;
	if (typeof cause?.message === 'string') return cause.message;
	return error instanceof Error ? error.message : String(error);
}
