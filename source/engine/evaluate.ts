/**
 * Evaluating a prompt on a task's test split: the task loss per judge (held-out judges included; r-weighted, per
 * objective and combined) and, optionally, greedy exact match per judge: does the judge, prompted with the prompt,
 * produce the reference? Exact match counts only examples with r > 0, since a negative example's reference is an
 * output to avoid.
 */
import type {Task} from '../core/task.js';
import type {Judge, JudgeExample} from '../judges/types.js';
import {judgeExamples, scorePrompt, taskObjectives, weightOf} from './measure.js';

/** One judge's result on the test split. */
export type JudgeEvaluation = {
	/** Judge name. */
	judge: string;
	/** Whether it is held out of selection. */
	heldout: boolean;
	/** Task loss (r-weighted mean token cross-entropy, objectives combined). */
	loss: number;
	/** Task loss per objective (multi-objective tasks). */
	objectives?: Record<string, number>;
	/** Share of positive examples whose greedy output equals the reference (per objective: the mean), when asked. */
	exactMatch?: number;
	/** Positive examples the exact match is over (per objective). */
	matchedOver?: number;
};

/** What to evaluate. */
export type EvaluateInput = {
	/** The task (its test split and objectives). */
	task: Task;
	/** The judges. */
	judges: readonly Judge[];
	/** The prompt's segment texts. */
	segments: readonly string[];
	/** Also compute greedy exact match (one generation per example and judge). */
	exactMatch?: boolean;
	/** Cancels the work. */
	signal?: AbortSignal;
};

/** The first line of a generation, trimmed: what is compared with the reference. */
export function normaliseAnswer(text: string): string {
	return text.trim().split('\n')[0].trim();
}

/** Evaluates a prompt on the test split. */
export async function evaluatePrompt(input: EvaluateInput): Promise<JudgeEvaluation[]> {
	const signal = input.signal ?? new AbortController().signal;
	const objectives = taskObjectives(input.task);
	const examples = input.task.data.test;
	const m = await scorePrompt({judges: input.judges, segments: input.segments, examples, objectives, signal});
	const out: JudgeEvaluation[] = [];
	for (const judge of input.judges) {
		const name = judge.info.name;
		const result: JudgeEvaluation = {judge: name, heldout: judge.info.heldout, loss: m.losses[name]};
		if (input.task.objectives) result.objectives = m.objectiveLosses[name];
		if (input.exactMatch) Object.assign(result, await exactMatch(judge, input, signal));
		out.push(result);
	}
	return out;
}

/**
 * A judge's greedy output for each example, prompted with the prompt. The judge's own token count of the longest
 * reference bounds the generation, with a little room.
 */
export async function greedyOutputs(judge: Judge, segments: readonly string[], examples: readonly JudgeExample[], signal: AbortSignal): Promise<string[]> {
	if (examples.length === 0) return [];
	const {targetTokens} = await judge.score(segments, examples, signal);
	const maxTokens = Math.max(...targetTokens, 1) + 2;
	return judge.generate(segments, examples.map(e => e.input), maxTokens, signal);
}

/** Whether a greedy output is the reference (first lines compared, trimmed). */
export function isExactMatch(output: string, reference: string): boolean {
	return normaliseAnswer(output) === normaliseAnswer(reference);
}

async function exactMatch(judge: Judge, input: EvaluateInput, signal: AbortSignal): Promise<{exactMatch?: number; matchedOver: number}> {
	const positive = input.task.data.test.filter(e => weightOf(e) > 0);
	if (positive.length === 0) return {matchedOver: 0};
	const shares: number[] = [];
	for (const objective of taskObjectives(input.task)) {
		const examples = judgeExamples(positive, objective);
		const outputs = await greedyOutputs(judge, input.segments, examples, signal);
		const hits = outputs.filter((o, i) => isExactMatch(o, examples[i].target)).length;
		shares.push(hits / examples.length);
	}
	return {exactMatch: shares.reduce((a, b) => a + b, 0) / shares.length, matchedOver: positive.length};
}
