/**
 * Quadrature along the mask path of segment attribution. Every segment's mask moves together from the baseline
 * (m = 0) to the prompt (m = 1); the importance of segment k is the integral of -dL/dm_k over that path, so the
 * importances add up to L(baseline) - L(prompt) (integrated gradients on the mask). An n-point rule reads the gradient
 * at n mask values and sums them with weights: n = 1 at m = 0.5 is the midpoint rule the judges used first; n-point
 * Gauss–Legendre is exact when dL/dm_k is a polynomial of degree 2n - 1 along the path.
 */

/** Nodes in [0, 1] (ascending) and their weights (summing to 1). */
export type QuadratureRule = {
	/** Mask values where the gradient is read. */
	nodes: number[];
	/** Weight of each node. */
	weights: number[];
};

/** Most points a judge may ask for: beyond this the batch grows with no measured gain. */
export const MAX_POINTS = 8;

/**
 * The n-point Gauss–Legendre rule on [0, 1]: the roots of the Legendre polynomial P_n (by Newton's method from
 * the Chebyshev-like first guess cos(pi (i - 1/4) / (n + 1/2))), mapped from [-1, 1] and weighted by
 * 2 / ((1 - x^2) P_n'(x)^2) / 2.
 */
export function gaussLegendre(n: number): QuadratureRule {
	if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`Gauss-Legendre needs 1 to 64 points, got ${n}`);
	const nodes = new Array<number>(n);
	const weights = new Array<number>(n);
	for (let i = 0; i < Math.ceil(n / 2); i++) {
		let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
		let derivative = 0;
		for (let iteration = 0; iteration < 100; iteration++) {
			const [p, dp] = legendre(n, x);
			derivative = dp;
			const step = p / dp;
			x -= step;
			if (Math.abs(step) < 1e-16) break;
		}
		derivative = legendre(n, x)[1];
		const w = 1 / ((1 - x * x) * derivative * derivative);
		// x is the i-th largest root; its mirror -x is the i-th smallest. On [0, 1]: t = (1 ± x) / 2.
		nodes[i] = (1 - x) / 2;
		nodes[n - 1 - i] = (1 + x) / 2;
		weights[i] = w;
		weights[n - 1 - i] = w;
	}
	return {nodes, weights};
}

/** P_n(x) and P_n'(x) by the three-term recurrence. */
function legendre(n: number, x: number): [number, number] {
	let previous = 1;
	let current = x;
	if (n === 0) return [1, 0];
	for (let j = 2; j <= n; j++) {
		const next = ((2 * j - 1) * x * current - (j - 1) * previous) / j;
		previous = current;
		current = next;
	}
	return [current, (n * (x * current - previous)) / (x * x - 1)];
}

/**
 * The rule a judge's attribution settings ask for: one point at `maskPoint` (the judge.json default 0.5 is the
 * one-point Gauss–Legendre rule), or n-point Gauss–Legendre on [0, 1].
 */
export function maskRule(points: number, maskPoint: number): QuadratureRule {
	if (points === 1) return {nodes: [maskPoint], weights: [1]};
	return gaussLegendre(points);
}

/**
 * Σ_i weights_i · rows_i[k]: the rule applied to per-node vectors (rows_i = the gradient at node i, one value per
 * segment).
 */
export function integrate(rows: readonly ArrayLike<number>[], rule: QuadratureRule): number[] {
	if (rows.length !== rule.weights.length) throw new RangeError(`${rows.length} rows for a ${rule.weights.length}-point rule`);
	const width = rows[0]?.length ?? 0;
	const out = new Array<number>(width).fill(0);
	rows.forEach((row, i) => {
		if (row.length !== width) throw new RangeError(`rows differ in length (${row.length} vs ${width})`);
		for (let k = 0; k < width; k++) out[k] += rule.weights[i]! * row[k]!;
	});
	return out;
}
