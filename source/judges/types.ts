/**
 * The Judge interface: a local model that turns (prompt segments, examples) into losses and per-segment
 * importances. The engine only sees this interface; tests replace it with fakes.
 */
import {UserError} from '../errors.js';

/** One example as a judge sees it. */
export type JudgeExample = {
	/** The input the prompt is applied to. */
	input: string;
	/** The reference output whose likelihood is scored. */
	target: string;
};

/** Losses of one prompt on a list of examples. */
export type ScoreResult = {
	/** Mean token cross-entropy of each example's target (nats per token), in input order. */
	losses: number[];
	/** Target tokens of each example. */
	targetTokens: number[];
};

/** How importances were computed. */
export type AttributionMethod = 'gradient' | 'loo';

/** Importances of the segments for each example. */
export type AttributionResult = ScoreResult & {
	/** importance[e][k] = -dL_e/dm_k (gradient) or L_e(without k) - L_e (leave-one-out): positive helps. */
	importance: number[][];
	/** Which method ran. */
	method: AttributionMethod;
	/** Why leave-one-out ran when the gradient was asked for (the graph could not be differentiated). */
	fallbackReason?: string;
	/**
	 * Passes used: per batch, 1 forward+backward for gradients (plus 1 forward for the prompt's loss when the
	 * gradient is read away from m = 1), K+1 forwards for leave-one-out.
	 */
	passes: number;
};

/** Static facts about a judge. */
export type JudgeInfo = {
	/** Unique name. */
	name: string;
	/** Model family (gpt2, llama, ...). */
	family: string;
	/** Never used for selection, only reported. */
	heldout: boolean;
	/** Parameters in the model's initializers. */
	parameters: number;
	/** Bytes of the weights as the judge runs them (fp32), when it runs them locally. */
	weightBytes?: number;
	/** Vocabulary size. */
	vocabSize: number;
	/** Context length in tokens, when known. */
	contextLength?: number;
	/** Whether gradient attribution is available, or why not. */
	gradient: {available: true} | {available: false; reason: string};
};

/** A judge model. */
export type Judge = {
	/** Static facts. */
	readonly info: JudgeInfo;
	/** Loss of the prompt on each example. */
	score(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult>;
	/**
	 * Losses of several prompts on the same examples, for a judge that gains from seeing them all at once (a server
	 * judge sends every prompt x example sequence in batches, with bounded concurrency). One promise per prompt, in
	 * order, so that a prompt the judge refuses fails alone. Judges without it are asked prompt by prompt.
	 */
	scoreMany?(prompts: readonly (readonly string[])[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult>[];
	/** Importance of every segment for every example from one batched forward+backward (LOO when it cannot). */
	attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult>;
	/** Leave-one-out importances (K+1 forwards): the baseline. */
	attributeLeaveOneOut(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult>;
	/** Greedy continuation of the prompt applied to each input (at most maxTokens tokens each). */
	generate(segments: readonly string[], inputs: readonly string[], maxTokens: number, signal?: AbortSignal): Promise<string[]>;
	/** Release sessions and files. */
	close(): Promise<void>;
};

/**
 * A judge that cannot answer at all (its server is unreachable, overloaded or answering nonsense), as opposed to a
 * judge refusing one prompt (too long for its context): the round stops with this one line, instead of every
 * candidate being set aside one by one.
 */
export class JudgeUnavailableError extends UserError {
	constructor(message: string, where: {file?: string; field?: string} = {}) {
		super(message, where);
		this.name = 'JudgeUnavailableError';
	}
}
