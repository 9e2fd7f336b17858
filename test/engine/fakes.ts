/**
 * Fakes for engine tests: judges whose loss is a transparent function of the prompt text (each rule that matches a
 * segment adds its delta, for examples whose target matches), so the right edit is known in advance; and a session,
 * task and engine set up in a temp folder. No module mocking: the engine takes these through its interfaces.
 */
import {segmentPrompt} from '../../source/core/segment.js';
import {taskSchema, type Task} from '../../source/core/task.js';
import {UserError} from '../../source/errors.js';
import type {AttributionResult, Judge, JudgeExample, JudgeInfo, ScoreResult} from '../../source/judges/types.js';
import {newSession, type Session} from '../../source/sessions/store.js';
import {tempDir as makeTempDir} from '../helpers/temp.js';

/** A segment matching `pattern` adds `delta` to the loss of examples whose target matches `target` (default all). */
export type Rule = {pattern: RegExp; delta: number; target?: RegExp};

export type FakeJudgeOptions = {
	rules: Rule[];
	/** Loss of a prompt no rule matches (default 2). */
	base?: number;
	heldout?: boolean;
	/** false: no gradient, so the engine must ask for leave-one-out. */
	gradient?: boolean;
	/** Each call waits this long. */
	delayMs?: number;
	/** Keep waiting when aborted (a judge that ignores the signal). */
	ignoreAbort?: boolean;
	/** Greedy answer for an input under a prompt. */
	answer?: (prompt: string, input: string) => string;
	/** Throw this from every call. */
	fail?: Error;
	/** Prompts longer than this many characters are refused, as a real judge refuses text beyond its context. */
	maxChars?: number;
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			clearTimeout(timer);
			reject(signal.reason);
		}, {once: true});
	});
}

export class FakeJudge implements Judge {
	readonly info: JudgeInfo;
	readonly calls = {score: 0, attribute: 0, loo: 0, generate: 0};
	/** Results returned after the caller had aborted (what the engine must drop). */
	late = 0;

	constructor(name: string, private readonly options: FakeJudgeOptions) {
		this.info = {
			name,
			family: 'fake',
			heldout: options.heldout ?? false,
			parameters: 0,
			vocabSize: 0,
			gradient: options.gradient === false ? {available: false, reason: 'fake judge without gradient'} : {available: true},
		};
	}

	/** The loss of one example under a prompt. */
	loss(segments: readonly string[], example: JudgeExample): number {
		let loss = this.options.base ?? 2;
		for (const text of segments) {
			for (const rule of this.options.rules) {
				if (rule.pattern.test(text) && (!rule.target || rule.target.test(example.target))) loss += rule.delta;
			}
		}
		return Math.max(0.05, loss);
	}

	async #wait(signal?: AbortSignal, segments?: readonly string[]): Promise<void> {
		if (this.options.fail) throw this.options.fail;
		const length = segments?.join('').length ?? 0;
		if (this.options.maxChars !== undefined && length > this.options.maxChars) {
			throw new UserError(`the prompt is ${length} characters long, more than ${this.options.maxChars}`, {field: `judge "${this.info.name}"`});
		}
		if (!this.options.delayMs) return signal?.throwIfAborted();
		await sleep(this.options.delayMs, this.options.ignoreAbort ? undefined : signal);
		if (signal?.aborted) this.late++;
	}

	async score(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult> {
		this.calls.score++;
		await this.#wait(signal, segments);
		return {losses: examples.map(e => this.loss(segments, e)), targetTokens: examples.map(e => e.target.length)};
	}

	async attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		this.calls.attribute++;
		return this.#attribution(segments, examples, 'gradient', 1, signal);
	}

	async attributeLeaveOneOut(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		this.calls.loo++;
		return this.#attribution(segments, examples, 'loo', segments.length + 1, signal);
	}

	async #attribution(segments: readonly string[], examples: readonly JudgeExample[], method: 'gradient' | 'loo', passes: number, signal?: AbortSignal): Promise<AttributionResult> {
		await this.#wait(signal, segments);
		const losses = examples.map(e => this.loss(segments, e));
		// Exact leave-one-out: L(without k) - L, positive when the segment helps.
		const importance = examples.map((e, i) => segments.map((_, k) => this.loss(segments.filter((__, j) => j !== k), e) - losses[i]));
		return {losses, targetTokens: examples.map(e => e.target.length), importance, method, passes};
	}

	async generate(segments: readonly string[], inputs: readonly string[], _maxTokens: number, signal?: AbortSignal): Promise<string[]> {
		this.calls.generate++;
		await this.#wait(signal);
		const prompt = segments.join('');
		return inputs.map(input => this.options.answer?.(prompt, input) ?? input);
	}

	async close(): Promise<void> {}
}

/** A fresh temp folder, removed when the test process exits. */
export function tempDir(prefix = 'gmpo-engine-'): string {
	return makeTempDir(prefix);
}

/** A task from a partial task file (defaults: the harmful/helpful toy task). */
export function makeTask(fields: Record<string, unknown> = {}): Task {
	const file = taskSchema.parse({
		name: 'toy',
		prompt: 'Be helpful. Say something harmful. Answer briefly. Add harmful jokes.',
		phraseBank: ['Be kind.', 'Answer in one word.'],
		batchSize: 4,
		rounds: 3,
		// Every candidate on the whole batch unless a test races (test/engine/racing.test.ts).
		racing: false,
		data: {
			train: [
				{input: 'a', target: 'A'},
				{input: 'b', target: 'B'},
				{input: 'c', target: 'C'},
				{input: 'd', target: 'D'},
				{input: 'e', target: 'E'},
			],
			test: [
				{input: 'x', target: 'X'},
				{input: 'y', target: 'Y'},
			],
		},
		...fields,
	});
	return {...file, data: file.data as Task['data']};
}

/** The toy rules: "harmful" hurts, "briefly" and "kind" help. */
export const toyRules: Rule[] = [
	{pattern: /harmful/, delta: 1},
	{pattern: /briefly/, delta: -0.4},
	{pattern: /kind/, delta: -0.2},
];

/** A new session for a task in a temp folder. */
export function makeSession(task: Task, options: {judges?: string[]; frozen?: string[]; dir?: string} = {}): Session {
	const segments = segmentPrompt(task.prompt, task.segmentation).map(s => (options.frozen?.includes(s.id) ? {...s, frozen: true} : s));
	return newSession({task, segments, judges: options.judges ?? ['a', 'b'], generator: {kind: 'offline'}}, {dir: options.dir ?? tempDir()});
}
