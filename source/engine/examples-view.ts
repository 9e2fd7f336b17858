/**
 * The types of the per-example view (examples.ts builds it): what engine/types.ts re-exports without importing the
 * module that computes it, so the engine's types stay a leaf of its import graph.
 */
/** One example of the round's batch. */
export type ExampleRow = {
	/** Index in the training split. */
	index: number;
	/** The input. */
	input: string;
	/** The reference output (the first objective's, for multi-objective tasks). */
	reference: string;
	/** Its weight r (r < 0: an output to avoid). */
	weight: number;
};

/** What the judges make of one prompt on the batch's examples. */
export type ExampleOutputs = {
	/** The candidate id; undefined for the current prompt. */
	prompt?: string;
	/** Per judge, the greedy output of each example (aligned with the rows); absent until generated. */
	outputs: Record<string, string[]>;
	/** Per judge, whether each output is the reference (first lines compared, trimmed). */
	match: Record<string, boolean[]>;
	/** Per judge, each example's loss (nats/token), when scored. */
	losses: Record<string, number[]>;
};

/** The per-example view: the current prompt and a candidate side by side on every example of the batch. */
export type ExamplesView = {
	/** The examples. */
	rows: ExampleRow[];
	/** Judges, selection first. */
	judges: string[];
	/** The objective whose references are shown (multi-objective tasks). */
	objective?: string;
	/** The current prompt. */
	current: ExampleOutputs;
	/** The candidate compared, if any. */
	candidate?: ExampleOutputs;
};
