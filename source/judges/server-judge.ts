/**
 * A judge served by an inference engine (vLLM, SGLang) that returns the log-probabilities of given prompt tokens.
 * Text is rendered and tokenised here with the served model's own tokenizer files, exactly as a local judge does
 * (judge-folder.ts), and token ids are sent, so the loss covers exactly the target tokens: the mean of
 * -log p(y_t | prefix) over them. Engines return no gradients, so segment importances are deletion leave-one-out:
 * L(prompt without segment k) - L(prompt), K+1 sequences per example, all sent as one batch.
 *
 * Opening checks, in order, each failing with one line naming the judge: the API key variable is set, the server
 * answers and serves the model, its tokenisation of a probe text agrees with the folder's, and it returns prompt
 * log-probabilities (a sample scored).
 */
import {setMaxListeners} from 'node:events';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {UserError} from '../errors.js';
import {encodeExample, loadJudgeText, type JudgeText} from './judge-folder.js';
import {parseServerJudgeConfig, serverRoot, type ServerJudgeConfig} from './server-config.js';
import {DEFAULT_POLICY, Limiter, ServerClient, type HttpPolicy} from './server-http.js';
import {engineProtocol, type EngineProtocol} from './server-protocols.js';
import type {AttributionResult, Judge, JudgeExample, JudgeInfo, ScoreResult} from './types.js';

/** Options of a server judge. */
export type ServerJudgeOptions = {
	/** Overrides judge.json's heldout flag. */
	heldout?: boolean;
	/** Where the API key variable is looked up (default process.env). */
	env?: NodeJS.ProcessEnv;
	/** Overrides of the HTTP policy (judge.json gives timeoutMs and retries); tests inject short delays here. */
	http?: Partial<HttpPolicy>;
};

/** A server judge before any request: its config, text side and client. */
export type ServerJudgeParts = {
	/** judge.json's path. */
	file: string;
	/** judge.json, validated. */
	config: ServerJudgeConfig;
	/** The tokenizer folder's text side. */
	text: JudgeText;
	/** The HTTP client (API key inside). */
	client: ServerClient;
	/** The engine's protocol. */
	protocol: EngineProtocol;
};

/** A sequence to score: ids, and how many of them are context (the rest is the target). */
type Sequence = {ids: number[]; contextLength: number};

/** The sample scored when a server judge opens (and by `judges check`). */
export const PROBE = {
	segments: ['You are a careful assistant. ', 'Convert the word to uppercase. ', 'Answer with the word only.'],
	examples: [
		{input: 'apple', target: 'APPLE'},
		{input: 'river café ☕', target: 'RIVER CAFÉ ☕'},
	],
};

/** Reads judge.json, the tokenizer folder and the API key; no request is made. */
export async function loadServerJudge(dir: string, options: ServerJudgeOptions = {}): Promise<ServerJudgeParts> {
	const file = path.join(path.resolve(dir), 'judge.json');
	let value: unknown;
	try {
		value = JSON.parse(await readFile(file, 'utf8'));
	} catch (error) {
		throw new UserError(`cannot read a server judge's judge.json: ${error instanceof Error ? error.message : String(error)}`, {file});
	}
	const parsed = parseServerJudgeConfig(value);
	if (!parsed.ok) throw new UserError(parsed.issue.message, {file, field: parsed.issue.field || undefined});
	const config = parsed.config;
	const tokenizerDir = path.resolve(path.dirname(file), config.tokenizer);
	const text = await loadJudgeText(tokenizerDir, {...config, tokenizer: 'tokenizer.json'}, file);
	let apiKey: string | undefined;
	if (config.apiKeyEnv) {
		apiKey = (options.env ?? process.env)[config.apiKeyEnv];
		if (!apiKey) {
			throw new UserError(`judge "${config.name}": the environment variable ${config.apiKeyEnv} (named by apiKeyEnv) is not set; export it with the server's API key`, {file, field: 'apiKeyEnv'});
		}
	}
	const policy: HttpPolicy = {...DEFAULT_POLICY, timeoutMs: config.timeoutMs, retries: config.retries, ...options.http};
	const client = new ServerClient(config.name, serverRoot(config.url), policy, apiKey);
	return {file, config, text, client, protocol: engineProtocol(config.engine)};
}

/** Checks that the server serves the judge's model; returns the model's context length when the server states it. */
export async function checkServedModel(parts: ServerJudgeParts, signal?: AbortSignal): Promise<number | undefined> {
	const served = await parts.protocol.models(parts.client, signal);
	const model = served.find(m => m.id === parts.config.model);
	if (!model) {
		const list = served.map(m => m.id).join(', ') || 'none';
		throw new UserError(`judge "${parts.config.name}": the server at ${parts.client.root} does not serve model "${parts.config.model}"; it serves: ${list}`, {file: parts.file, field: 'model'});
	}
	return model.maxModelLen;
}

/** Checks that the server tokenises a probe text (a rendered sample: template, prompt, input, target) as the folder does. */
export async function checkTokenizer(parts: ServerJudgeParts, signal?: AbortSignal): Promise<{tokens: number}> {
	const {segments, examples} = PROBE;
	const probe = parts.text.formatter.render(segments, examples[1]!.input, examples[1]!.target).text;
	const local = (await parts.text.tokenizer.encode(probe, {addSpecialTokens: true})).ids;
	const remote = await parts.protocol.tokenize(parts.client, parts.config.model, probe, signal);
	const at = local.findIndex((id, i) => remote[i] !== id);
	if (at !== -1 || remote.length !== local.length) {
		const i = at === -1 ? Math.min(local.length, remote.length) : at;
		const show = (id: number | undefined) => (id === undefined ? 'nothing' : `${id} ${JSON.stringify(parts.text.tokenizer.tokenString(id) ?? '?')}`);
		throw new UserError(
			`judge "${parts.config.name}": the server tokenises a probe text differently from the tokenizer folder ${path.dirname(parts.text.tokenizerPath)} ` +
				`(${remote.length} tokens there, ${local.length} here; token ${i}: server ${remote[i] ?? 'nothing'}, folder ${show(local[i])}); ` +
				'point "tokenizer" at the files of the model the server serves',
			{file: parts.file, field: 'tokenizer'},
		);
	}
	return {tokens: local.length};
}

export class ServerJudge implements Judge {
	readonly info: JudgeInfo;
	readonly parts: ServerJudgeParts;
	readonly #limiter: Limiter;
	/** Aborted by close(): requests still in flight stop. */
	readonly #closed = new AbortController();

	constructor(parts: ServerJudgeParts, options: {heldout?: boolean; contextLength?: number} = {}) {
		this.parts = parts;
		this.#limiter = new Limiter(parts.config.concurrency);
		this.info = {
			name: parts.config.name,
			family: parts.text.family === 'unknown' ? `${parts.config.engine} server` : parts.text.family,
			heldout: options.heldout ?? parts.config.heldout,
			parameters: 0,
			vocabSize: parts.text.tokenizer.vocabSize,
			contextLength: parts.config.maxTokens ?? options.contextLength ?? parts.text.maxTokens,
			gradient: {available: false, reason: `an inference server (${parts.config.engine}) returns log-probabilities, not gradients: importances are deletion leave-one-out`},
		};
		// The context length (judge.json's, else the server's) bounds what encodeExample accepts, less the one token
		// vLLM generates after the echoed prompt: a sequence too long is refused here, as for a local judge, instead
		// of failing the whole request on the server.
		const length = this.info.contextLength;
		if (length !== undefined) this.parts.text.maxTokens = parts.config.engine === 'vllm' ? length - 1 : length;
	}

	/** Opens the server judge in `dir`: loads it, then checks the model, the tokenizer and a sample score. */
	static async open(dir: string, options: ServerJudgeOptions = {}): Promise<ServerJudge> {
		const parts = await loadServerJudge(dir, options);
		const contextLength = await checkServedModel(parts);
		await checkTokenizer(parts);
		const judge = new ServerJudge(parts, {heldout: options.heldout, contextLength});
		await judge.score(PROBE.segments, PROBE.examples);
		return judge;
	}

	/** HTTP requests sent so far (retries included). */
	get requests(): number {
		return this.parts.client.requests;
	}

	/** Renders and tokenises examples for a prompt. */
	async encode(segments: readonly string[], examples: readonly JudgeExample[]): Promise<Sequence[]> {
		return Promise.all(
			examples.map(async e => {
				const t = await encodeExample({...this.parts.text, config: this.parts.config}, segments, e.input, e.target);
				return {ids: [...t.contextIds, ...t.targetIds], contextLength: t.contextIds.length};
			}),
		);
	}

	async score(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult> {
		return this.scoreMany([segments], examples, signal)[0]!;
	}

	/**
	 * Every prompt x example sequence, cut into batches of batchSize sequences (mixing prompts), sent with at most
	 * `concurrency` requests in flight. A prompt's promise settles when its last sequence is scored; a prompt that
	 * cannot be encoded (too long) fails alone, a failed request fails the prompts it carried.
	 */
	scoreMany(prompts: readonly (readonly string[])[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult>[] {
		const all = this.signal(signal);
		const results = prompts.map(() => deferred<ScoreResult>());
		const run = async () => {
			const encoded = await Promise.allSettled(prompts.map(segments => this.encode(segments, examples)));
			const jobs: (Sequence & {prompt: number; example: number})[] = [];
			const losses = prompts.map(() => new Array<number>(examples.length).fill(Number.NaN));
			const left = prompts.map(() => examples.length);
			const done = (p: number) => {
				const sequences = (encoded[p] as PromiseFulfilledResult<Sequence[]>).value;
				results[p]!.resolve({losses: losses[p]!, targetTokens: sequences.map(s => s.ids.length - s.contextLength)});
			};
			encoded.forEach((e, p) => {
				if (e.status === 'rejected') results[p]!.reject(e.reason);
				else if (examples.length === 0) done(p);
				else e.value.forEach((sequence, example) => jobs.push({...sequence, prompt: p, example}));
			});
			await Promise.all(
				this.batches(jobs).map(batch =>
					this.#limiter
						.run(async () => {
							const logprobs = await this.parts.protocol.promptLogprobs(this.parts.client, this.parts.config.model, batch.map(s => s.ids), all);
							batch.forEach((s, j) => {
								losses[s.prompt]![s.example] = targetLoss(logprobs[j]!, s.contextLength);
								if (--left[s.prompt]! === 0) done(s.prompt);
							});
						}, all)
						.catch((error: unknown) => batch.forEach(s => results[s.prompt]!.reject(error))),
				),
			);
		};
		run().catch((error: unknown) => results.forEach(r => r.reject(error)));
		return results.map(r => r.promise);
	}

	async attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		return {...(await this.attributeLeaveOneOut(segments, examples, signal)), fallbackReason: (this.info.gradient as {reason: string}).reason};
	}

	/** Deletion leave-one-out: the prompt, then the prompt without each segment, every example, as one batch. */
	async attributeLeaveOneOut(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		const variants = [segments, ...segments.map((_, k) => segments.map((s, i) => (i === k ? '' : s)))];
		const before = this.requests;
		const results = await Promise.all(this.scoreMany(variants, examples, signal));
		const [base, ...without] = results;
		const importance = examples.map((_, e) => without.map(r => r.losses[e]! - base!.losses[e]!));
		return {...base!, importance, method: 'loo', passes: this.requests - before};
	}

	async generate(segments: readonly string[], inputs: readonly string[], maxTokens: number, signal?: AbortSignal): Promise<string[]> {
		const text = this.parts.text;
		const judge = {...text, config: this.parts.config};
		const contexts = await Promise.all(inputs.map(async input => (await encodeExample(judge, segments, input, '')).contextIds));
		const eos = text.specialTokens.eos_token === undefined ? undefined : text.tokenizer.tokenId(text.specialTokens.eos_token);
		const stops = [...new Set([...(text.framing.suffix ?? []), ...(eos === undefined ? [] : [eos])])];
		const out: string[] = new Array(inputs.length);
		await Promise.all(
			this.batches(contexts.map((ids, i) => ({ids, i}))).map(batch =>
				this.#limiter.run(async () => {
					const texts = await this.parts.protocol.generate(this.parts.client, this.parts.config.model, batch.map(b => b.ids), maxTokens, stops, this.signal(signal));
					batch.forEach((b, j) => (out[b.i] = texts[j]!.trimStart()));
				}, this.signal(signal)),
			),
		);
		return out;
	}

	async close(): Promise<void> {
		this.#closed.abort(new Error(`judge "${this.info.name}" was closed`));
	}

	private batches<T>(items: T[]): T[][] {
		const size = this.parts.config.batchSize;
		return Array.from({length: Math.ceil(items.length / size)}, (_, b) => items.slice(b * size, (b + 1) * size));
	}

	/** The caller's signal and close(), as one; every request and queued batch of a call listens to it. */
	private signal(signal?: AbortSignal): AbortSignal {
		const both = signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal;
		// Dozens of batches wait on it at once: not a leak, so no MaxListenersExceededWarning.
		setMaxListeners(0, both);
		return both;
	}
}

/**
 * -mean log p of the target tokens (positions contextLength..end); 0 without target tokens, as a local judge's
 * loss graph gives. A target at position 0 has no prefix to be predicted from and is left out, as locally.
 */
export function targetLoss(logprobs: readonly number[], contextLength: number): number {
	const count = logprobs.length - contextLength;
	let sum = 0;
	for (let t = Math.max(1, contextLength); t < logprobs.length; t++) sum -= logprobs[t]!;
	return count > 0 ? sum / count : 0;
}

/** A promise and its settling functions (Promise.withResolvers, which Node 20 lacks). */
function deferred<T>(): {promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void} {
	let resolve!: (value: T) => void;
	let reject!: (reason: unknown) => void;
	const promise = new Promise<T>((yes, no) => {
		resolve = yes;
		reject = no;
	});
	return {promise, resolve, reject};
}
