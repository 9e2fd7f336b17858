/**
 * The Generator interface: what the engine asks a generator for (a proposal request) and what it gets back (edits).
 * Generators know nothing of judges, sessions or the UI; the engine turns their edits into candidates.
 */
import type {Edit, Segment} from '../core/types.js';
import type {RetryNotice} from '../core/retry.js';

export type {RetryNotice} from '../core/retry.js';

/** A segment as shown to a generator: its id, text and how much it helps or hurts. */
export type RequestSegment = Segment & {
	/** Aggregated importance I_k (positive helps, negative hurts); absent when attribution was not run. */
	importance?: number;
};

/** An example on which the judges' loss is highest, shown to the generator as evidence. */
export type HardExample = {
	/** The input the prompt is applied to. */
	input: string;
	/** The reference output (single-objective tasks, or the combined reference). */
	target: string;
	/** Reference output per objective name, for multi-objective tasks. */
	targets?: Record<string, string>;
	/** The judges' aggregated loss on this example (mean token cross-entropy; higher is worse). */
	loss: number;
	/** The loss per objective name, when the task has objectives. */
	objectiveLosses?: Record<string, number>;
};

/** One criterion of a multi-objective task, as the generator sees it. */
export type RequestObjective = {
	/** Key in each hard example's `targets`. */
	name: string;
	/** What the objective measures, in words. */
	description?: string;
	/** Weight in the combined objective (default 1). */
	weight?: number;
};

/** Everything a generator needs to propose edits for one round. */
export type ProposalRequest = {
	/** The current prompt as segments, in order, with ids and importances. */
	segments: RequestSegment[];
	/** Ids of the segments to edit this round (the weakest ones, or the user's choice); never frozen ones. */
	targets: string[];
	/** Examples on which the judges' loss is highest. */
	hardExamples: HardExample[];
	/** How many candidates (N) are wanted. */
	count: number;
	/** The task's objectives; absent for single-objective tasks. */
	objectives?: RequestObjective[];
	/** The round number (1-based); deterministic generators seed from it. */
	round: number;
	/** Told before a failed request to an LLM is tried again (generators that call none never call it). */
	onRetry?: (notice: RetryNotice) => void;
};

/**
 * An edit as proposed. Edits that share a `group` form ONE candidate and are applied together: an operator that
 * touches two segments (the offline swap and merge) is expressed as two edits of one group. An edit without a group
 * is a candidate on its own.
 */
export type ProposedEdit = Edit & {
	/** Edits with the same group are applied together as one candidate. */
	group?: string;
};

/** Tokens spent by the generator's LLM calls. */
export type TokenUsage = {
	/** Prompt (input) tokens, summed over calls. */
	promptTokens: number;
	/** Completion (output) tokens, summed over calls. */
	completionTokens: number;
};

/** What a generator returns for one request. */
export type Proposal = {
	/** The proposed edits; each edit (or each group of edits) gives one candidate. */
	edits: ProposedEdit[];
	/** Tokens spent (zero for generators that call no LLM). */
	usage: TokenUsage;
	/** Short remarks for the user: fewer edits than asked, repairs, which generator ran. */
	notes?: string[];
};

/** Proposes edits of a segmented prompt. Implementations: OpenAI-compatible chat, offline operators, textual gradients. */
export type Generator = {
	/** Shown as the source of its candidates ("offline", "openai:gpt-4o-mini", "textual:SCC:..."). */
	readonly name: string;
	/** Proposes edits; rejects with the signal's reason when aborted. */
	propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal>;
};

/** Zero usage, for generators that call no LLM. */
export const noUsage = (): TokenUsage => ({promptTokens: 0, completionTokens: 0});

/** Adds b into a (in place) and returns a. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
	a.promptTokens += b.promptTokens;
	a.completionTokens += b.completionTokens;
	return a;
}

/** Groups proposed edits into candidates: one list per group, in first-appearance order. */
export function groupEdits(edits: ProposedEdit[]): Edit[][] {
	const groups = new Map<string, Edit[]>();
	const out: Edit[][] = [];
	for (const [i, {group, ...edit}] of edits.entries()) {
		const key = group ?? `\u0000${i}`;
		let list = groups.get(key);
		if (!list) {
			list = [];
			groups.set(key, list);
			out.push(list);
		}
		list.push(edit);
	}
	return out;
}
