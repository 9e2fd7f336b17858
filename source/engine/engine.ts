/**
 * The GMPO round as a state machine shared by every driver (the TUI, the headless runner). One round: a seeded
 * minibatch; the selection judges attribute the prompt; importances are aggregated (per objective, combined by the
 * task's multi-objective mode); the m weakest unfrozen segments are chosen; the generator proposes N candidates;
 * every judge scores the current prompt and every candidate on the same batch; the acceptance rule ranks them
 * (held-out judges reported, never deciding); the engine then awaits a decision. Every step is appended to the
 * session log before the engine moves on, so a crash loses at most the round in progress.
 *
 * Drivers listen with `on()`, and decide either through the `decide` option (headless: the acceptance rule) or by
 * calling `submit()` when the `awaiting-decision` event arrives (the TUI). `cancel()` abandons the work in progress
 * and goes to the decision with what is there; `stop()` ends the run.
 */
import {Budget, type BudgetLimits} from '../core/budget.js';
import {sampleMinibatch} from '../core/random.js';
import type {Task} from '../core/task.js';
import type {JudgeLosses, Segment} from '../core/types.js';
import {isUserError} from '../errors.js';
import type {Judge} from '../judges/types.js';
import {applyDecision} from './decide.js';
import type {EngineHost, EngineSession, StepOptions} from './host.js';
import {taskObjectives, type Objective} from './measure.js';
import {advance, testLosses as scoreTestSplit} from './steps.js';
import type {TransferAlarm} from './transfer.js';
import type {Decision, EngineEvent, EngineStatus, RoundView, RunResult, WorkPhase} from './types.js';
import {buildView, type RoundWork, type ViewContext} from './view.js';
import {StopError, WorkRunner} from './work.js';

/** Decides a round: the acceptance rule headless, a person in the TUI. */
export type Decider = (view: RoundView, signal: AbortSignal) => Decision | Promise<Decision>;

/** How to run. */
export type EngineOptions = StepOptions & {
	/** The open session (new or resumed); the task is its snapshot. */
	session: EngineSession;
	/** The judges; those with info.heldout are only reported. */
	judges: readonly Judge[];
	/** Budgets (default: the task's rounds). Rounds count the whole session; passes and time this run. */
	limits?: BudgetLimits;
	/** Decides each round; without it the engine waits for submit(). */
	decide?: Decider;
	/** Stops the run when aborted (SIGINT). */
	signal?: AbortSignal;
	/** Clock for the time budget (default Date.now). */
	now?: () => number;
};

type Listener = (event: EngineEvent) => void;

/** Runs GMPO rounds on a session. */
export class Engine implements EngineHost {
	readonly task: Task;
	readonly objectives: Objective[];
	readonly selection: Judge[];
	readonly heldout: Judge[];
	readonly budget: Budget;
	#options: EngineOptions;
	#status: EngineStatus = 'idle';
	#listeners = new Set<Listener>();
	#stop = new AbortController();
	#runner = new WorkRunner(this.#stop.signal);
	#pending: {resolve: (d: Decision) => void; reject: (e: unknown) => void} | undefined;
	#view: RoundView | undefined;
	#running = false;
	/** @internal Test-split loss of the current prompt, when measured. */
	currentTest: JudgeLosses | undefined;
	/** @internal The transfer alarm of the last round finished in this run. */
	lastAlarm: TransferAlarm | undefined;

	#ended: string | undefined;

	/** @internal Ends the run after the round in progress. */
	endRun(reason: string): void {
		this.#ended = reason;
	}

	/** @internal Whether a rule decides (the decide option), not a person. */
	get automatic(): boolean {
		return this.#options.decide !== undefined;
	}

	constructor(options: EngineOptions) {
		this.#options = options;
		const state = options.session.state;
		this.task = state.task;
		this.objectives = taskObjectives(this.task);
		const names = new Set<string>();
		for (const j of options.judges) {
			if (names.has(j.info.name)) throw new Error(`two judges are named ${j.info.name}`);
			names.add(j.info.name);
		}
		this.selection = options.judges.filter(j => !j.info.heldout);
		this.heldout = options.judges.filter(j => j.info.heldout);
		if (this.selection.length === 0) throw new Error('every judge is held out; at least one must select');
		this.budget = new Budget(options.limits ?? {rounds: this.task.rounds}, {
			spent: {rounds: state.roundsDone, generatorTokens: state.budget.promptTokens + state.budget.completionTokens},
			now: options.now,
		});
		options.signal?.addEventListener('abort', () => this.stop('interrupted'), {once: true});
	}

	/** What the engine is doing now. */
	get status(): EngineStatus {
		return this.#status;
	}

	/** The session: its state holds the history (rounds, accepted edits with lineage). */
	get session(): EngineSession {
		return this.#options.session;
	}

	/** The view of the round awaiting a decision (the last one shown). */
	get view(): RoundView | undefined {
		return this.#view;
	}

	/** The options the round's steps read. */
	get options(): EngineOptions {
		return this.#options;
	}

	/** The current prompt's segments. */
	get segments(): Segment[] {
		return this.session.state.segments;
	}

	/** Subscribes to events; returns the unsubscribe function. */
	on(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/**
	 * Answers the decision the engine awaits. Returns false, changing nothing, when none is awaited (a key pressed
	 * while the engine works), so a driver need not race the status.
	 */
	submit(decision: Decision): boolean {
		const pending = this.#pending;
		if (!pending) return false;
		this.#pending = undefined;
		pending.resolve(decision);
		return true;
	}

	/** Cancels the work in progress (attribution, proposal, scoring); the round then awaits a decision. */
	cancel(): boolean {
		return this.#runner.cancel();
	}

	/** Ends the run: work in progress and a pending decision are abandoned; the round in progress is redone on resume. */
	stop(reason = 'stopped'): void {
		if (this.#stop.signal.aborted) return;
		const error = new StopError(reason);
		this.#stop.abort(error);
		this.#pending?.reject(error);
		this.#pending = undefined;
	}

	/** Runs rounds until the budget is spent, the user quits or the run is stopped. */
	async run(): Promise<RunResult> {
		if (this.#running) throw new Error('the engine is already running');
		this.#running = true;
		let ending: RunResult['ending'] = 'budget';
		let reason: string;
		try {
			this.#finishDecidedRound();
			for (;;) {
				if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
				if (this.#ended) {
					[ending, reason] = ['alarm', this.#ended];
					break;
				}
				const exhausted = this.budget.reason();
				if (exhausted) {
					reason = exhausted;
					break;
				}
				if ((await this.#playRound()) === 'quit') {
					[ending, reason] = ['quit', 'quit'];
					break;
				}
			}
		} catch (error) {
			if (!(error instanceof StopError)) {
				this.setStatus('finished');
				throw error;
			}
			[ending, reason] = ['stopped', error.reason];
		}
		const state = this.session.state;
		this.setStatus('finished');
		this.emit({type: 'finished', reason, rounds: state.roundsDone, accepted: state.accepted.length});
		return {reason, ending, rounds: state.roundsDone, accepted: state.accepted.length, segments: state.segments};
	}

	/** @internal Emits an event to every listener. */
	emit(event: EngineEvent): void {
		for (const listener of [...this.#listeners]) listener(event);
	}

	/** @internal Sets the status and says so. */
	setStatus(status: EngineStatus): void {
		if (status === this.#status) return;
		this.#status = status;
		this.emit({type: 'status', status});
	}

	/** A round decided before a crash is finished rather than redone: the decision stands. */
	#finishDecidedRound(): void {
		const state = this.session.state;
		const open = state.inProgress === undefined ? undefined : state.rounds.at(-1);
		if (!open?.decision) return;
		this.session.append({type: 'round_finished', round: open.round});
		this.budget.spend({rounds: 1});
		this.emit({type: 'note', round: open.round, level: 'info', text: `round ${open.round} was decided before the interruption; its decision stands`});
	}

	async #playRound(): Promise<'done' | 'restart' | 'quit'> {
		const round = this.session.state.roundsDone + 1;
		// A fixed batch is the first round's, so the batch losses of every round are measured on the same examples.
		const batch = sampleMinibatch(this.task.data.train.length, this.task.batchSize, this.task.seed, this.task.fixedBatch ? 1 : round);
		const work: RoundWork = {
			round,
			batch,
			targets: [],
			current: {},
			currentObjectives: {},
			exampleLosses: {},
			candidates: [],
			scores: new Map(),
			failed: new Map(),
			logged: new Set(),
			currentLogged: false,
			notes: [],
			outputs: new Map(),
		};
		// The headline is the test-split loss of the current prompt: measured once at the start of a run (and after a
		// change between rounds), then after each round.
		if (this.#options.testEachRound && this.currentTest === undefined) {
			this.setStatus('evaluating');
			this.currentTest = await scoreTestSplit(this, work, this.segments);
			work.cancelled = undefined;
		}
		work.test = this.currentTest;
		this.session.append({type: 'round_started', round, batch, ...(work.test ? {testLosses: work.test} : {})});
		work.alarm = this.lastAlarm;
		this.emit({type: 'round-started', round, batch, test: work.test, testInitial: this.#testInitial(), alarm: work.alarm});
		await advance(this, work, false);
		for (;;) {
			const decision = await this.#awaitDecision(this.viewOf(work));
			const outcome = await applyDecision(this, work, decision);
			if (outcome !== 'again') return outcome;
		}
	}

	async #awaitDecision(view: RoundView): Promise<Decision> {
		if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
		this.#view = view;
		this.setStatus('awaiting-decision');
		const promise = new Promise<Decision>((resolve, reject) => (this.#pending = {resolve, reject}));
		const pending = this.#pending;
		this.emit({type: 'awaiting-decision', round: view.round, view});
		const decide = this.#options.decide;
		if (decide) {
			Promise.resolve()
				.then(() => decide(view, this.#stop.signal))
				.then(
					decision => this.#pending === pending && this.submit(decision),
					(error: unknown) => {
						if (this.#pending !== pending) return;
						this.#pending = undefined;
						pending?.reject(error);
					},
				);
		}
		return promise;
	}

	/** @internal The view of a round. */
	viewOf(work: RoundWork): RoundView {
		return buildView(work, this.viewContext());
	}

	/** The test-split loss of the initial prompt, as the first round logged it. */
	#testInitial(): JudgeLosses | undefined {
		return this.session.state.rounds[0]?.testBefore;
	}

	/** @internal What the view needs besides the round. */
	viewContext(): ViewContext {
		return {
			testInitial: this.#testInitial(),
			segments: this.segments,
			task: this.task,
			objectives: this.objectives,
			selection: this.selection.map(j => j.info.name),
			heldout: this.heldout.map(j => j.info.name),
			budget: {spent: this.budget.spent(), limits: {...this.budget.limits}},
		};
	}

	/** @internal Runs a piece of work; a cancel or an error is recorded in the round and undefined returned. */
	async attempt<T>(work: RoundWork, phase: WorkPhase, fn: (signal: AbortSignal, live: () => boolean) => Promise<T>): Promise<T | undefined> {
		const outcome = await this.#runner.run(fn);
		if (outcome.kind === 'ok') return outcome.value;
		if (outcome.kind === 'cancelled') {
			work.cancelled = phase;
			this.emit({type: 'cancelled', round: work.round, phase});
			return undefined;
		}
		const message = isUserError(outcome.error) ? outcome.error.line : outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
		work.error = {phase, message, error: outcome.error};
		this.emit({type: 'error', round: work.round, ...work.error});
		return undefined;
	}

	/** @internal Progress of a judge loop, dropped once the work is stale. */
	progress(work: RoundWork, phase: WorkPhase, live: () => boolean) {
			return (done: number, total: number): void => {
			if (live()) this.emit({type: 'progress', round: work.round, phase, done, total});
		};
	}
}
