import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	combineObjectives,
	conflictMatrix,
	dominates,
	hypervolume,
	mgda,
	paretoFront,
	pcgrad,
} from '../../source/core/multi-objective.js';
import {dot} from '../../source/core/stats.js';
import {mulberry32, type Rng} from '../../source/core/random.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
	assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);
const closeAll = (actual: number[], expected: number[], tolerance = 1e-12) =>
	actual.forEach((a, i) => close(a, expected[i], tolerance));
const randomVector = (rng: Rng, n: number) => Array.from({length: n}, () => rng() * 2 - 1);

test('sum adds the (weighted) objective vectors', () => {
	const result = combineObjectives(
		[
			[1, 2],
			[3, -1],
		],
		'sum',
		[1, 2],
	);
	assert.deepEqual(result.direction, [7, 0]);
	assert.deepEqual(result.weights, [1, 2]);
});

test('pcgrad by hand: conflicting vectors are projected off each other', () => {
	// g1 = (1, 0), g2 = (-1, 1): g1·g2 = -1. g1' = g1 - (-1/2) g2 = (0.5, 0.5); g2' = g2 - (-1/1) g1 = (0, 1).
	closeAll(
		pcgrad([
			[1, 0],
			[-1, 1],
		]),
		[0.5, 1.5],
	);
	// No conflict: plain sum.
	closeAll(
		pcgrad([
			[1, 0],
			[1, 1],
		]),
		[2, 1],
	);
});

test('property: with two objectives the PCGrad direction never conflicts with either', () => {
	const rng = mulberry32(11);
	for (let trial = 0; trial < 500; trial++) {
		const dim = 2 + (trial % 6);
		const g = [randomVector(rng, dim), randomVector(rng, dim)];
		const d = pcgrad(g);
		for (const gi of g) assert.ok(dot(d, gi) >= -1e-12, `trial ${trial}: ${dot(d, gi)}`);
	}
});

test('mgda closed form for two vectors, by hand', () => {
	// Min-norm point of the segment between (1, 0) and (0, 1) is (0.5, 0.5).
	const r = mgda([
		[1, 0],
		[0, 1],
	]);
	closeAll(r.weights, [0.5, 0.5]);
	closeAll(r.point, [0.5, 0.5]);
	// (1, 0) and (2, 1): the minimum is at the vertex (1, 0).
	const vertex = mgda([
		[1, 0],
		[2, 1],
	]);
	closeAll(vertex.weights, [1, 0]);
	// Opposite vectors: the origin is in the hull (Pareto-stationary).
	const stationary = mgda([
		[1, 2],
		[-1, -2],
	]);
	closeAll(stationary.point, [0, 0]);
});

test('mgda with three vectors by hand: the equilateral case has equal weights and the centroid', () => {
	const r = mgda([
		[1, 0, 0],
		[0, 1, 0],
		[0, 0, 1],
	]);
	closeAll(r.weights, [1 / 3, 1 / 3, 1 / 3], 1e-9);
	closeAll(r.point, [1 / 3, 1 / 3, 1 / 3], 1e-9);
});

test('property: MGDA weights form a distribution and the point satisfies the KKT conditions', () => {
	const rng = mulberry32(5);
	for (let trial = 0; trial < 300; trial++) {
		const n = 2 + (trial % 5);
		const dim = 2 + (trial % 7);
		const g = Array.from({length: n}, () => randomVector(rng, dim));
		const r = mgda(g);
		close(
			r.weights.reduce((a, b) => a + b, 0),
			1,
			1e-12,
		);
		assert.ok(r.weights.every(w => w >= 0));
		// Optimality of v = min-norm point: the derivative of |x|² at v towards any vertex g_i is 2 v·(g_i - v) >= 0,
		// i.e. the derivative along v - g_i (back from the vertex) is non-positive.
		const vv = dot(r.point, r.point);
		for (const gi of g) assert.ok(dot(r.point, gi) - vv >= -1e-8, `trial ${trial}: ${dot(r.point, gi) - vv}`);
		// And no vertex is shorter than the hull's minimum.
		for (const gi of g) assert.ok(dot(gi, gi) >= vv - 1e-12);
	}
});

test('combineObjectives mgda returns the min-norm point and its weights', () => {
	const r = combineObjectives(
		[
			[1, 0],
			[0, 1],
		],
		'mgda',
	);
	closeAll(r.direction, [0.5, 0.5]);
	closeAll(r.weights, [0.5, 0.5]);
	assert.throws(() => combineObjectives([[1], [2]], 'sum', [1]), /1 weights for 2 objectives/);
	assert.throws(() => combineObjectives([[1], [2, 3]], 'sum'), /differ in length/);
});

test('conflict matrix holds the cosines', () => {
	const m = conflictMatrix([
		[1, 0],
		[0, 2],
		[-1, 0],
		[0, 0],
	]);
	closeAll(m[0].slice(0, 3), [1, 0, -1]);
	close(m[1][2], 0);
	assert.ok(Number.isNaN(m[3][3]) && Number.isNaN(m[0][3]));
});

test('Pareto front for minimisation', () => {
	assert.equal(dominates([1, 1], [1, 2]), true);
	assert.equal(dominates([1, 1], [1, 1]), false);
	const points = [
		[1, 5],
		[2, 2],
		[3, 3],
		[5, 1],
		[2, 2],
		[4, 1],
	];
	// [3,3] is dominated by [2,2]; [5,1] by [4,1]; equal points [2,2] are both kept.
	assert.deepEqual(paretoFront(points), [0, 1, 4, 5]);
});

test('hypervolume of known fronts', () => {
	// Two objectives, reference (4, 4): boxes from (1,3), (2,2), (3,1) -> staircase area 3 + 2 + 1 = 6.
	close(
		hypervolume(
			[
				[1, 3],
				[2, 2],
				[3, 1],
			],
			[4, 4],
		),
		6,
	);
	// Dominated and outside points add nothing.
	close(
		hypervolume(
			[
				[1, 3],
				[2, 2],
				[3, 1],
				[3, 3],
				[5, 0],
			],
			[4, 4],
		),
		6,
	);
	close(hypervolume([], [1, 1]), 0);
	// Three objectives: one box; two boxes overlapping in [1,2]^3 of volume 1: 8 + 8 - 1 = 15.
	close(hypervolume([[0, 0, 0]], [2, 3, 4]), 24);
	close(
		hypervolume(
			[
				[0, 0, 1],
				[1, 1, 0],
			],
			[2, 2, 2],
		),
		4 + 2 - 1,
	);
	assert.throws(() => hypervolume([[1, 2, 3]], [4, 4]), /3 objectives, the reference 2/);
});

test('property: hypervolume matches inclusion-exclusion over the boxes', () => {
	const rng = mulberry32(21);
	for (let trial = 0; trial < 60; trial++) {
		const d = 2 + (trial % 3);
		const n = 1 + (trial % 5);
		const reference = new Array<number>(d).fill(1);
		const points = Array.from({length: n}, () => randomVector(rng, d).map(x => (x + 1) / 2));
		let expected = 0;
		for (let mask = 1; mask < 1 << n; mask++) {
			const members = points.filter((_, i) => mask & (1 << i));
			const corner = reference.map((_, k) => Math.max(...members.map(p => p[k])));
			const volume = corner.reduce((v, c, k) => v * Math.max(0, reference[k] - c), 1);
			expected += (members.length % 2 === 1 ? 1 : -1) * volume;
		}
		close(hypervolume(points, reference), expected, 1e-12);
	}
});
