/**
 * Replaying a session log into the session state: the current segments, the accepted edits with their lineage,
 * the per-round losses per judge, the frozen segments, the rounds done and the budget used. Pure: no I/O. The same
 * reducer keeps a live session's state current as events are appended, so a resumed session and a running one
 * cannot disagree.
 */
import type {Candidate, Edit, JudgeLosses, Segment, SegmentImportance} from '../core/types.js';
import type {Task} from '../core/task.js';
import type {SessionEvent} from './schema.js';

/** One accepted change of the prompt (accept, pick or a hand edit), with where it came from. */
export type AcceptedStep = {
	/** Round of the decision. */
	round: number;
	/** Log sequence number of the decision. */
	seq: number;
	/** When it was decided (ISO time). */
	time: string;
	/** accept (the top pick), pick (another candidate) or edit (by hand). */
	action: 'accept' | 'pick' | 'edit';
	/** The candidate applied, when there was one. */
	candidate?: string;
	/** Generator that proposed it, or "user" for hand edits. */
	source?: string;
	/** The edits applied. */
	edits: Edit[];
	/** The prompt text before. */
	before: string;
	/** The prompt text after. */
	after: string;
	/** The segments before (what an undo goes back to). */
	segmentsBefore: Segment[];
};

/** An accepted change that was undone. */
export type UndoneStep = AcceptedStep & {
	/** When it was undone (ISO time). */
	undoneTime: string;
	/** The round in progress when it was undone. */
	undoneRound?: number;
};

/** Everything logged about one round. */
export type RoundRecord = {
	/** Round number (1-based). */
	round: number;
	/** When it started (ISO time). */
	started: string;
	/** When it finished; absent while in progress (or when the process died during it). */
	finished?: string;
	/** Training example indices of the minibatch. */
	batch?: number[];
	/** Per-judge test-split losses of the prompt the round started with, when measured. */
	testBefore?: JudgeLosses;
	/** Segment attribution. */
	importance?: SegmentImportance;
	/** Segments chosen for editing. */
	targets?: string[];
	/** Candidates proposed. */
	candidates: Candidate[];
	/** Per-judge losses of the prompt the round started with (train split). */
	losses?: JudgeLosses;
	/** Per-judge losses of each candidate (train split). */
	candidateLosses: Record<string, JudgeLosses>;
	/** Aggregate relative improvement of each candidate. */
	aggregates: Record<string, number>;
	/** The decision taken. */
	decision?: {action: 'accept' | 'pick' | 'edit' | 'skip'; candidate?: string};
	/** Per-judge losses of the prompt the round ended with, when measured. */
	lossesAfter?: JudgeLosses;
	/** Per-judge losses on the test split, when measured. */
	testLosses?: JudgeLosses;
};

/** A logged note. */
export type SessionNote = {
	/** Sequence number. */
	seq: number;
	/** ISO time. */
	time: string;
	/** The text. */
	text: string;
	/** Severity. */
	level: 'info' | 'warn';
	/** Round it belongs to, if any. */
	round?: number;
};

/** The state of a session, as the log says. */
export type SessionState = {
	/** Session id. */
	id: string;
	/** The task snapshot (task.json). */
	task: Task;
	/** When the session was created (ISO time). */
	created: string;
	/** Time of the last event. */
	updated: string;
	/** Sequence number of the last event. */
	lastSeq: number;
	/** Judges by name. */
	judges: string[];
	/** Generator kind and model, as recorded at creation. */
	generator?: {kind: string; model?: string; baseUrl?: string};
	/** The initial prompt's segments. */
	initialSegments: Segment[];
	/** The current prompt's segments (frozen flags applied). */
	segments: Segment[];
	/** Ids of the current segments that are frozen. */
	frozen: string[];
	/** Every round begun, in order; the last may be unfinished. */
	rounds: RoundRecord[];
	/** Rounds finished. */
	roundsDone: number;
	/** The round started but not finished, if any: a resumed session redoes it. */
	inProgress?: number;
	/** Accepted changes in effect, in order: the prompt's lineage. */
	accepted: AcceptedStep[];
	/** Accepted changes that were undone, in the order they were undone. */
	undone: UndoneStep[];
	/** The name the user gave the session, if any. */
	name?: string;
	/** Lowest mean-over-judges training loss of a prompt the session held, and the round it was measured in. */
	best?: {loss: number; round: number};
	/** Rounds done and generator tokens spent (rounds that were redone after a crash included). */
	budget: {rounds: number; promptTokens: number; completionTokens: number};
	/** Next free number for segment ids "s<n>", so new segments never reuse an id seen in this session. */
	nextSegmentNumber: number;
	/** Notes, in order. */
	notes: SessionNote[];
};

/** An event that contradicts the log before it. */
export class ReplayError extends Error {}

const text = (segments: readonly Segment[]) => segments.map(s => s.text).join('');
const mean = (losses: JudgeLosses) => {
	const values = Object.values(losses);
	return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
};

function seeIds(state: SessionState, segments: readonly Segment[]): void {
	for (const s of segments) {
		const m = /^s(\d+)$/.exec(s.id);
		if (m) state.nextSegmentNumber = Math.max(state.nextSegmentNumber, Number(m[1]) + 1);
	}
}

function withFrozen(segments: readonly Segment[], frozen: ReadonlySet<string>): Segment[] {
	return segments.map(({frozen: _, ...s}) => (frozen.has(s.id) ? {...s, frozen: true} : s));
}

function noteLoss(state: SessionState, losses: JudgeLosses | undefined, round: number): void {
	const loss = losses && mean(losses);
	if (loss !== undefined && (state.best === undefined || loss < state.best.loss)) state.best = {loss, round};
}

/** The state right after the `created` event. */
export function initialState(task: Task, event: Extract<SessionEvent, {type: 'created'}>): SessionState {
	const segments = event.segments as Segment[];
	const state: SessionState = {
		id: event.id,
		task,
		created: event.time,
		updated: event.time,
		lastSeq: event.seq,
		judges: event.judges,
		generator: event.generator,
		initialSegments: segments,
		segments,
		frozen: segments.filter(s => s.frozen).map(s => s.id),
		rounds: [],
		roundsDone: 0,
		accepted: [],
		undone: [],
		budget: {rounds: 0, promptTokens: 0, completionTokens: 0},
		nextSegmentNumber: 1,
		notes: [],
	};
	seeIds(state, segments);
	return state;
}

/**
 * Applies one event to the state (in place). Every check runs before anything changes, so a rejected event leaves
 * the state as it was. Throws ReplayError when the event contradicts the log.
 */
export function applyEvent(state: SessionState, event: SessionEvent): void {
	if (event.seq !== state.lastSeq + 1) throw new ReplayError(`seq ${event.seq} does not follow ${state.lastSeq}`);
	const current = state.rounds.at(-1);
	const open = current && current.finished === undefined ? current : undefined;
	const needRound = (round: number): RoundRecord => {
		if (!open || open.round !== round) {
			throw new ReplayError(`${event.type} for round ${round}, but ${open ? `round ${open.round}` : 'no round'} is in progress`);
		}
		return open;
	};
	switch (event.type) {
		case 'created':
			throw new ReplayError('a second "created" event');
		case 'round_started': {
			// A round that was in progress when the process died is started again with the same number.
			const expected = state.roundsDone + 1;
			if (event.round !== expected) throw new ReplayError(`round ${event.round} started, expected round ${expected}`);
			if (open) state.rounds.pop();
			state.rounds.push({round: event.round, started: event.time, batch: event.batch, testBefore: event.testLosses, candidates: [], candidateLosses: {}, aggregates: {}});
			state.inProgress = event.round;
			break;
		}
		case 'attribution': {
			const r = needRound(event.round);
			r.importance = event.importance as SegmentImportance;
			r.targets = event.targets;
			break;
		}
		case 'candidates': {
			const r = needRound(event.round);
			r.candidates.push(...(event.candidates as Candidate[]));
			for (const c of event.candidates) seeIds(state, c.segments as Segment[]);
			if (event.usage) {
				state.budget.promptTokens += event.usage.promptTokens;
				state.budget.completionTokens += event.usage.completionTokens;
			}
			break;
		}
		case 'scored': {
			const r = needRound(event.round);
			if (event.split === 'test') {
				if (event.candidate === undefined) r.testLosses = {...r.testLosses, ...event.losses};
				break;
			}
			if (event.candidate === undefined) {
				r.losses = {...r.losses, ...event.losses};
				noteLoss(state, r.losses, r.round);
			} else {
				r.candidateLosses[event.candidate] = {...r.candidateLosses[event.candidate], ...event.losses};
				if (event.aggregate !== undefined) r.aggregates[event.candidate] = event.aggregate;
			}
			break;
		}
		case 'decision': {
			const r = needRound(event.round);
			if (r.decision) throw new ReplayError(`a second decision for round ${event.round}`);
			const frozen = new Set(state.frozen);
			const segments = withFrozen(event.segments as Segment[], frozen);
			r.decision = {action: event.action, candidate: event.candidate};
			if (event.action !== 'skip') {
				state.accepted.push({
					round: event.round,
					seq: event.seq,
					time: event.time,
					action: event.action,
					candidate: event.candidate,
					source: event.source,
					edits: event.edits as Edit[],
					before: text(state.segments),
					after: text(segments),
					segmentsBefore: state.segments,
				});
				state.segments = segments;
				state.frozen = segments.filter(s => s.frozen).map(s => s.id);
				seeIds(state, segments);
			}
			break;
		}
		case 'round_finished': {
			const r = needRound(event.round);
			r.finished = event.time;
			r.lossesAfter = event.losses;
			if (event.testLosses) r.testLosses = event.testLosses;
			noteLoss(state, event.losses, r.round);
			state.roundsDone = event.round;
			state.budget.rounds = event.round;
			state.inProgress = undefined;
			break;
		}
		case 'freeze': {
			if (!state.segments.some(s => s.id === event.segment)) throw new ReplayError(`freeze of unknown segment ${event.segment}`);
			const frozen = new Set(state.frozen);
			if (event.frozen) frozen.add(event.segment);
			else frozen.delete(event.segment);
			state.segments = withFrozen(state.segments, frozen);
			state.frozen = state.segments.filter(s => s.frozen).map(s => s.id);
			break;
		}
		case 'undo': {
			const last = state.accepted.at(-1);
			if (!last) throw new ReplayError('undo, but no accepted change is in effect');
			state.accepted.pop();
			state.undone.push({...last, undoneTime: event.time, undoneRound: event.round});
			// Segments frozen now stay frozen where they exist in the restored prompt.
			state.segments = withFrozen(last.segmentsBefore, new Set(state.frozen));
			state.frozen = state.segments.filter(s => s.frozen).map(s => s.id);
			break;
		}
		case 'named':
			state.name = event.name.trim() || undefined;
			break;
		case 'note':
			state.notes.push({seq: event.seq, time: event.time, text: event.text, level: event.level ?? 'info', round: event.round});
			break;
	}
	state.lastSeq = event.seq;
	state.updated = event.time;
}
