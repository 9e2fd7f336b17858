/**
 * From the judges' attribution to what the round acts on: the aggregated segment importances (one vector per
 * objective combined by the task's multi-objective mode, with the conflict matrix), the segments to edit, and the
 * hard examples shown to the generator.
 */
import {aggregateImportance} from '../core/aggregate.js';
import {combineObjectives, conflictMatrix} from '../core/multi-objective.js';
import {selectSegments} from '../core/select.js';
import type {Task, TaskExample} from '../core/task.js';
import type {Segment, SegmentImportance} from '../core/types.js';
import type {HardExample} from '../generators/types.js';
import {weightOf, type Attribution, type Objective} from './measure.js';
import type {ObjectiveReport} from './types.js';

/** The importances of a round. */
export type RoundImportance = {
	/** Per-judge and aggregated importances (for several objectives: the combined direction). */
	importance: SegmentImportance;
	/** Per-objective vectors, for multi-objective tasks. */
	objectives?: ObjectiveReport;
};

/** The importance with the judges' leave-one-out fallback reasons, when any judge fell back (logged with it). */
function withFallbacks(importance: SegmentImportance, attribution: Attribution, judges: readonly string[]): SegmentImportance {
	const fallbacks = Object.fromEntries(judges.filter(j => attribution.fallbacks[j] !== undefined).map(j => [j, attribution.fallbacks[j]!]));
	return Object.keys(fallbacks).length > 0 ? {...importance, fallbacks} : importance;
}

/** Aggregates the selection judges' attribution over judges (and combines objectives). */
export function buildImportance(
	attribution: Attribution,
	input: {segmentIds: string[]; judges: string[]; objectives: readonly Objective[]; task: Task},
): RoundImportance {
	const {task, judges, objectives, segmentIds} = input;
	const methods = judges.map(j => attribution.methods[j]);
	const method = methods.length > 0 && methods.every(m => m === 'loo') ? 'loo' : 'gradient';
	const aggregate = (perJudge: Record<string, number[]>, losses: Record<string, number>) =>
		aggregateImportance({segmentIds, perJudge, losses, method, normalisation: task.normalisation, aggregation: task.aggregation});
	if (task.objectives === undefined) {
		const perJudge = Object.fromEntries(judges.map(j => [j, attribution.importance[j]['']]));
		return {importance: withFallbacks(aggregate(perJudge, attribution.losses), attribution, judges)};
	}
	const vectors: Record<string, number[]> = {};
	for (const o of objectives) {
		const perJudge = Object.fromEntries(judges.map(j => [j, attribution.importance[j][o.name]]));
		const losses = Object.fromEntries(judges.map(j => [j, attribution.objectiveLosses[j][o.name]]));
		vectors[o.name] = aggregate(perJudge, losses).aggregate;
	}
	const list = objectives.map(o => vectors[o.name]);
	const mode = task.multiObjective;
	const combine = (weights: number[]) => {
		const combined = combineObjectives(list, mode === 'separate' ? 'sum' : mode, weights);
		// Per judge, the objective-weighted sum: what each judge says about the combined objective (for the heatmap).
		const perJudge = Object.fromEntries(
			judges.map(j => [j, segmentIds.map((_, k) => objectives.reduce((s, o, i) => s + weights[i] * attribution.importance[j][o.name][k], 0))]),
		);
		return {combined, perJudge};
	};
	let weights = objectives.map(o => o.weight);
	let {combined, perJudge} = combine(weights);
	if (!combined.direction.every(Number.isFinite)) {
		// Huge weights (1e308) overflow the weighted sums. Only their ratios matter for the order of the segments, so
		// they are scaled down to at most 1 instead; ordinary weights keep their scale (the numbers the user sees).
		const largest = Math.max(...weights);
		weights = weights.map(w => w / largest);
		({combined, perJudge} = combine(weights));
	}
	const importance = withFallbacks({...aggregate(perJudge, attribution.losses), aggregate: combined.direction}, attribution, judges);
	return {
		importance,
		objectives: {
			names: objectives.map(o => o.name),
			weights,
			mode,
			vectors,
			conflict: conflictMatrix(list),
			combination: combined.weights,
		},
	};
}

/** The segments to edit: the user's override, or the m weakest (per objective in mode "separate"). */
export function chooseTargets(
	segments: readonly Segment[],
	round: RoundImportance,
	m: number,
	override?: readonly string[],
): {targets: string[]; perObjective?: Record<string, string[]>} {
	const {importance, objectives} = round;
	if (override !== undefined) return {targets: selectSegments(segments, importance, {override})};
	if (objectives?.mode !== 'separate') return {targets: selectSegments(segments, importance, {m})};
	const perObjective: Record<string, string[]> = {};
	for (const name of objectives.names) {
		perObjective[name] = selectSegments(segments, {segmentIds: importance.segmentIds, aggregate: objectives.vectors[name]}, {m});
	}
	return {targets: [...new Set(Object.values(perObjective).flat())], perObjective};
}

/**
 * The examples the judges find hardest: the highest loss relative to the batch mean, signed by the example's
 * weight, so a negative-weight example (an output to avoid) is hard when the judges find it likely. Only positive
 * examples are shown, because a generator reads every shown target as the output to aim for.
 */
export function hardExamples(
	examples: readonly TaskExample[],
	exampleLosses: Record<string, number[]>,
	judges: readonly string[],
	count: number,
): HardExample[] {
	if (count <= 0 || judges.length === 0) return [];
	const loss = examples.map((_, e) => judges.reduce((s, j) => s + exampleLosses[j][e], 0) / judges.length);
	const mean = loss.reduce((a, b) => a + b, 0) / Math.max(1, loss.length);
	return examples
		.map((example, e) => ({example, loss: loss[e], hardness: weightOf(example) * (loss[e] - mean)}))
		.filter(x => weightOf(x.example) > 0 && Number.isFinite(x.loss))
		.sort((a, b) => b.hardness - a.hardness)
		.slice(0, count)
		.map(({example, loss: l}) => ({
			input: example.input,
			target: example.target ?? Object.entries(example.targets ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n'),
			...(example.targets ? {targets: example.targets} : {}),
			loss: l,
		}));
}
