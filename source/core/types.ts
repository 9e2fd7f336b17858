/**
 * The engine's shared vocabulary: prompts, segments, examples, edits, candidates and the scores judges give them.
 * Pure types; no I/O.
 */

/** A span of the prompt attributed and edited as a unit. Segments concatenate back to the prompt exactly. */
export type Segment = {
	/** Stable id within a session ("s1", "s2", ...; inserted segments get new ids). */
	id: string;
	/** The exact text, including its trailing whitespace. */
	text: string;
	/** Never proposed for editing when true. */
	frozen?: boolean;
	/** Which edit produced this text; absent means the same as {kind: 'initial'}. */
	origin?: SegmentOrigin;
};

/** Lineage of a segment: from the initial prompt, or produced by an edit of an accepted candidate. */
export type SegmentOrigin = InitialOrigin | EditOrigin;

/** The segment is part of the prompt the session started with. */
export type InitialOrigin = {
	/** Discriminant. */
	kind: 'initial';
};

/** The segment was produced by an edit. */
export type EditOrigin = {
	/** Discriminant. */
	kind: 'edit';
	/** Round in which the edit was made. */
	round: number;
	/** Candidate that carried the edit. */
	candidateId: string;
	/** The operation that produced the text (a delete produces no segment). */
	op: 'replace' | 'insert_after';
};

/** A prompt as segments. */
export type SegmentedPrompt = {
	/** Segments in order. */
	segments: Segment[];
};

/** One data example: an input and its reference output. */
export type Example = {
	/** Input the prompt is applied to. */
	input: string;
	/** Reference output (single-objective tasks). */
	target: string;
	/** Reference output per objective, for multi-objective tasks. */
	targets?: Record<string, string>;
	/**
	 * Weight r (default 1). r < 0 marks an output the prompt should make less likely (preference data); the task loss
	 * is the r-weighted mean, as in PMPO.
	 */
	weight?: number;
};

/** How to split the prompt into segments. */
export type SegmentationMode = 'sentences' | 'lines' | 'markers';

/** An edit of one segment proposed by a generator. */
export type Edit = {
	/** Id of the segment the edit applies to. */
	segment: string;
	/** replace: new text for the segment; delete: remove it; insert_after: a new segment after it. */
	op: 'replace' | 'delete' | 'insert_after';
	/** The new text (replace and insert_after). */
	text?: string;
	/** Why the generator proposes it. */
	rationale?: string;
};

/** A candidate prompt: the current prompt with one or more edits applied. */
export type Candidate = {
	/** Id unique within the round ("c1", ...). */
	id: string;
	/** The edits applied to the current prompt. */
	edits: Edit[];
	/** The resulting segments. */
	segments: Segment[];
	/** Which generator produced it. */
	source: string;
};

/** Per-judge losses of one prompt on an evaluation batch. */
export type JudgeLosses = Record<string, number>;

/** Importance of each segment (I_k = -dL/dm_k: positive helps, negative hurts), per judge. */
export type SegmentImportance = {
	/** Segment ids in order. */
	segmentIds: string[];
	/** Importance per judge, aligned with segmentIds (already averaged over the minibatch). */
	perJudge: Record<string, number[]>;
	/** Aggregated importance, aligned with segmentIds. */
	aggregate: number[];
	/** Kendall tau between each pair of judges' segment rankings. */
	agreement: {a: string; b: string; tau: number}[];
	/** How the importances were computed. */
	method: 'gradient' | 'loo';
	/** Why a judge fell back to leave-one-out when gradients were asked for, by judge (absent when none did). */
	fallbacks?: Record<string, string>;
	/** Per-judge importances after normalisation (what was aggregated), aligned with segmentIds. */
	normalised?: Record<string, number[]>;
	/** The normalisation applied before aggregation. */
	normalisation?: Normalisation;
	/** How the judges were aggregated. */
	aggregation?: Aggregation;
	/** Judges whose importances were not finite this round, left out of every other field. */
	unusable?: string[];
};

/** How losses or importances are combined across judges. */
export type Aggregation = 'mean' | 'median' | 'min' | 'borda';

/** How per-judge importances are normalised before aggregation. */
export type Normalisation = 'l2' | 'loss' | 'none';

/** Multi-objective combination of per-objective segment vectors. */
export type MultiObjectiveMode = 'sum' | 'pcgrad' | 'mgda' | 'separate';
