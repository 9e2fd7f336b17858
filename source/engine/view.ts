/**
 * The view of a round a driver decides on: candidates ranked by the acceptance rule (held-out judges reported, never
 * deciding), per-judge ranks, the Pareto front and hypervolume of the objective losses for multi-objective tasks,
 * and candidates made inapplicable by a later freeze marked as blocked.
 */
import {decide, type AcceptDecision} from '../core/accept.js';
import {hypervolume, paretoFront} from '../core/multi-objective.js';
import {joinSegments} from '../core/segment.js';
import type {Task} from '../core/task.js';
import type {Candidate, JudgeLosses, Segment} from '../core/types.js';
import {isExactMatch} from './evaluate.js';
import type {ExampleOutputs, ExamplesView} from './examples-view.js';
import type {TransferAlarm} from './transfer.js';
import {relativeChange} from './loss-change.js';
import {judgeExamples, weightOf, type Measurement, type Objective} from './measure.js';
import type {RoundImportance} from './importance.js';
import type {BudgetReport, EngineError, RacingDrop, RoundView, ScoredCandidate, WorkPhase} from './types.js';

/** The engine's record of the round in progress. */
export type RoundWork = {
	/** Round number. */
	round: number;
	/** Minibatch indices. */
	batch: number[];
	/** Importances, once attributed. */
	importance?: RoundImportance;
	/** Segments chosen for editing. */
	targets: string[];
	/** Per objective, its segments (mode "separate"). */
	perObjective?: Record<string, string[]>;
	/** The user's choice of segments, when made. */
	override?: string[];
	/** Loss of the current prompt per judge (selection judges from attribution, held-out ones scored). */
	current: JudgeLosses;
	/** Test-split loss of the current prompt per judge, when measured. */
	test?: JudgeLosses;
	/** The transfer alarm of the round before, when it rang. */
	alarm?: TransferAlarm;
	/** Per judge and objective, for the current prompt. */
	currentObjectives: Record<string, Record<string, number>>;
	/** Loss per judge and example of the current prompt (selection judges), for the hard examples. */
	exampleLosses: Record<string, number[]>;
	/** Candidates in proposal order. */
	candidates: Candidate[];
	/** Scores of the candidates scored so far. */
	scores: Map<string, Measurement>;
	/** Candidates a judge could not score, with the reason. */
	failed: Map<string, string>;
	/** Candidates racing dropped before the whole batch, with where (absent until a race drops one). */
	dropped?: Map<string, RacingDrop>;
	/** Ids of candidates whose scores are in the session log. */
	logged: Set<string>;
	/** Whether the current prompt's losses are in the session log. */
	currentLogged: boolean;
	/** Remarks for the user. */
	notes: string[];
	/** Greedy outputs per prompt text and judge, generated for the per-example view. */
	outputs: Map<string, Record<string, string[]>>;
	/** What the per-example view compares, once asked for. */
	examplesFor?: {candidate?: string};
	/** Work cancelled before it finished. */
	cancelled?: WorkPhase;
	/** The error that stopped the work. */
	error?: EngineError;
};

/** What the view needs besides the round's work. */
export type ViewContext = {
	/** The current prompt's segments. */
	segments: Segment[];
	/** The task. */
	task: Task;
	/** Its objectives. */
	objectives: readonly Objective[];
	/** Judges that decide. */
	selection: string[];
	/** Judges only reported. */
	heldout: string[];
	/** Budget spent and left. */
	budget: BudgetReport;
	/** Test-split loss of the initial prompt (round 0), when measured. */
	testInitial?: JudgeLosses;
};

/** True when a candidate changes or deletes a segment that is frozen now. */
export function isBlocked(candidate: Candidate, segments: readonly Segment[]): boolean {
	const frozen = new Set(segments.filter(s => s.frozen).map(s => s.id));
	return candidate.edits.some(e => e.op !== 'insert_after' && frozen.has(e.segment));
}

/** Mean over the selection judges of each objective's loss. */
function objectiveMeans(perJudge: Record<string, Record<string, number>>, judges: readonly string[], objectives: readonly Objective[]) {
	return Object.fromEntries(objectives.map(o => [o.name, judges.reduce((s, j) => s + perJudge[j][o.name], 0) / judges.length]));
}

/** The ranking of the scored, applicable candidates; undefined until there is something to rank. */
export function rankCandidates(work: RoundWork, context: ViewContext): AcceptDecision | undefined {
	const judges = [...context.selection, ...context.heldout];
	if (context.selection.length === 0 || !judges.every(j => work.current[j] !== undefined)) return undefined;
	const scored = work.candidates.filter(c => work.scores.has(c.id) && !isBlocked(c, context.segments));
	if (scored.length === 0) return undefined;
	return decide({
		current: work.current,
		candidates: scored.map(c => ({id: c.id, losses: work.scores.get(c.id)!.losses})),
		heldout: context.heldout,
		selection: context.selection,
		aggregation: context.task.aggregation,
		threshold: context.task.threshold,
		// Losses are all nats/token: their decreases are averaged as they are (relative changes explode near zero).
		normalisation: 'none',
	});
}

/** Builds the view of the round. */
export function buildView(work: RoundWork, context: ViewContext): RoundView {
	const ranking = rankCandidates(work, context);
	const byId = new Map(ranking?.candidates.map(c => [c.id, c]) ?? []);
	const multi = context.task.objectives !== undefined;
	const judges = [...context.selection, ...context.heldout];
	const views: ScoredCandidate[] = work.candidates.map(c => {
		const m = work.scores.get(c.id);
		const score = byId.get(c.id);
		const view: ScoredCandidate = {...c, text: joinSegments(c.segments)};
		if (isBlocked(c, context.segments)) view.blocked = true;
		if (work.failed.has(c.id)) view.failed = work.failed.get(c.id);
		const drop = work.dropped?.get(c.id);
		if (drop) view.dropped = drop;
		if (m) {
			view.losses = m.losses;
			if (multi) view.objectiveLosses = objectiveMeans(m.objectiveLosses, context.selection, context.objectives);
			const known = judges.filter(j => work.current[j] !== undefined && m.losses[j] !== undefined);
			if (known.length > 0) {
				view.change = Object.fromEntries(known.map(j => [j, m.losses[j] - work.current[j]]));
				const relative = known.flatMap(j => {
					const r = relativeChange(work.current[j], view.change![j]);
					return r === undefined ? [] : [[j, r] as const];
				});
				if (relative.length > 0) view.relative = Object.fromEntries(relative);
			}
		}
		if (score) {
			// The rule's aggregate is a decrease (positive = better); the view shows the change, as the judges' columns do.
			view.aggregate = -score.aggregate;
			view.rank = score.rank;
			view.judgeRanks = Object.fromEntries(Object.entries(ranking!.perJudge).map(([j, ids]) => [j, ids.indexOf(c.id) + 1]));
		}
		return view;
	});
	const ranked = views.filter(v => v.rank !== undefined).sort((a, b) => a.rank! - b.rank!);
	const rest = views.filter(v => v.rank === undefined);
	let hv: number | undefined;
	let currentObjectives: Record<string, number> | undefined;
	if (multi && context.selection.every(j => work.currentObjectives[j] !== undefined) && context.selection.length > 0) {
		currentObjectives = objectiveMeans(work.currentObjectives, context.selection, context.objectives);
		const names = context.objectives.map(o => o.name);
		const points = ranked.map(v => names.map(n => v.objectiveLosses![n]));
		new Set(paretoFront(points)).forEach(i => (ranked[i].pareto = true));
		hv = hypervolume(points, names.map(n => currentObjectives![n]));
	}
	return {
		round: work.round,
		batch: work.batch,
		segments: context.segments,
		prompt: joinSegments(context.segments),
		importance: work.importance?.importance,
		objectives: work.importance?.objectives,
		targets: work.targets,
		current: work.current,
		test: work.test,
		testInitial: context.testInitial,
		alarm: work.alarm,
		currentObjectives,
		candidates: [...ranked, ...rest],
		ranking,
		selection: context.selection,
		heldout: context.heldout,
		aggregation: context.task.aggregation,
		hypervolume: hv,
		notes: work.notes,
		cancelled: work.cancelled,
		error: work.error,
		budget: context.budget,
		examples: examplesView(work, {task: context.task, objectives: context.objectives, segments: context.segments, judges}),
	};
}

/** The per-example view of the round, when asked for. */
export function examplesView(
	work: RoundWork,
	context: {task: Task; objectives: readonly Objective[]; segments: readonly {text: string}[]; judges: string[]},
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
