/**
 * The small chat interface LLM-backed generators are built on. The OpenAI-compatible client implements it over
 * HTTP; tests implement it with a fake, so no module mocking is needed.
 */
import type {RetryNotice} from '../core/retry.js';
import type {TokenUsage} from './types.js';

/** One chat message. */
export type ChatMessage = {
	/** Who speaks. */
	role: 'system' | 'user' | 'assistant';
	/** The text. */
	content: string;
};

/** A JSON Schema the reply must follow (sent as `response_format` by the OpenAI client). */
export type JsonFormat = {
	/** Schema name (letters, digits, underscores). */
	name: string;
	/** The JSON Schema object. */
	schema: Record<string, unknown>;
};

/** One chat completion request. */
export type ChatRequest = {
	/** The conversation so far. */
	messages: ChatMessage[];
	/** When set, the reply must be a JSON document following this schema; absent for free text. */
	json?: JsonFormat;
	/** Sampling temperature; absent leaves the server's default. */
	temperature?: number;
	/** Told before each retry of a failed attempt (the attempt count the user sees). */
	onRetry?: (notice: RetryNotice) => void;
};

/** One chat completion reply. */
export type ChatResponse = {
	/** The assistant's text. */
	content: string;
	/** Tokens spent by this call. */
	usage: TokenUsage;
};

/** An LLM behind a chat interface. */
export type ChatClient = {
	/** Model name, shown in the generator's name. */
	readonly model: string;
	/** Completes one request; rejects with the signal's reason when aborted and with a UserError for endpoint faults. */
	complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;
};
