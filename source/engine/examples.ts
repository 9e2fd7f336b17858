/**
 * The per-example view of a round (promptfoo's grid, in the terminal): for the current prompt and one candidate,
 * each judge's greedy output on each example of the round's batch beside the reference, whether it matches exactly,
 * and each example's loss under both prompts. Losses come from the round's scoring; greedy outputs are generated on
 * request (one generation per judge and prompt, batched over the examples), cancellable, and kept for the round so
 * going back and forth costs nothing.
 */
import {joinSegments} from '../core/segment.js';
import {UserError} from '../errors.js';
import {greedyOutputs, isExactMatch} from './evaluate.js';
import type {EngineHost} from './host.js';
import {judgeExamples, weightOf, type Objective} from './measure.js';
import type {RoundWork} from './view.js';

/** One example of the round's batch. */
export type ExampleRow = {
	/** Index in the training split. */
	index: number;
	/** The input. */
	input: string;
	/** The reference output (the first objective's, for multi-objective tasks). */
	reference: string;
	/** Its weight r (r < 0: an output to avoid). */
	weight: number;
};

/** What the judges make of one prompt on the batch's examples. */
export type ExampleOutputs = {
	/** The candidate id; undefined for the current prompt. */
	prompt?: string;
	/** Per judge, the greedy output of each example (aligned with the rows); absent until generated. */
	outputs: Record<string, string[]>;
	/** Per judge, whether each output is the reference (first lines compared, trimmed). */
	match: Record<string, boolean[]>;
	/** Per judge, each example's loss (nats/token), when scored. */
	losses: Record<string, number[]>;
};

/** The per-example view: the current prompt and a candidate side by side on every example of the batch. */
export type ExamplesView = {
	/** The examples. */
	rows: ExampleRow[];
	/** Judges, selection first. */
	judges: string[];
	/** The objective whose references are shown (multi-objective tasks). */
	objective?: string;
	/** The current prompt. */
	current: ExampleOutputs;
	/** The candidate compared, if any. */
	candidate?: ExampleOutputs;
};

/** Generates what is missing for the current prompt and `candidate` (undefined: the current prompt alone). */
export async function generateExamples(host: EngineHost, work: RoundWork, candidate: string | undefined): Promise<void> {
	work.cancelled = undefined;
	work.error = undefined;
	work.examplesFor = {candidate};
	const chosen = candidate === undefined ? undefined : work.candidates.find(c => c.id === candidate);
	if (candidate !== undefined && !chosen) throw new UserError(`unknown candidate "${candidate}"`, {field: 'candidate'});
	const prompts = [host.segments.map(s => s.text), ...(chosen ? [chosen.segments.map(s => s.text)] : [])];
	const judges = [...host.selection, ...host.heldout];
	const examples = judgeExamples(
		work.batch.map(i => host.task.data.train[i]),
		{name: host.objectives[0].name, weight: 1},
	);
	const todo = prompts.flatMap(segments => judges.filter(j => !work.outputs.get(segments.join(''))?.[j.info.name]).map(judge => ({segments, judge})));
	if (todo.length === 0) return;
	host.setStatus('generating');
	await host.attempt(work, 'generation', async (signal, live) => {
		const progress = host.progress(work, 'generation', live);
		let done = 0;
		progress(done, todo.length);
		for (const {segments, judge} of todo) {
			const outputs = await greedyOutputs(judge, segments, examples, signal);
			if (!live()) return;
			const key = segments.join('');
			work.outputs.set(key, {...work.outputs.get(key), [judge.info.name]: outputs});
			progress(++done, todo.length);
		}
	});
}

/** The per-example view of the round, when asked for. */
export function examplesView(
	work: RoundWork,
	context: {task: EngineHost['task']; objectives: readonly Objective[]; segments: readonly {text: string}[]; judges: string[]},
): ExamplesView | undefined {
	if (!work.examplesFor) return undefined;
	const {candidate} = work.examplesFor;
	const objective = context.objectives[0];
	const examples = work.batch.map(i => context.task.data.train[i]);
	const references = judgeExamples(examples, {name: objective.name, weight: 1});
	const outputs = (prompt: string, losses: Record<string, number[]>, id: string | undefined): ExampleOutputs => {
		const generated = work.outputs.get(prompt) ?? {};
		return {
			prompt: id,
			outputs: generated,
			match: Object.fromEntries(Object.entries(generated).map(([j, out]) => [j, out.map((o, e) => isExactMatch(o, references[e].target))])),
			losses,
		};
	};
	const chosen = candidate === undefined ? undefined : work.candidates.find(c => c.id === candidate);
	return {
		rows: examples.map((e, k) => ({index: work.batch[k], input: e.input, reference: references[k].target, weight: weightOf(e)})),
		judges: context.judges,
		objective: context.objectives.length > 1 ? objective.name : undefined,
		current: outputs(joinSegments(context.segments), work.exampleLosses, undefined),
		candidate: chosen ? outputs(joinSegments(chosen.segments), work.scores.get(chosen.id)?.exampleLosses ?? {}, chosen.id) : undefined,
	};
}
