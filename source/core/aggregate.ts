/**
 * From per-judge segment importances to one aggregated importance per segment, plus how much the judges agree.
 *
 * Judges of different size and family produce gradients of very different scale, so each judge's vector is
 * normalised before aggregation; aggregation then combines comparable numbers.
 */
import type {Aggregation, JudgeLosses, Normalisation, SegmentImportance} from './types.js';
import {averageRanks, kendallTauB, l2Norm, mean, median} from './stats.js';

/** What aggregateImportance needs. */
export type ImportanceInput = {
	/** Segment ids in order. */
	segmentIds: string[];
	/** Importance per judge, aligned with segmentIds, already averaged over the minibatch. */
	perJudge: Record<string, number[]>;
	/** How each judge's vector is scaled before aggregation (default 'l2'). */
	normalisation?: Normalisation;
	/** How the judges are combined (default 'mean'). */
	aggregation?: Aggregation;
	/** Each judge's current loss; required for normalisation 'loss'. */
	losses?: JudgeLosses;
	/** How the importances were computed (default 'gradient'). */
	method?: SegmentImportance['method'];
};

/** Losses closer to zero than this are not divided by (the scale would explode); the vector is left as is. */
const LOSS_EPSILON = 1e-12;

/** Mean importance per segment over a minibatch: rows are examples, columns segments. */
export function averageOverExamples(perExample: readonly number[][]): number[] {
	if (perExample.length === 0) return [];
	const k = perExample[0].length;
	for (const row of perExample) {
		if (row.length !== k) throw new RangeError(`examples have ${row.length} and ${k} segments`);
	}
	return Array.from({length: k}, (_, i) => mean(perExample.map(row => row[i])));
}

/**
 * Scale one judge's importance vector.
 * - l2: divide by the vector's L2 norm (a zero vector stays zero).
 * - loss: divide by |loss|, the judge's current loss. The absolute value because an r-weighted task loss can be
 *   negative with preference weights, and flipping the sign would turn "helps" into "hurts". A loss of (almost)
 *   zero leaves the vector unscaled.
 * - none: unchanged.
 */
export function normaliseImportance(values: readonly number[], normalisation: Normalisation, loss?: number): number[] {
	if (normalisation === 'none') return [...values];
	if (normalisation === 'l2') {
		const norm = l2Norm(values);
		return norm === 0 || !Number.isFinite(norm) ? [...values] : values.map(v => v / norm);
	}
	if (loss === undefined) throw new RangeError("normalisation 'loss' needs the judge's loss");
	const scale = Math.abs(loss);
	return scale < LOSS_EPSILON || !Number.isFinite(scale) ? [...values] : values.map(v => v / scale);
}

/**
 * Combine judges per segment.
 * - mean, median: of the normalised importances.
 * - min: the lowest importance any judge gives (most pessimistic: a segment counts as harmful if one judge says so).
 * - borda: each judge ranks the segments by importance (average ranks on ties); a segment's score is its mean rank
 *   minus one, so 0 = least important for every judge and K - 1 = most important for every judge. Scale-free, but
 *   it loses the sign: read it as an order, not as helps/hurts.
 */
export function combineJudges(vectors: readonly number[][], aggregation: Aggregation): number[] {
	if (vectors.length === 0) return [];
	const k = vectors[0].length;
	if (aggregation === 'borda') {
		const ranks = vectors.map(v => averageRanks(v));
		return Array.from({length: k}, (_, i) => mean(ranks.map(r => r[i] - 1)));
	}
	const combine = aggregation === 'mean' ? mean : aggregation === 'median' ? median : minOf;
	return Array.from({length: k}, (_, i) => combine(vectors.map(v => v[i])));
}

/**
 * Kendall tau-b between every pair of judges (in the given order). A pair whose tau is undefined is left out: with
 * fewer than two segments there is no ranking to compare, and a judge with constant importances ranks nothing. A
 * made-up number would read as agreement or disagreement, and NaN cannot be saved in the session log.
 */
export function judgeAgreement(perJudge: Record<string, number[]>): SegmentImportance['agreement'] {
	const names = Object.keys(perJudge);
	const pairs: SegmentImportance['agreement'] = [];
	for (let i = 0; i < names.length; i++) {
		for (let j = i + 1; j < names.length; j++) {
			const tau = kendallTauB(perJudge[names[i]], perJudge[names[j]]);
			if (Number.isFinite(tau)) pairs.push({a: names[i], b: names[j], tau});
		}
	}
	return pairs;
}

/**
 * Normalise per judge, aggregate across judges and measure agreement. perJudge is kept raw in the result. A judge
 * whose importances are not all finite numbers (a model that overflowed) says nothing usable about any segment: it
 * is left out of every field and named in `unusable`, so that no NaN or Infinity reaches the aggregate or the log.
 */
export function aggregateImportance(input: ImportanceInput): SegmentImportance {
	const normalisation = input.normalisation ?? 'l2';
	const aggregation = input.aggregation ?? 'mean';
	const k = input.segmentIds.length;
	const normalised: Record<string, number[]> = {};
	const usable: Record<string, number[]> = {};
	const unusable: string[] = [];
	for (const [judge, values] of Object.entries(input.perJudge)) {
		if (values.length !== k) {
			throw new RangeError(`judge ${judge} gives ${values.length} importances for ${k} segments`);
		}
		if (!values.every(Number.isFinite)) {
			unusable.push(judge);
			continue;
		}
		usable[judge] = values;
		const loss = input.losses?.[judge];
		if (normalisation === 'loss' && loss === undefined) throw new RangeError(`no loss for judge ${judge}`);
		normalised[judge] = normaliseImportance(values, normalisation, loss);
	}
	const judges = Object.values(normalised);
	return {
		segmentIds: [...input.segmentIds],
		perJudge: Object.fromEntries(Object.entries(usable).map(([j, v]) => [j, [...v]])),
		aggregate: judges.length === 0 ? new Array<number>(k).fill(0) : combineJudges(judges, aggregation),
		// Rankings are scale-free, so agreement on raw or normalised vectors is the same.
		agreement: judgeAgreement(normalised),
		method: input.method ?? 'gradient',
		normalised,
		normalisation,
		aggregation,
		...(unusable.length > 0 ? {unusable} : {}),
	};
}

function minOf(xs: readonly number[]): number {
	return xs.length === 0 ? Number.NaN : Math.min(...xs);
}
