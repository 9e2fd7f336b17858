/**
 * Several objectives, one segment vector G_o each (aggregated over judges): combining them into one direction,
 * measuring their conflict, and comparing candidates on the objectives' losses (Pareto front, hypervolume).
 *
 * The maths is sign-agnostic: G_o may be gradients or importances (= -gradients); conflict is a negative inner
 * product either way, and MGDA's weights are the same for a set of vectors and for their negatives.
 */
import {cosine, dot} from './stats.js';

/** The combined direction, and the weight each objective got in it (sum: the weights given; mgda: the solution). */
export type Combination = {
	/** Combined segment vector. */
	direction: number[];
	/** Weight of each objective's (scaled) vector in the direction; for pcgrad, the scaling applied before. */
	weights: number[];
};

/** Modes that produce one direction ('separate' runs each objective on its own and has nothing to combine). */
export type CombineMode = 'sum' | 'pcgrad' | 'mgda';

/**
 * Combine per-objective vectors. `weights` (default all 1) scale each G_o first, which is how objective weights of
 * the task enter every mode (for mgda they bias which point of the hull has minimum norm).
 */
export function combineObjectives(
	vectors: readonly number[][],
	mode: CombineMode,
	weights?: readonly number[],
): Combination {
	const w = weights ? [...weights] : vectors.map(() => 1);
	if (w.length !== vectors.length) throw new RangeError(`${w.length} weights for ${vectors.length} objectives`);
	const scaled = vectors.map((g, i) => g.map(x => x * w[i]));
	if (mode === 'sum') return {direction: sumVectors(scaled, lengthOf(vectors)), weights: w};
	if (mode === 'pcgrad') return {direction: pcgrad(scaled), weights: w};
	const result = mgda(scaled);
	return {direction: result.point, weights: result.weights};
}

/**
 * PCGrad (Yu et al. 2020): each G_i is projected off the normal plane of every original G_j it conflicts with
 * (negative inner product with the running projection), visiting j in index order rather than the paper's random
 * order so that results are reproducible; then the projections are summed.
 */
export function pcgrad(vectors: readonly number[][]): number[] {
	const projected = vectors.map((g, i) => {
		const p = [...g];
		vectors.forEach((h, j) => {
			if (j === i) return;
			const hh = dot(h, h);
			const ph = dot(p, h);
			if (hh === 0 || ph >= 0) return;
			const c = ph / hh;
			for (let k = 0; k < p.length; k++) p[k] -= c * h[k];
		});
		return p;
	});
	return sumVectors(projected, lengthOf(vectors));
}

/** The minimum-norm point of the convex hull of the vectors. */
export type MinNorm = {
	/** The point Σ weights_i G_i. */
	point: number[];
	/** Convex weights (non-negative, summing to 1). */
	weights: number[];
	/** Frank-Wolfe iterations used (0 for the closed forms). */
	iterations: number;
	/** Frank-Wolfe duality gap at the end (an upper bound on |point|² - min); 0 for the closed forms. */
	gap: number;
};

/** Stopping rules for the Frank-Wolfe solver. */
export type MgdaOptions = {
	/** Iteration cap (default 10,000). */
	maxIterations?: number;
	/** Stop when the duality gap is below this times the largest |G_o|² (default 1e-12). */
	tolerance?: number;
};

/**
 * MGDA (Désidéri 2012; Sener and Koltun 2018): the minimum-norm point of the convex hull of the G_o. Its negative is
 * a direction that does not increase any objective to first order; a zero point means Pareto-stationary.
 * Closed form for one and two vectors; beyond, pairwise Frank-Wolfe with exact line search on the Gram matrix.
 */
export function mgda(vectors: readonly number[][], options: MgdaOptions = {}): MinNorm {
	const n = vectors.length;
	const dim = lengthOf(vectors);
	if (n === 0) return {point: [], weights: [], iterations: 0, gap: 0};
	if (n === 1) return {point: [...vectors[0]], weights: [1], iterations: 0, gap: 0};
	const gram = vectors.map(a => vectors.map(b => dot(a, b)));
	if (n === 2) {
		const gamma = minNormOnSegment(gram[0][0], gram[0][1], gram[1][1]);
		const weights = [gamma, 1 - gamma];
		return {point: weightedSum(vectors, weights, dim), weights, iterations: 0, gap: 0};
	}
	const maxIterations = options.maxIterations ?? 10_000;
	const scale = Math.max(...gram.map((row, i) => row[i]), Number.MIN_VALUE);
	const tolerance = (options.tolerance ?? 1e-12) * scale;
	// Start at the vertex with the smallest norm, the best single objective.
	let best = 0;
	for (let i = 1; i < n; i++) if (gram[i][i] < gram[best][best]) best = i;
	let alpha: number[] = vectors.map((_, i) => (i === best ? 1 : 0));
	let iterations = 0;
	let gap = Number.POSITIVE_INFINITY;
	for (; iterations < maxIterations; iterations++) {
		// Gradient of ½|Σα G|² wrt α is Gα; the vertex minimising it is the Frank-Wolfe target.
		const grad = gram.map(row => dot(row, alpha));
		let t = 0;
		for (let i = 1; i < n; i++) if (grad[i] < grad[t]) t = i;
		gap = dot(alpha, grad) - grad[t];
		if (gap <= tolerance) break;
		// Pairwise step: move weight from the worst vertex in use to the target. Plain Frank-Wolfe zig-zags
		// towards a solution on a face of the simplex; the pairwise variant converges linearly on polytopes.
		let s = -1;
		for (let i = 0; i < n; i++) if (alpha[i] > 0 && (s < 0 || grad[i] > grad[s])) s = i;
		const curvature = gram[t][t] - 2 * gram[t][s] + gram[s][s];
		const step = curvature > 0 ? Math.min(alpha[s], (grad[s] - grad[t]) / curvature) : alpha[s];
		alpha = [...alpha];
		alpha[s] -= step;
		alpha[t] += step;
		if (alpha[s] < 1e-15) alpha[s] = 0;
	}
	// Steps move weight between entries, so the sum only drifts by rounding; renormalise it away.
	const total = alpha.reduce((x, y) => x + y, 0);
	alpha = alpha.map(a => a / total);
	return {point: weightedSum(vectors, alpha, dim), weights: alpha, iterations, gap: Math.max(0, gap)};
}

/** Cosine between every pair of objective vectors (1 on the diagonal; NaN where a vector is zero). */
export function conflictMatrix(vectors: readonly number[][]): number[][] {
	return vectors.map((a, i) => vectors.map((b, j) => (i === j && dot(a, a) > 0 ? 1 : cosine(a, b))));
}

/** True when a is at least as good as b everywhere and strictly better somewhere (minimisation). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
	let strictly = false;
	for (let i = 0; i < a.length; i++) {
		if (a[i] > b[i]) return false;
		if (a[i] < b[i]) strictly = true;
	}
	return strictly;
}

/** Indices of the non-dominated points (minimisation), in input order; equal points are all kept. */
export function paretoFront(points: readonly number[][]): number[] {
	const front: number[] = [];
	points.forEach((p, i) => {
		if (!points.some((q, j) => j !== i && dominates(q, p))) front.push(i);
	});
	return front;
}

/**
 * Hypervolume (minimisation): the measure of the region dominated by the points and bounded by the reference point,
 * i.e. the union of the boxes [p, ref]. Exact for any number of objectives by slicing along the last objective
 * (HSO, While et al. 2006): O(n^d), fine for a round's candidates. Points not better than the reference in every
 * objective contribute nothing.
 */
export function hypervolume(points: readonly number[][], reference: readonly number[]): number {
	const d = reference.length;
	for (const p of points) {
		if (p.length !== d) throw new RangeError(`a point has ${p.length} objectives, the reference ${d}`);
	}
	const inside = points.filter(p => p.every((x, i) => x < reference[i]));
	return slice(inside, reference, d);
}

function slice(points: readonly number[][], reference: readonly number[], d: number): number {
	if (points.length === 0) return 0;
	if (d === 1) return reference[0] - Math.min(...points.map(p => p[0]));
	const last = d - 1;
	const sorted = [...points].sort((a, b) => a[last] - b[last]);
	let volume = 0;
	for (let i = 0; i < sorted.length; i++) {
		const upper = i + 1 < sorted.length ? sorted[i + 1][last] : reference[last];
		const depth = upper - sorted[i][last];
		if (depth > 0) volume += depth * slice(sorted.slice(0, i + 1), reference, last);
	}
	return volume;
}

/** The γ in [0, 1] minimising |γ a + (1-γ) b|², given a·a, a·b and b·b. */
function minNormOnSegment(aa: number, ab: number, bb: number): number {
	const denominator = aa - 2 * ab + bb;
	// a = b: every point of the segment is the same; take the middle so equal objectives share equally.
	if (denominator <= 0) return 0.5;
	return Math.min(1, Math.max(0, (bb - ab) / denominator));
}

function weightedSum(vectors: readonly number[][], weights: readonly number[], dim: number): number[] {
	const out = new Array<number>(dim).fill(0);
	vectors.forEach((g, i) => {
		for (let k = 0; k < dim; k++) out[k] += weights[i] * g[k];
	});
	return out;
}

function sumVectors(vectors: readonly number[][], dim: number): number[] {
	return weightedSum(vectors, new Array<number>(vectors.length).fill(1), dim);
}

function lengthOf(vectors: readonly number[][]): number {
	const dim = vectors[0]?.length ?? 0;
	for (const g of vectors) {
		if (g.length !== dim) throw new RangeError(`objective vectors differ in length (${g.length} vs ${dim})`);
	}
	return dim;
}
