/**
 * Small statistics used by the engine: central tendency, spread, vector norms and rank correlations. Vectors are
 * short (segments, judges, candidates), so clarity wins over asymptotics (Kendall tau is O(n²)).
 *
 * Undefined quantities are NaN rather than a made-up number: the correlation of a constant vector, the mean of
 * nothing. Callers decide how to show them.
 */

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
	if (xs.length === 0) return Number.NaN;
	let s = 0;
	for (const x of xs) s += x;
	return s / xs.length;
}

/** Median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
	if (xs.length === 0) return Number.NaN;
	const sorted = [...xs].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Standard deviation. Population (divide by n) by default; `sample: true` divides by n - 1 (NaN below two values).
 */
export function standardDeviation(xs: readonly number[], options: {sample?: boolean} = {}): number {
	const n = xs.length;
	const dof = options.sample ? n - 1 : n;
	if (n === 0 || dof <= 0) return Number.NaN;
	const m = mean(xs);
	let s = 0;
	for (const x of xs) s += (x - m) ** 2;
	return Math.sqrt(s / dof);
}

/** Inner product; the vectors must have the same length. */
export function dot(a: readonly number[], b: readonly number[]): number {
	assertSameLength(a, b);
	let s = 0;
	for (let i = 0; i < a.length; i++) s += a[i] * b[i];
	return s;
}

/** Euclidean (L2) norm. */
export function l2Norm(xs: readonly number[]): number {
	// Scaling by the largest magnitude avoids overflow and underflow, which raw gradients can reach.
	let scale = 0;
	for (const x of xs) scale = Math.max(scale, Math.abs(x));
	if (scale === 0 || !Number.isFinite(scale)) return scale;
	let s = 0;
	for (const x of xs) s += (x / scale) ** 2;
	return scale * Math.sqrt(s);
}

/** Cosine similarity; NaN when either vector is zero (no direction to compare). */
export function cosine(a: readonly number[], b: readonly number[]): number {
	const na = l2Norm(a);
	const nb = l2Norm(b);
	if (na === 0 || nb === 0) return Number.NaN;
	return clamp(dot(a, b) / (na * nb), -1, 1);
}

/** Ranks 1..n, ascending, with tied values sharing the average of their ranks (fractional ranking). No NaN. */
export function averageRanks(xs: readonly number[]): number[] {
	const order = xs.map((x, i) => ({x, i})).sort((p, q) => p.x - q.x || p.i - q.i);
	const ranks = new Array<number>(xs.length);
	let i = 0;
	while (i < order.length) {
		let j = i;
		while (j + 1 < order.length && order[j + 1].x === order[i].x) j++;
		const rank = (i + j) / 2 + 1;
		for (let k = i; k <= j; k++) ranks[order[k].i] = rank;
		i = j + 1;
	}
	return ranks;
}

/**
 * Kendall's tau-b, which corrects for ties in either ranking:
 * (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)), n0 = n(n-1)/2, n1/n2 = pairs tied in x/y.
 * NaN when fewer than two values or when either vector is constant.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
	assertSameLength(x, y);
	const n = x.length;
	let concordant = 0;
	let discordant = 0;
	let tiedX = 0;
	let tiedY = 0;
	for (let i = 0; i < n; i++) {
		for (let j = i + 1; j < n; j++) {
			const dx = Math.sign(x[i] - x[j]);
			const dy = Math.sign(y[i] - y[j]);
			if (dx === 0) tiedX++;
			if (dy === 0) tiedY++;
			if (dx !== 0 && dy !== 0) {
				if (dx === dy) concordant++;
				else discordant++;
			}
		}
	}
	const n0 = (n * (n - 1)) / 2;
	const denominator = Math.sqrt((n0 - tiedX) * (n0 - tiedY));
	if (denominator === 0) return Number.NaN;
	return (concordant - discordant) / denominator;
}

/**
 * Spearman's rank correlation: Pearson correlation of the average ranks, which is exact with ties (the textbook
 * 1 - 6Σd²/(n(n²-1)) is not). NaN when fewer than two values or when either vector is constant.
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
	assertSameLength(x, y);
	return pearson(averageRanks(x), averageRanks(y));
}

/** Pearson correlation; NaN when fewer than two values or when either vector is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
	assertSameLength(x, y);
	if (x.length < 2) return Number.NaN;
	const mx = mean(x);
	const my = mean(y);
	let sxy = 0;
	let sxx = 0;
	let syy = 0;
	for (let i = 0; i < x.length; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) ** 2;
		syy += (y[i] - my) ** 2;
	}
	if (sxx === 0 || syy === 0) return Number.NaN;
	return clamp(sxy / Math.sqrt(sxx * syy), -1, 1);
}

function clamp(x: number, lo: number, hi: number): number {
	return Math.min(hi, Math.max(lo, x));
}

function assertSameLength(a: readonly number[], b: readonly number[]): void {
	if (a.length !== b.length) throw new RangeError(`vectors differ in length (${a.length} vs ${b.length})`);
}
