/**
 * What the round's steps and decisions need from the engine: its session, task, judges, budget and options, and the
 * means to emit events and run cancellable work. The Engine class implements it; the steps are plain functions.
 */
import type {Budget} from '../core/budget.js';
import type {RacingSettings} from '../core/racing.js';
import type {Task} from '../core/task.js';
import type {JudgeLosses, Segment} from '../core/types.js';
import type {Generator} from '../generators/types.js';
import type {Judge} from '../judges/types.js';
import type {Session} from '../sessions/store.js';
import type {Objective} from './measure.js';
import type {TransferAlarm} from './transfer.js';
import type {EngineEvent, EngineStatus, RoundView, WorkPhase} from './types.js';
import type {RoundWork, ViewContext} from './view.js';

/** The part of a session the engine uses (an open Session from the store). */
export type EngineSession = Pick<Session, 'id' | 'state' | 'append'>;

/** Options the steps read. */
export type StepOptions = {
	/** Proposes the edits. */
	generator: Generator;
	/** Hard examples shown to the generator (default 3). */
	hardExamples?: number;
	/** Candidates per round (default: the task's generator.candidates). */
	candidates?: number;
	/** 'loo' forces leave-one-out attribution (the baseline); default 'auto' (gradients where available). */
	attribution?: 'auto' | 'loo';
	/** Score the test split with every judge at the first round of a run and after each round (default false). */
	testEachRound?: boolean;
	/** Racing candidate scoring, overriding the task's `racing` (see core/racing.ts). */
	racing?: RacingSettings;
};

/** The engine as its steps see it. */
export type EngineHost = {
	readonly session: EngineSession;
	readonly segments: Segment[];
	readonly task: Task;
	readonly objectives: Objective[];
	readonly selection: Judge[];
	readonly heldout: Judge[];
	readonly budget: Budget;
	readonly options: StepOptions;
	/** Test-split loss of the current prompt, when measured (set after each round, cleared when the prompt changes otherwise). */
	currentTest: JudgeLosses | undefined;
	/** The transfer alarm of the last round finished in this run, if it rang. */
	lastAlarm: TransferAlarm | undefined;
	/** Whether decisions are taken by a rule (--auto), not a person. */
	readonly automatic: boolean;
	/** Ends the run after this round (RunResult ending 'alarm'). */
	endRun(reason: string): void;
	emit(event: EngineEvent): void;
	setStatus(status: EngineStatus): void;
	viewOf(work: RoundWork): RoundView;
	viewContext(): ViewContext;
	/** Runs a piece of work; a cancel or an error is recorded in the round and undefined returned. */
	attempt<T>(work: RoundWork, phase: WorkPhase, fn: (signal: AbortSignal, live: () => boolean) => Promise<T>): Promise<T | undefined>;
	/** A progress callback for a judge loop, silent once the work is stale. */
	progress(work: RoundWork, phase: WorkPhase, live: () => boolean): (done: number, total: number) => void;
};
