/**
 * The part of the engine the TUI uses. The real Engine satisfies it; tests pass a fake with the same surface. The UI
 * only reads what the engine says (events, its view of the round, the session's history) and hands decisions back.
 */
import type {BudgetLimits, BudgetSpent} from '../core/budget.js';
import type {Segment} from '../core/types.js';
import type {Decision, EngineEvent, EngineStatus, RoundView, RunResult} from '../engine/index.js';
import type {SessionState} from '../sessions/replay.js';

/** A judge as the TUI sees it: its name, whether it only reports, and its context length when known. */
export type JudgeName = {readonly info: {readonly name: string; readonly heldout: boolean; readonly contextLength?: number}};

/** The engine, as the TUI drives it. */
export type TuiEngine = {
	/** What the engine is doing now. */
	readonly status: EngineStatus;
	/** The view of the round awaiting a decision, if any. */
	readonly view: RoundView | undefined;
	/** The session: its id and its replayed history. */
	readonly session: {readonly id: string; readonly state: SessionState};
	/** The current prompt's segments. */
	readonly segments: Segment[];
	/** Judges that decide. */
	readonly selection: readonly JudgeName[];
	/** Judges only reported. */
	readonly heldout: readonly JudgeName[];
	/** Budget spent and its limits. */
	readonly budget: {spent(): BudgetSpent; readonly limits: Readonly<BudgetLimits>};
	/** Subscribes to events; returns the unsubscribe function. */
	on(listener: (event: EngineEvent) => void): () => void;
	/** Runs rounds until the budget is spent, the user quits or the run is stopped. */
	run(): Promise<RunResult>;
	/** Answers the decision the engine awaits; false, changing nothing, when none is awaited. */
	submit(decision: Decision): boolean;
	/** Cancels the work in progress; false when there was none. */
	cancel(): boolean;
	/** Ends the run; the round in progress is redone on resume. */
	stop(reason?: string): void;
};

/** A run the TUI shows: the engine, what to tell the user first, and how to release it. */
export type TuiRun = {
	/** The engine, not yet running. */
	engine: TuiEngine;
	/** Remarks for the user (a generator fallback, a repaired log). */
	notes: string[];
	/** Releases the session and the judges. */
	close(): Promise<void>;
	/** After close: whether the session was kept (false: nothing was decided, so nothing was saved). */
	saved?(): boolean;
};

/** What the session picker can open. */
export type PickerChoice =
	| {/** Continue a saved session. */ kind: 'resume'; /** Its id. */ id: string}
	| {/** A new session from a task file. */ kind: 'task'; /** The file. */ file: string}
	| {/** A new session on the bundled demo task. */ kind: 'demo'};

/** Opens a run for a choice (loads the task, the judges and the generator; locks the session). */
/** Cancellation and progress notes while a run opens (a judge's first use builds its graph). */
export type Opening = {
	/** Aborted when the user leaves the loading screen. */
	signal: AbortSignal;
	/** One-line notes on what opening does. */
	onProgress: (message: string) => void;
};

export type Launcher = (choice: PickerChoice, opening: Opening) => Promise<TuiRun>;
