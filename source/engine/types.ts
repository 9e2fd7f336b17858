/**
 * The engine's public vocabulary: its status, the events it emits, the decisions it awaits and the view of a round
 * a driver (the TUI, or the headless runner) shows or decides on. No Ink, no I/O.
 */
import type {AcceptDecision} from '../core/accept.js';
import type {BudgetLimits, BudgetSpent} from '../core/budget.js';
import type {Aggregation, Candidate, Edit, JudgeLosses, MultiObjectiveMode, Segment, SegmentImportance} from '../core/types.js';
import type {TokenUsage} from '../generators/types.js';
import type {ExamplesView} from './examples-view.js';
import type {TransferAlarm} from './transfer.js';

export type {ExampleOutputs, ExampleRow, ExamplesView} from './examples-view.js';

/** What the engine is doing. */
export type EngineStatus = 'idle' | 'evaluating' | 'attributing' | 'proposing' | 'scoring' | 'generating' | 'awaiting-decision' | 'applying' | 'finished';

/** A piece of cancellable work. */
export type WorkPhase = 'attribution' | 'proposal' | 'scoring' | 'evaluation' | 'generation';

/**
 * What the user (or the acceptance rule) decides while a round awaits a decision. accept, pick and skip end the
 * round; edit-segment and edit-prompt add the edited prompt as a candidate, scored, to accept or not; freeze,
 * target and regenerate change the round and await again; undo reverts the last accepted change and starts the
 * round again; quit ends the run, leaving the round unfinished (it is redone on resume).
 */
export type Decision =
	| {/** Apply the top-ranked candidate. */ kind: 'accept'}
	| {/** Apply another candidate. */ kind: 'pick'; /** Its id. */ candidate: string}
	| {
			/** Replace one segment's text by hand (an empty text deletes it). */
			kind: 'edit-segment';
			/** Segment id. */
			segment: string;
			/** The new text. */
			text: string;
	  }
	| {/** Replace the whole prompt by hand; unchanged segments keep their ids and lineage. */ kind: 'edit-prompt'; /** The new prompt. */ prompt: string}
	| {
			/** Freeze or unfreeze segments (frozen segments are never edited). */
			kind: 'freeze';
			/** Segment ids. */
			segments: readonly string[];
			/** true freezes, false unfreezes. */
			frozen: boolean;
	  }
	| {/** Edit these segments instead of the weakest ones: new candidates are proposed and scored. */ kind: 'target'; /** Segment ids. */ segments: readonly string[]}
	| {/** Propose and score new candidates for the same segments (after a cancel: finish the missing work). */ kind: 'regenerate'}
	| {/** Keep the prompt and end the round. */ kind: 'skip'}
	| {/** Revert the last accepted change still in effect; the round starts again on the prompt before it. */ kind: 'undo'}
	| {/** Show the per-example view for the current prompt and this candidate (greedy outputs generated as needed). */ kind: 'examples'; /** Candidate id. */ candidate?: string}
	| {/** Stop the run; the round in progress is redone on resume. */ kind: 'quit'};

/** Where a candidate left the race (racing candidate scoring, see core/racing.ts). */
export type RacingDrop = {
	/** 1-based rung. */
	rung: number;
	/** Examples of the batch it was ranked on (the first ones of the batch). */
	examples: number;
	/** Its aggregate loss decrease on them (nats/token; positive = lower loss than the current prompt). */
	aggregate: number;
};

/** A candidate with its scores on the round's evaluation batch. */
export type ScoredCandidate = Candidate & {
	/** The candidate prompt's text. */
	text: string;
	/** Loss per judge, held-out judges included; absent until scored. */
	losses?: JudgeLosses;
	/** Mean loss over the selection judges per objective (multi-objective tasks). */
	objectiveLosses?: Record<string, number>;
	/** Change in loss per judge, L_j(c) - L_j(P) in nats/token (negative = lower loss, better); held-out judges included. */
	change?: Record<string, number>;
	/** The change as a share of |L_j(P)|, only for judges whose current loss is well away from zero (see loss-change.ts). */
	relative?: Record<string, number>;
	/** The change aggregated over the selection judges (the task's aggregation, nats/token, not normalised): what ranks. */
	aggregate?: number;
	/** 1-based overall rank (scored candidates only). */
	rank?: number;
	/** 1-based rank per judge, held-out judges included. */
	judgeRanks?: Record<string, number>;
	/** On the Pareto front of the objective losses (multi-objective tasks). */
	pareto?: boolean;
	/** Edits a frozen segment (frozen after it was proposed): it can no longer be applied. */
	blocked?: boolean;
	/** Why a judge could not score it (e.g. longer than the judge's context); it cannot be ranked. */
	failed?: string;
	/** Dropped by racing before the whole batch: where, and how it did there (it has no full-batch scores). */
	dropped?: RacingDrop;
};

/** Per-objective attribution of a multi-objective task. */
export type ObjectiveReport = {
	/** Objective names. */
	names: string[];
	/** Their weights in the task. */
	weights: number[];
	/** How the objective vectors were combined. */
	mode: MultiObjectiveMode;
	/** G_o per objective: the importances aggregated over judges, aligned with the segment ids. */
	vectors: Record<string, number[]>;
	/** Cosine between every pair of objective vectors (negative = conflict). */
	conflict: number[][];
	/** Weight each objective got in the combined direction (MGDA's solution; the task's weights otherwise). */
	combination: number[];
	/** Segments each objective chose (mode "separate"). */
	targets?: Record<string, string[]>;
};

/** Budget spent and left. */
export type BudgetReport = {
	/** What was spent (judge passes and wall time count from the start of this run). */
	spent: BudgetSpent;
	/** The limits (absent = unlimited). */
	limits: BudgetLimits;
};

/** An error shown to the driver: one line for the user, and the error itself. */
export type EngineError = {
	/** Where it happened. */
	phase: WorkPhase | 'decision';
	/** One line for the user. */
	message: string;
	/** The thrown value. */
	error: unknown;
};

/** Everything about the round in progress that a driver shows or decides on. */
export type RoundView = {
	/** Round number (1-based). */
	round: number;
	/** Indices of the training examples in the minibatch (also the evaluation batch). */
	batch: number[];
	/** The current prompt's segments (frozen flags set). */
	segments: Segment[];
	/** The current prompt. */
	prompt: string;
	/** Segment attribution (absent when cancelled before it finished). */
	importance?: SegmentImportance;
	/** Per-objective attribution, for multi-objective tasks. */
	objectives?: ObjectiveReport;
	/** Segments chosen for editing. */
	targets: string[];
	/** Loss of the current prompt per judge on the round's batch (held-out judges included when scored). */
	current: JudgeLosses;
	/** Test-split loss of the current prompt per judge (held-out judges included), when measured. */
	test?: JudgeLosses;
	/** Test-split loss of the session's initial prompt per judge (round 0), when measured. */
	testInitial?: JudgeLosses;
	/** Loss of the current prompt per objective (mean over selection judges). */
	currentObjectives?: Record<string, number>;
	/** Candidates: scored ones by rank, then unscored and blocked ones in proposal order. */
	candidates: ScoredCandidate[];
	/** The ranking and the acceptance rule's verdict (absent until the current prompt and a candidate are scored). */
	ranking?: AcceptDecision;
	/** Judges that decide. */
	selection: string[];
	/** Judges only reported. */
	heldout: string[];
	/** How the selection judges' changes are combined into the aggregate (not normalised: all are nats/token). */
	aggregation: Aggregation;
	/** Hypervolume of the candidates' objective losses, the current prompt as reference (multi-objective tasks). */
	hypervolume?: number;
	/** Remarks: the generator's notes, rejected edits, leave-one-out fallbacks. */
	notes: string[];
	/** Work that was cancelled before it finished, if any. */
	cancelled?: WorkPhase;
	/** The error that stopped the round's work, if any. */
	error?: EngineError;
	/** Budget spent and left. */
	budget: BudgetReport;
	/** The per-example view, once asked for. */
	examples?: ExamplesView;
	/** The transfer alarm of the round before, when it rang. */
	alarm?: TransferAlarm;
};

/** A candidate the generator proposed that could not be applied. */
export type RejectedEdits = {
	/** The edits. */
	edits: Edit[];
	/** Why. */
	errors: string[];
};

/** What the engine tells its drivers, in order. */
export type EngineEvent =
	| {/** Discriminant. */ type: 'status'; /** The new status. */ status: EngineStatus}
	| {
			type: 'round-started';
			/** Round number. */
			round: number;
			/** The transfer alarm of the round before, when it rang. */
			alarm?: TransferAlarm;
			/** Minibatch indices. */
			batch: number[];
			/** Test-split loss of the prompt the round starts with, when measured. */
			test?: JudgeLosses;
			/** Test-split loss of the initial prompt (round 0), when measured. */
			testInitial?: JudgeLosses;
	  }
	| {
			type: 'progress';
			/** Round number. */
			round: number;
			/** The work in progress. */
			phase: WorkPhase;
			/** Units done (judge calls). */
			done: number;
			/** Units in all. */
			total: number;
			/** What the work is at, when counts say too little ("attempt 2 of 3" of a generator request). */
			detail?: string;
	  }
	| {
			type: 'attribution-done';
			/** Round number. */
			round: number;
			/** The importances. */
			importance: SegmentImportance;
			/** Segments chosen for editing. */
			targets: string[];
			/** Per-objective vectors and their conflict matrix (multi-objective tasks). */
			objectives?: ObjectiveReport;
	  }
	| {
			type: 'candidates-proposed';
			/** Round number. */
			round: number;
			/** The new candidates. */
			candidates: Candidate[];
			/** Proposals that could not be applied. */
			rejected: RejectedEdits[];
			/** The generator's notes. */
			notes: string[];
			/** Generator tokens spent. */
			usage: TokenUsage;
	  }
	| {
			type: 'candidate-scored';
			/** Round number. */
			round: number;
			/** Candidate id; absent for the current prompt. */
			candidate?: string;
			/** Loss per judge. */
			losses: JudgeLosses;
			/** Prompts scored so far in this scoring pass. */
			done: number;
			/** Prompts to score in this pass. */
			total: number;
	  }
	| {type: 'awaiting-decision'; /** Round number. */ round: number; /** What to decide on. */ view: RoundView}
	| {
			type: 'decision-applied';
			/** Round number. */
			round: number;
			/** The decision. */
			decision: Decision;
			/** The prompt's segments after it. */
			segments: Segment[];
			/** The candidate applied (accept, pick). */
			candidate?: string;
	  }
	| {
			type: 'round-finished';
			/** Round number. */
			round: number;
			/** Whether the prompt changed. */
			changed: boolean;
			/** Loss per judge of the prompt the round ends with, on its batch, when known. */
			losses?: JudgeLosses;
			/** Test-split loss per judge, when measured. */
			testLosses?: JudgeLosses;
			/** The transfer alarm, when it rang for this round. */
			alarm?: TransferAlarm;
	  }
	| {type: 'cancelled'; /** Round number. */ round: number; /** The work that was cancelled. */ phase: WorkPhase}
	| {type: 'note'; /** Round number, if any. */ round?: number; /** The remark. */ text: string; /** Severity. */ level: 'info' | 'warn'}
	| ({type: 'error'; /** Round number, if any. */ round?: number} & EngineError)
	| {
			type: 'finished';
			/** Why the run ended (budget, quit, stopped). */
			reason: string;
			/** Rounds done in the session. */
			rounds: number;
			/** Accepted changes in the session. */
			accepted: number;
	  };

/** How a run ended. */
export type RunResult = {
	/** Why it ended. */
	reason: string;
	/** How: the budget ran out, the user quit, the run was stopped (signal, stop()), or a transfer alarm ended it. */
	ending: 'budget' | 'quit' | 'stopped' | 'alarm';
	/** Rounds done in the session. */
	rounds: number;
	/** Accepted changes in the session. */
	accepted: number;
	/** The final prompt's segments. */
	segments: Segment[];
};
