/**
 * The per-example view of a round (promptfoo's grid, in the terminal): for the current prompt and one candidate,
 * each judge's greedy output on each example of the round's batch beside the reference, whether it matches exactly,
 * and each example's loss under both prompts. Losses come from the round's scoring; greedy outputs are generated on
 * request (one generation per judge and prompt, batched over the examples), cancellable, and kept for the round so
 * going back and forth costs nothing.
 */
import {UserError} from '../errors.js';
import {greedyOutputs} from './evaluate.js';
import type {EngineHost} from './host.js';
import {judgeExamples} from './measure.js';
import type {RoundWork} from './view.js';

export type {ExampleOutputs, ExampleRow, ExamplesView} from './examples-view.js';

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
