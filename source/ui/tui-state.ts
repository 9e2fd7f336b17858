/**
 * What the screens show, folded from the engine's events: the status, the round as far as it is known (the engine's
 * own view once it awaits a decision; before that, what the events have told so far, so the heatmap appears as soon
 * as attribution is done and candidates fill in as they are scored), the work in progress with its timing, and the
 * last messages. Pure: no Ink, no I/O, no decisions; the clock and the engine's facts come in as arguments.
 */
import type {BudgetReport} from '../engine/types.js';
import type {Aggregation, Segment} from '../core/types.js';
import {joinSegments} from '../core/segment.js';
import type {EngineEvent, EngineStatus, RoundView, WorkPhase} from '../engine/index.js';

/** Work in progress. */
export type Progress = {
	/** What is being done. */
	phase: WorkPhase;
	/** Units done (0 while unknown). */
	done: number;
	/** Units in all (0 while unknown: the spinner runs without a bar). */
	total: number;
	/** When this phase started (ms). */
	startedAt: number;
	/** What the work is at beyond its counts ("attempt 2 of 3"). */
	detail?: string;
};

/** A line for the status bar. */
export type Message = {
	/** How it is shown. */
	level: 'info' | 'warn' | 'error';
	/** The text. */
	text: string;
};

/** What the run came to. */
export type Finished = {
	/** Why it ended. */
	reason: string;
	/** Rounds done in the session. */
	rounds: number;
	/** Accepted changes in the session. */
	accepted: number;
};

/** Everything the screens show about the run. */
export type TuiState = {
	/** The engine's status. */
	status: EngineStatus;
	/** The round in progress (or the last one). */
	round?: number;
	/** The round as known: the engine's view when deciding, else what the events said. */
	view?: RoundView;
	/** Work in progress. */
	progress?: Progress;
	/** Messages, oldest first (the last few). */
	messages: Message[];
	/** Set once the run ended. */
	finished?: Finished;
	/** Rounds started so far in this run (a round started again after an undo counts): what a selection belongs to. */
	epoch: number;
	/** A candidate to select, once (the user's own edit, when it joins the candidates). */
	select?: {candidate: string; seq: number};
};

/** Facts about the engine at the time of an event (for a round's view before the engine has one). */
export type EngineFacts = {
	/** The current prompt's segments. */
	segments: Segment[];
	/** Judges that decide. */
	selection: string[];
	/** Judges only reported. */
	heldout: string[];
	/** How the selection judges' loss changes are aggregated. */
	aggregation: Aggregation;
	/** Budget spent and left. */
	budget: BudgetReport;
	/** Now (ms). */
	now: number;
};

const KEEP_MESSAGES = 20;

const phaseOf: Partial<Record<EngineStatus, WorkPhase>> = {evaluating: 'evaluation', attributing: 'attribution', proposing: 'proposal', scoring: 'scoring', generating: 'generation'};

/** The state before any event: from what the engine says now (a view it already awaits a decision on). */
export function initialTuiState(status: EngineStatus, view: RoundView | undefined): TuiState {
	return {status, round: view?.round, view: status === 'awaiting-decision' ? view : undefined, messages: [], epoch: 0};
}

function emptyView(round: number, batch: number[], facts: EngineFacts): RoundView {
	return {
		round,
		batch,
		segments: facts.segments,
		prompt: joinSegments(facts.segments),
		targets: [],
		current: {},
		candidates: [],
		selection: facts.selection,
		heldout: facts.heldout,
		aggregation: facts.aggregation,
		notes: [],
		budget: facts.budget,
	};
}

function say(state: TuiState, level: Message['level'], text: string): Message[] {
	return [...state.messages, {level, text}].slice(-KEEP_MESSAGES);
}

function describeDecision(event: Extract<EngineEvent, {type: 'decision-applied'}>): string {
	const d = event.decision;
	switch (d.kind) {
		case 'accept':
		case 'pick':
			return `round ${event.round}: ${d.kind === 'accept' ? 'accepted the top pick' : 'picked'} ${event.candidate ?? ''} (saved)`;
		case 'edit-segment':
		case 'edit-prompt':
			return `your edit${d.kind === 'edit-segment' ? ` of ${d.segment}` : ''} is candidate ${event.candidate ?? ''}: the judges score it, then Enter on it applies it (nothing is applied yet)`;
		case 'undo':
			return `round ${event.round}: undid ${event.candidate ? `the change of ${event.candidate}` : 'the last change'} (saved); the round starts again on the prompt before it`;
		case 'freeze':
			return `${d.frozen ? 'froze' : 'unfroze'} ${d.segments.join(', ')} (saved)`;
		case 'target':
			return `editing ${d.segments.join(', ')} instead: proposing new candidates`;
		case 'regenerate':
			return 'proposing new candidates';
		case 'skip':
			return `round ${event.round}: skipped (saved)`;
		case 'examples':
			return `per-example view${d.candidate ? ` of ${d.candidate}` : ''}`;
		case 'quit':
			return 'quitting';
	}
}

/** Folds one event into the state. */
export function reduceTui(state: TuiState, event: EngineEvent, facts: EngineFacts): TuiState {
	switch (event.type) {
		case 'status': {
			const phase = phaseOf[event.status];
			const progress = phase ? (state.progress?.phase === phase ? state.progress : {phase, done: 0, total: 0, startedAt: facts.now}) : undefined;
			// While a decision is applied (scoring a hand edit, the test split) progress events say what runs.
			return {...state, status: event.status, progress: event.status === 'applying' ? state.progress : progress};
		}
		case 'round-started':
			return {...state, epoch: state.epoch + 1, round: event.round, view: {...emptyView(event.round, event.batch, facts), test: event.test, testInitial: event.testInitial, alarm: event.alarm}, progress: undefined};
		case 'progress': {
			const same = state.progress?.phase === event.phase;
			return {...state, progress: {phase: event.phase, done: event.done, total: event.total, startedAt: same ? state.progress!.startedAt : facts.now, detail: event.detail}};
		}
		case 'attribution-done': {
			const view = state.view && {...state.view, importance: event.importance, targets: event.targets, objectives: event.objectives, segments: facts.segments};
			return {...state, view};
		}
		case 'candidates-proposed': {
			if (!state.view) return state;
			const added = event.candidates.map(c => ({...c, text: joinSegments(c.segments)}));
			const messages = event.rejected.length > 0 ? say(state, 'warn', `${event.rejected.length} proposal(s) could not be applied`) : state.messages;
			return {...state, messages, view: {...state.view, candidates: [...state.view.candidates, ...added], notes: [...state.view.notes, ...event.notes]}};
		}
		case 'candidate-scored': {
			const progress: Progress = {phase: 'scoring', done: event.done, total: event.total, startedAt: state.progress?.phase === 'scoring' ? state.progress.startedAt : facts.now};
			if (!state.view) return {...state, progress};
			const view =
				event.candidate === undefined
					? {...state.view, current: {...state.view.current, ...event.losses}}
					: {...state.view, candidates: state.view.candidates.map(c => (c.id === event.candidate ? {...c, losses: event.losses} : c))};
			return {...state, progress, view};
		}
		case 'awaiting-decision':
			return {...state, round: event.round, view: event.view, progress: undefined};
		case 'decision-applied': {
			const view = state.view && {...state.view, segments: event.segments, prompt: joinSegments(event.segments)};
			const edited = (event.decision.kind === 'edit-segment' || event.decision.kind === 'edit-prompt') && event.candidate !== undefined;
			const select = edited ? {candidate: event.candidate!, seq: (state.select?.seq ?? 0) + 1} : state.select;
			return {...state, view, select, messages: say(state, 'info', describeDecision(event))};
		}
		case 'round-finished':
			return {...state, progress: undefined};
		case 'cancelled':
			return {...state, progress: undefined, messages: say(state, 'warn', `${event.phase} cancelled`)};
		case 'note':
			return {...state, messages: say(state, event.level, event.text)};
		case 'error':
			return {...state, messages: say(state, 'error', event.message)};
		case 'finished':
			return {...state, progress: undefined, finished: {reason: event.reason, rounds: event.rounds, accepted: event.accepted}};
	}
}
