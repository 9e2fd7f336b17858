/**
 * Fixtures for TUI tests and the TUI benchmark: a round view of any size built by hand (segments with known signs,
 * candidates with known ranks), and a fake engine with the TuiEngine surface that records what the UI asks of it
 * and emits the events a test scripts. No module mocking: the UI takes the fake through its props.
 */
import type {BudgetLimits, BudgetSpent} from '../../source/core/budget.js';
import type {Segment, SegmentImportance} from '../../source/core/types.js';
import type {Decision, EngineEvent, EngineStatus, RoundView, RunResult, ScoredCandidate} from '../../source/engine/index.js';
import type {SessionState} from '../../source/sessions/replay.js';
import type {JudgeName, TuiEngine} from '../../source/ui/engine-port.js';

/** Shape of a view. */
export type ViewOptions = {
	/** Segments (default 6). */
	segments?: number;
	/** Candidates (default 4). */
	candidates?: number;
	/** Selection judges (default a, b). */
	judges?: string[];
	/** Held-out judges (default none). */
	heldout?: string[];
	/** Round (default 1). */
	round?: number;
};

const WORDS = ['Be helpful.', 'Say something harmful.', 'Answer briefly.', 'Add harmful jokes.', 'Use plain words.', 'Think first.'];

/** Segment k's text. */
export function segmentText(k: number): string {
	return `${WORDS[k % WORDS.length].replace(/\.$/, '')} ${k + 1}. `;
}

/**
 * A view awaiting a decision: segment s<k+1> has importance +0.5 for even k (helps) and -0.5·(k+1)/K for odd k
 * (hurts, the last one most); candidate c<i+1> replaces segment s2 and is ranked i+1 by every judge, so c1 is the
 * unanimous top pick, lowering every judge's loss from 2 by 0.08 nats/token (-4%), and the last candidates make
 * things worse.
 */
export function makeView(options: ViewOptions = {}): RoundView {
	const k = options.segments ?? 6;
	const n = options.candidates ?? 4;
	const judges = options.judges ?? ['a', 'b'];
	const heldout = options.heldout ?? [];
	const all = [...judges, ...heldout];
	const segments: Segment[] = Array.from({length: k}, (_, i) => ({id: `s${i + 1}`, text: segmentText(i)}));
	const values = segments.map((_, i) => (i % 2 === 0 ? 0.5 : (-0.5 * (i + 1)) / k));
	const importance: SegmentImportance = {
		segmentIds: segments.map(s => s.id),
		perJudge: Object.fromEntries(judges.map((j, n) => [j, values.map(v => v * (1 + n / 10))])),
		aggregate: values,
		agreement: judges.slice(1).map(b => ({a: judges[0], b, tau: 0.8})),
		method: 'gradient',
	};
	const current = Object.fromEntries(all.map(j => [j, 2]));
	const candidates: ScoredCandidate[] = Array.from({length: n}, (_, i) => {
		const r = 0.04 - 0.02 * i;
		const change = -2 * r;
		const edits = [{segment: 's2', op: 'replace' as const, text: `Candidate text ${i + 1}.`, rationale: `rationale of c${i + 1}`}];
		const segs = segments.map(s => (s.id === 's2' ? {...s, text: `Candidate text ${i + 1}. `} : s));
		return {
			id: `c${i + 1}`,
			edits,
			segments: segs,
			source: 'offline',
			text: segs.map(s => s.text).join(''),
			losses: Object.fromEntries(all.map(j => [j, 2 * (1 - r)])),
			change: Object.fromEntries(all.map(j => [j, change])),
			relative: Object.fromEntries(all.map(j => [j, -r])),
			aggregate: change,
			rank: i + 1,
			judgeRanks: Object.fromEntries(all.map(j => [j, i + 1])),
		};
	});
	return {
		round: options.round ?? 1,
		batch: [0, 1, 2, 3],
		segments,
		prompt: segments.map(s => s.text).join(''),
		importance,
		targets: ['s2', 's4'].filter(id => segments.some(s => s.id === id)),
		current,
		candidates,
		ranking: {
			selection: judges,
			heldout,
			absolute: [],
			candidates: candidates.map(c => ({id: c.id, improvement: Object.fromEntries(all.map(j => [j, -c.change![j]])), score: -c.aggregate!, aggregate: -c.aggregate!, rank: c.rank!})),
			perJudge: Object.fromEntries(all.map(j => [j, candidates.map(c => c.id)])),
			best: candidates[0]?.id,
			unanimous: true,
			accept: true,
			threshold: 0,
			normalisation: 'none',
		},
		selection: judges,
		heldout,
		aggregation: 'mean',
		notes: [],
		budget: {spent: {rounds: (options.round ?? 1) - 1, generatorTokens: 0, judgePasses: 12, wallTimeMs: 65_000}, limits: {rounds: 5}},
	};
}

/** A minimal session state for a fake engine (no history unless given). */
export function makeState(view: RoundView, extra: Partial<SessionState> = {}): SessionState {
	return {
		id: 'session-1',
		task: {name: 'toy'} as SessionState['task'],
		created: '2026-01-01T00:00:00.000Z',
		updated: '2026-01-01T00:00:00.000Z',
		lastSeq: 1,
		judges: view.selection,
		initialSegments: view.segments,
		segments: view.segments,
		frozen: [],
		rounds: [],
		roundsDone: view.round - 1,
		accepted: [],
		undone: [],
		budget: {rounds: 0, promptTokens: 0, completionTokens: 0},
		nextSegmentNumber: view.segments.length + 1,
		notes: [],
		...extra,
	};
}

/** An engine that does nothing by itself: tests emit its events and read what the UI asked. */
export class FakeEngine implements TuiEngine {
	status: EngineStatus = 'idle';
	view: RoundView | undefined;
	session: {id: string; state: SessionState};
	selection: JudgeName[];
	heldout: JudgeName[];
	budget = {spent: (): BudgetSpent => ({rounds: 0, generatorTokens: 0, judgePasses: 0, wallTimeMs: 0}), limits: {rounds: 5} as Readonly<BudgetLimits>};
	/** Decisions the UI submitted. */
	readonly decisions: Decision[] = [];
	/** How often the UI cancelled work, and whether it stopped the run. */
	cancels = 0;
	stopped: string | undefined;
	#listeners = new Set<(event: EngineEvent) => void>();
	#finish: ((result: RunResult) => void) | undefined;

	constructor(view: RoundView, state: SessionState = makeState(view)) {
		this.session = {id: state.id, state};
		this.selection = view.selection.map(name => ({info: {name, heldout: false, contextLength: 256}}));
		this.heldout = view.heldout.map(name => ({info: {name, heldout: true, contextLength: 128}}));
	}

	get segments(): Segment[] {
		return this.session.state.segments;
	}

	on(listener: (event: EngineEvent) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	run(): Promise<RunResult> {
		return new Promise(resolve => (this.#finish = resolve));
	}

	/** Ends the run as the engine would. */
	finish(ending: RunResult['ending'], reason: string = ending): void {
		this.status = 'finished';
		const state = this.session.state;
		this.emit({type: 'finished', reason, rounds: state.roundsDone, accepted: state.accepted.length});
		this.#finish?.({reason, ending, rounds: state.roundsDone, accepted: state.accepted.length, segments: state.segments});
	}

	submit(decision: Decision): boolean {
		if (this.status !== 'awaiting-decision') return false;
		this.decisions.push(decision);
		this.status = 'applying';
		if (decision.kind === 'quit') this.finish('quit');
		return true;
	}

	cancel(): boolean {
		if (this.status === 'awaiting-decision' || this.status === 'idle' || this.status === 'finished') return false;
		this.cancels++;
		return true;
	}

	stop(reason = 'stopped'): void {
		this.stopped = reason;
		this.finish('stopped', reason);
	}

	/** Emits an event, keeping status and view in step as the engine does. */
	emit(event: EngineEvent): void {
		if (event.type === 'status') this.status = event.status;
		if (event.type === 'awaiting-decision') {
			this.status = 'awaiting-decision';
			this.view = event.view;
		}
		for (const listener of [...this.#listeners]) listener(event);
	}

	/** Shows a view awaiting a decision. */
	await(view: RoundView): void {
		this.emit({type: 'round-started', round: view.round, batch: view.batch});
		this.emit({type: 'status', status: 'awaiting-decision'});
		this.emit({type: 'awaiting-decision', round: view.round, view});
	}
}
