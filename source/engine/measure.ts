/**
 * Running the judges on a prompt: attribution and scoring of one prompt on a batch, per objective, with the task's
 * example weights. The task loss of judge j is the r-weighted mean of its example losses, sum_e r_e L_e / sum_e |r_e|
 * (PMPO): an example with r < 0 is an output the prompt should make less likely, so its loss counts negatively.
 * Importances are weighted the same way. Multi-objective tasks run every judge once per objective (each objective
 * has its own references); the per-judge loss is then the objective-weighted mean.
 */
import type {TaskExample} from '../core/task.js';
import type {JudgeLosses} from '../core/types.js';
import type {AttributionMethod, Judge, JudgeExample, ScoreResult} from '../judges/types.js';

/** One objective: its name (the key in `targets`) and weight. Single-objective tasks have one, named "". */
export type Objective = {
	/** Key in each example's `targets`; "" for the single objective of a plain task. */
	name: string;
	/** Weight in the combined loss. */
	weight: number;
};

/** The objectives of a task: its own, or the one implicit objective of a plain task. */
export function taskObjectives(task: {objectives?: {name: string; weight: number}[]}): Objective[] {
	return task.objectives?.map(o => ({name: o.name, weight: o.weight})) ?? [{name: '', weight: 1}];
}

/** Examples as a judge sees them for one objective. */
export function judgeExamples(examples: readonly TaskExample[], objective: Objective): JudgeExample[] {
	return examples.map(e => ({input: e.input, target: objective.name === '' ? e.target! : e.targets![objective.name]}));
}

/** An example's weight r (default 1). */
export const weightOf = (e: TaskExample): number => e.weight ?? 1;

/** sum_e r_e v_e / sum_e |r_e|; NaN when every weight is 0. */
export function weightedMean(values: readonly number[], weights: readonly number[]): number {
	// Weights are divided by the largest |r| first (the ratio is the same): a weight like 1e308 would otherwise
	// overflow the sums to Infinity, and Infinity / Infinity is NaN.
	let scale = 0;
	for (const w of weights) scale = Math.max(scale, Math.abs(w));
	if (scale === 0 || !Number.isFinite(scale)) return Number.NaN;
	let num = 0;
	let den = 0;
	values.forEach((v, i) => {
		const r = weights[i] / scale;
		num += r * v;
		den += Math.abs(r);
	});
	return num / den;
}

/** The r-weighted importance per segment: sum_e r_e I_e,k / sum_e |r_e| (rows are examples). */
export function weightedImportance(perExample: readonly number[][], weights: readonly number[], segments: number): number[] {
	return Array.from({length: segments}, (_, k) => weightedMean(perExample.map(row => row[k]), weights));
}

/** Objective-weighted mean of per-objective values. */
export function combineObjectiveValues(values: Record<string, number>, objectives: readonly Objective[]): number {
	return weightedMean(
		objectives.map(o => values[o.name]),
		objectives.map(o => o.weight),
	);
}

/** What judges said about one prompt on one batch, per judge and objective. */
export type Measurement = {
	/** Task loss per judge (objective-weighted mean of the r-weighted losses). */
	losses: JudgeLosses;
	/** Task loss per judge and objective. */
	objectiveLosses: Record<string, Record<string, number>>;
	/** Loss per judge and example (objective-weighted), aligned with the batch. */
	exampleLosses: Record<string, number[]>;
	/** Loss per judge, objective and example, aligned with the batch (what measurements of parts are merged from). */
	objectiveExampleLosses: Record<string, Record<string, number[]>>;
	/** Judge passes spent. */
	passes: number;
};

/** Attribution adds per-segment importances. */
export type Attribution = Measurement & {
	/** Raw r-weighted importance per judge, objective and segment. */
	importance: Record<string, Record<string, number[]>>;
	/** How each judge computed its importances. */
	methods: Record<string, AttributionMethod>;
	/** Why a judge fell back to leave-one-out, by judge. */
	fallbacks: Record<string, string>;
};

/** Shared arguments of the measuring functions. */
export type MeasureInput = {
	/** The judges to run. */
	judges: readonly Judge[];
	/** The prompt's segment texts. */
	segments: readonly string[];
	/** The batch. */
	examples: readonly TaskExample[];
	/** The task's objectives. */
	objectives: readonly Objective[];
	/** Cancels the judges' work. */
	signal: AbortSignal;
	/** Called after each judge call with (done, total). */
	onProgress?: (done: number, total: number) => void;
};

function emptyMeasurement(): Measurement {
	return {losses: {}, objectiveLosses: {}, exampleLosses: {}, objectiveExampleLosses: {}, passes: 0};
}

function record(m: Measurement, judge: string, objectives: readonly Objective[], perObjective: Record<string, number[]>, weights: number[]): void {
	m.objectiveExampleLosses[judge] = perObjective;
	const byObjective: Record<string, number> = {};
	for (const o of objectives) byObjective[o.name] = weightedMean(perObjective[o.name], weights);
	m.objectiveLosses[judge] = byObjective;
	m.losses[judge] = combineObjectiveValues(byObjective, objectives);
	const n = weights.length;
	m.exampleLosses[judge] = Array.from({length: n}, (_, e) =>
		combineObjectiveValues(Object.fromEntries(objectives.map(o => [o.name, perObjective[o.name][e]])), objectives),
	);
}

/** Loss of one prompt for every judge (and objective) on the batch. */
export async function scorePrompt(input: MeasureInput): Promise<Measurement> {
	const m = emptyMeasurement();
	const weights = input.examples.map(weightOf);
	const total = input.judges.length * input.objectives.length;
	let done = 0;
	for (const judge of input.judges) {
		const perObjective: Record<string, number[]> = {};
		for (const o of input.objectives) {
			input.signal.throwIfAborted();
			const result = await judge.score(input.segments, judgeExamples(input.examples, o), input.signal);
			perObjective[o.name] = result.losses;
			m.passes += 1;
			input.onProgress?.(++done, total);
		}
		record(m, judge.info.name, input.objectives, perObjective, weights);
	}
	return m;
}

/**
 * Losses of several prompts, one function per prompt that measures it when called (in order, as scorePrompt
 * does). Judges that batch across prompts (Judge.scoreMany: a server judge) get every prompt at once, before the
 * first call, so their requests run while the local judges work; the others are asked when the prompt's function
 * is called. A prompt a judge refuses fails its own call only.
 */
export function scorePrompts(input: Omit<MeasureInput, 'segments' | 'onProgress'> & {prompts: readonly (readonly string[])[]}): (() => Promise<Measurement>)[] {
	const weights = input.examples.map(weightOf);
	const early = new Map<Judge, Record<string, Promise<ScoreResult>[]>>();
	for (const judge of input.judges) {
		if (!judge.scoreMany) continue;
		const perObjective: Record<string, Promise<ScoreResult>[]> = {};
		for (const o of input.objectives) {
			perObjective[o.name] = judge.scoreMany(input.prompts, judgeExamples(input.examples, o), input.signal);
			// Each is awaited by its prompt's call; a call never made (the round stopped) must not leave an unhandled rejection.
			for (const p of perObjective[o.name]) p.catch(() => {});
		}
		early.set(judge, perObjective);
	}
	return input.prompts.map((segments, i) => async () => {
		const m = emptyMeasurement();
		for (const judge of input.judges) {
			const perObjective: Record<string, number[]> = {};
			for (const o of input.objectives) {
				input.signal.throwIfAborted();
				const pending = early.get(judge)?.[o.name][i];
				perObjective[o.name] = (await (pending ?? judge.score(segments, judgeExamples(input.examples, o), input.signal))).losses;
				m.passes += 1;
			}
			record(m, judge.info.name, input.objectives, perObjective, weights);
		}
		return m;
	});
}

/**
 * Importances and losses of the prompt for every judge (and objective) on the batch: one gradient attribution per
 * judge and objective, or leave-one-out when the judge has no gradient or `method` asks for it.
 */
export async function attributePrompt(input: MeasureInput & {method?: 'auto' | 'loo'}): Promise<Attribution> {
	const m: Attribution = {...emptyMeasurement(), importance: {}, methods: {}, fallbacks: {}};
	const weights = input.examples.map(weightOf);
	const total = input.judges.length * input.objectives.length;
	let done = 0;
	for (const judge of input.judges) {
		const name = judge.info.name;
		const perObjective: Record<string, number[]> = {};
		m.importance[name] = {};
		// A judge without gradients runs leave-one-out here directly; its reason is the one its info gives.
		const unavailable = judge.info.gradient.available ? undefined : judge.info.gradient.reason;
		const loo = input.method === 'loo' || unavailable !== undefined;
		for (const o of input.objectives) {
			input.signal.throwIfAborted();
			const examples = judgeExamples(input.examples, o);
			const result = loo
				? await judge.attributeLeaveOneOut(input.segments, examples, input.signal)
				: await judge.attribute(input.segments, examples, input.signal);
			if (result.importance.length !== examples.length || result.importance.some(row => row.length !== input.segments.length)) {
				throw new Error(`judge ${name} returned importances of the wrong shape`);
			}
			perObjective[o.name] = result.losses;
			m.importance[name][o.name] = weightedImportance(result.importance, weights, input.segments.length);
			m.methods[name] = result.method;
			const fallback = result.fallbackReason ?? (input.method === 'loo' ? undefined : unavailable);
			if (fallback) m.fallbacks[name] = fallback;
			m.passes += result.passes;
			input.onProgress?.(++done, total);
		}
		record(m, name, input.objectives, perObjective, weights);
	}
	return m;
}

/**
 * One measurement of the whole batch from measurements of its parts: `parts[i]` measured the examples at
 * `positions[i]` of the batch (every position exactly once over all parts; a judge must be in every part). Passes
 * add up.
 */
export function mergeMeasurements(parts: readonly {positions: readonly number[]; measurement: Measurement}[], examples: readonly TaskExample[], objectives: readonly Objective[]): Measurement {
	const m = emptyMeasurement();
	const weights = examples.map(weightOf);
	const judges = Object.keys(parts[0]?.measurement.objectiveExampleLosses ?? {});
	for (const judge of judges) {
		const perObjective: Record<string, number[]> = Object.fromEntries(objectives.map(o => [o.name, new Array<number>(examples.length).fill(Number.NaN)]));
		for (const {positions, measurement} of parts) {
			const own = measurement.objectiveExampleLosses[judge];
			if (!own) throw new Error(`judge ${judge} is missing from a part of the batch`);
			for (const o of objectives) positions.forEach((p, i) => (perObjective[o.name][p] = own[o.name][i]));
		}
		record(m, judge, objectives, perObjective, weights);
	}
	m.passes = parts.reduce((a, p) => a + p.measurement.passes, 0);
	return m;
}
