import assert from 'node:assert/strict';
import {test} from 'node:test';
import {gaussLegendre, integrate, maskRule} from '../../source/core/quadrature.js';

const close = (actual: number, expected: number, tolerance = 1e-13) =>
	assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

test('one and two Gauss-Legendre points on [0, 1] by hand', () => {
	const one = gaussLegendre(1);
	assert.deepEqual(one, {nodes: [0.5], weights: [1]});
	const two = gaussLegendre(2);
	close(two.nodes[0]!, 0.5 - 1 / (2 * Math.sqrt(3)));
	close(two.nodes[1]!, 0.5 + 1 / (2 * Math.sqrt(3)));
	close(two.weights[0]!, 0.5);
	close(two.weights[1]!, 0.5);
	const three = gaussLegendre(3);
	close(three.nodes[1]!, 0.5);
	close(three.weights[0]!, 5 / 18);
	close(three.weights[1]!, 8 / 18);
	close(three.nodes[0]!, 0.5 - Math.sqrt(3 / 5) / 2);
});

test('n points integrate every polynomial of degree up to 2n - 1 exactly, and not degree 2n', () => {
	for (let n = 1; n <= 8; n++) {
		const rule = gaussLegendre(n);
		assert.ok(rule.nodes.every((t, i) => t > 0 && t < 1 && (i === 0 || t > rule.nodes[i - 1]!)), `nodes of ${n} ascend inside (0, 1)`);
		close(rule.weights.reduce((a, b) => a + b, 0), 1);
		for (let p = 0; p <= 2 * n - 1; p++) {
			const value = integrate([...rule.nodes.map(t => [t ** p])], rule)[0]!;
			close(value, 1 / (p + 1), 1e-12);
		}
		// For t^(2n) the error is (n!)^4 / ((2n + 1) ((2n)!)^2) on [0, 1] (the rule underestimates).
		const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
		const error = factorial(n) ** 4 / ((2 * n + 1) * factorial(2 * n) ** 2);
		const beyond = integrate(rule.nodes.map(t => [t ** (2 * n)]), rule)[0]!;
		close(1 / (2 * n + 1) - beyond, error, 1e-12 + error * 1e-6);
	}
});

test('integrate combines per-node vectors by the weights; maskRule keeps one point at the judge\'s mask point', () => {
	assert.deepEqual(integrate([[1, 2], [3, 4]], {nodes: [0.25, 0.75], weights: [0.5, 0.5]}), [2, 3]);
	assert.deepEqual(maskRule(1, 0.5), {nodes: [0.5], weights: [1]});
	assert.deepEqual(maskRule(1, 1), {nodes: [1], weights: [1]});
	assert.deepEqual(maskRule(2, 0.5), gaussLegendre(2));
	assert.throws(() => integrate([[1]], gaussLegendre(2)), /1 rows for a 2-point rule/);
	assert.throws(() => integrate([[1], [1, 2]], gaussLegendre(2)), /differ in length/);
	assert.throws(() => gaussLegendre(0), RangeError);
	assert.throws(() => gaussLegendre(1.5), RangeError);
});
