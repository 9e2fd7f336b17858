/**
 * Multi-judge selection: how much each candidate improves on the current prompt for each judge, the rankings, and
 * whether the best candidate should be accepted.
 *
 * Relative improvement r_{j,c} = (L_j(P) - L_j(c)) / |L_j(P)|: positive = the candidate lowers judge j's loss.
 * The absolute value in the denominator matters because the r-weighted task loss can be negative when examples
 * carry negative (preference) weights; dividing by a negative loss would flip the sign and reward a worse
 * candidate. When |L_j(P)| is below `LOSS_EPSILON`, the ratio would explode, so the plain difference
 * L_j(P) - L_j(c) is used instead (and flagged in `absolute`).
 *
 * With normalisation 'none' the improvement is the plain decrease in loss, L_j(P) - L_j(c), in nats per token: every
 * judge's loss is a mean token cross-entropy, so the decreases share a unit and can be averaged as they are, and
 * nothing explodes where a loss is near zero (a judge going from 0.001 to 0.0005 "improves by 50%" while another
 * loses 0.04 nats/token). The engine ranks this way; 'loss' (the relative change) is the default here.
 *
 * Held-out judges get their improvements and rankings computed and reported, but never enter the aggregate, the
 * ranking, the unanimity flag or the acceptance decision: they are the transfer check.
 */
import type {Aggregation, JudgeLosses} from './types.js';
import {averageRanks, mean, median} from './stats.js';

/** |L_j(P)| below this is treated as zero: improvements are absolute differences rather than ratios. */
export const LOSS_EPSILON = 1e-6;

/** One candidate's losses. */
export type CandidateLosses = {
	/** Candidate id. */
	id: string;
	/** Loss per judge on the evaluation batch. */
	losses: JudgeLosses;
};

/** What the decision needs. */
export type AcceptInput = {
	/** Each judge's loss of the current prompt on the same evaluation batch. */
	current: JudgeLosses;
	/** The candidates, in generation order (the last tie-breaker). */
	candidates: readonly CandidateLosses[];
	/** Judges excluded from the decision but reported (default none). */
	heldout?: readonly string[];
	/** Judges used for the decision (default: every judge in `current` that is not held out). */
	selection?: readonly string[];
	/** How selection judges are combined (default 'mean'). */
	aggregation?: Aggregation;
	/** The aggregate must exceed this to accept (default 0). */
	threshold?: number;
	/** How a judge's loss decrease is scaled before aggregation: 'loss' divides by |L_j(P)| (default), 'none' keeps nats/token. */
	normalisation?: ImprovementNormalisation;
};

/** How per-judge loss decreases are scaled before they are aggregated over judges. */
export type ImprovementNormalisation = 'loss' | 'none';

/** One candidate's scores. */
export type CandidateScore = {
	/** Candidate id. */
	id: string;
	/** r_{j,c} for every judge, held-out ones included (nats/token with normalisation 'none'). */
	improvement: Record<string, number>;
	/**
	 * The ranking score over the selection judges: mean, median or min of r; for borda, the mean Borda points
	 * (N - rank per judge, so N - 1 = first for every judge).
	 */
	score: number;
	/** Aggregated relative improvement compared with the threshold (for borda, the mean r over selection judges). */
	aggregate: number;
	/** 1-based position in the overall ranking. */
	rank: number;
};

/** The outcome of scoring the candidates. */
export type AcceptDecision = {
	/** Judges that decided. */
	selection: string[];
	/** Judges reported only. */
	heldout: string[];
	/** Judges whose improvements are plain loss decreases: all with normalisation 'none', else those whose current loss was too close to zero for a ratio. */
	absolute: string[];
	/** Candidates, best first. */
	candidates: CandidateScore[];
	/** Candidate ids best first for each judge, held-out ones included. */
	perJudge: Record<string, string[]>;
	/** The best candidate overall (undefined without candidates). */
	best?: string;
	/** True when every selection judge rates the best candidate at least as high as any other. */
	unanimous: boolean;
	/** True when the best candidate's aggregate exceeds the threshold. */
	accept: boolean;
	/** The threshold used. */
	threshold: number;
	/** The normalisation used. */
	normalisation: ImprovementNormalisation;
};

/** r = (L(P) - L(c)) / |L(P)|, or the plain difference when |L(P)| < LOSS_EPSILON. */
export function relativeImprovement(current: number, candidate: number): number {
	const scale = Math.abs(current);
	return scale < LOSS_EPSILON ? current - candidate : (current - candidate) / scale;
}

/** Score, rank and decide. Missing losses are a bug in the caller and throw. */
export function decide(input: AcceptInput): AcceptDecision {
	const heldout = [...(input.heldout ?? [])];
	const selection = [...(input.selection ?? Object.keys(input.current).filter(j => !heldout.includes(j)))];
	const aggregation = input.aggregation ?? 'mean';
	const threshold = input.threshold ?? 0;
	const normalisation = input.normalisation ?? 'loss';
	const improve = normalisation === 'none' ? (current: number, candidate: number) => current - candidate : relativeImprovement;
	const overlap = selection.filter(j => heldout.includes(j));
	if (overlap.length > 0) throw new RangeError(`judge ${overlap.join(', ')} is both held out and selecting`);
	if (selection.length === 0) throw new RangeError('no judge left for selection');
	const judges = [...selection, ...heldout];
	for (const j of judges) {
		if (input.current[j] === undefined) throw new RangeError(`no current loss for judge ${j}`);
	}

	const improvements = input.candidates.map(c =>
		Object.fromEntries(
			judges.map(j => {
				const loss = c.losses[j];
				if (loss === undefined) throw new RangeError(`no loss for judge ${j} on candidate ${c.id}`);
				return [j, improve(input.current[j], loss)];
			}),
		),
	);
	const perJudge = Object.fromEntries(judges.map(j => [j, rankIds(input.candidates, improvements.map(r => r[j]))]));

	// Borda ranks candidates but says nothing about improving, so acceptance then uses the mean improvement.
	const value = aggregation === 'borda' ? 'mean' : aggregation;
	const aggregates = improvements.map(r => combine(selection.map(j => r[j]), value));
	let scores = aggregates;
	if (aggregation === 'borda') {
		// Average ranks are ascending in r, so a judge's best candidate gets N - 1 points, ties share.
		const points = selection.map(j => averageRanks(improvements.map(r => finiteOr(r[j]))).map(rank => rank - 1));
		scores = input.candidates.map((_, c) => mean(points.map(p => p[c])));
	}

	const order = input.candidates
		.map((c, i) => ({i, score: scores[i], aggregate: aggregates[i]}))
		.sort((a, b) => compareDesc(a.score, b.score) || compareDesc(a.aggregate, b.aggregate) || a.i - b.i);
	const candidates: CandidateScore[] = order.map((o, rank) => ({
		id: input.candidates[o.i].id,
		improvement: improvements[o.i],
		score: o.score,
		aggregate: o.aggregate,
		rank: rank + 1,
	}));
	const top = order[0];
	const unanimous =
		top !== undefined &&
		selection.every(j => improvements.every(r => !(finiteOr(r[j]) > finiteOr(improvements[top.i][j]))));
	return {
		selection,
		heldout,
		absolute: normalisation === 'none' ? judges : judges.filter(j => Math.abs(input.current[j]) < LOSS_EPSILON),
		candidates,
		perJudge,
		best: top === undefined ? undefined : input.candidates[top.i].id,
		unanimous,
		accept: top !== undefined && Number.isFinite(top.aggregate) && top.aggregate > threshold,
		threshold,
		normalisation,
	};
}

function combine(values: number[], aggregation: Exclude<Aggregation, 'borda'>): number {
	if (aggregation === 'mean') return mean(values);
	if (aggregation === 'median') return median(values);
	return values.some(v => Number.isNaN(v)) ? Number.NaN : Math.min(...values);
}

/** Candidate ids by descending improvement; ties and non-finite values resolved like the overall ranking. */
function rankIds(candidates: readonly CandidateLosses[], values: number[]): string[] {
	return values
		.map((v, i) => ({v, i}))
		.sort((a, b) => compareDesc(a.v, b.v) || a.i - b.i)
		.map(x => candidates[x.i].id);
}

/** Descending order with NaN last. */
function compareDesc(a: number, b: number): number {
	const na = Number.isNaN(a);
	const nb = Number.isNaN(b);
	if (na || nb) return na === nb ? 0 : na ? 1 : -1;
	return a === b ? 0 : a > b ? -1 : 1;
}

/** NaN counts as the worst possible value. */
function finiteOr(x: number): number {
	return Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x;
}
