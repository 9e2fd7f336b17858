import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	averageRanks,
	cosine,
	dot,
	kendallTauB,
	l2Norm,
	mean,
	median,
	pearson,
	spearman,
	standardDeviation,
} from '../../source/core/stats.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
	assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

test('mean, median and standard deviation by hand', () => {
	assert.equal(mean([1, 2, 3, 4]), 2.5);
	assert.ok(Number.isNaN(mean([])));
	assert.equal(median([3, 1, 2]), 2);
	assert.equal(median([4, 1, 3, 2]), 2.5);
	assert.ok(Number.isNaN(median([])));
	// Values 2,4,4,4,5,5,7,9: population sd 2, sample sd sqrt(32/7).
	close(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]), 2);
	close(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9], {sample: true}), Math.sqrt(32 / 7));
	assert.ok(Number.isNaN(standardDeviation([1], {sample: true})));
});

test('norm, dot and cosine', () => {
	assert.equal(l2Norm([3, 4]), 5);
	assert.equal(l2Norm([]), 0);
	close(l2Norm([1e200, 1e200]), Math.SQRT2 * 1e200, 1e188);
	close(l2Norm([1e-200, 1e-200]), Math.SQRT2 * 1e-200, 1e-212);
	assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
	assert.throws(() => dot([1], [1, 2]), /differ in length/);
	close(cosine([1, 0], [0, 2]), 0);
	close(cosine([1, 1], [-2, -2]), -1);
	assert.ok(Number.isNaN(cosine([0, 0], [1, 2])));
});

test('average ranks share ties', () => {
	assert.deepEqual(averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
	assert.deepEqual(averageRanks([]), []);
});

test('Kendall tau-b: perfect, reversed and a hand-computed case with ties', () => {
	assert.equal(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40]), 1);
	assert.equal(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1);
	// x = 1,2,2,3; y = 1,3,2,3. Pairs: 6; concordant 4, discordant 0; tied in x 1, tied in y 1.
	// tau-b = 4 / sqrt(5 * 5) = 0.8.
	close(kendallTauB([1, 2, 2, 3], [1, 3, 2, 3]), 0.8);
	// x = 1,2,3; y = 1,1,2: concordant 2, tied in y 1 -> 2 / sqrt(3 * 2).
	close(kendallTauB([1, 2, 3], [1, 1, 2]), 2 / Math.sqrt(6));
	assert.ok(Number.isNaN(kendallTauB([1, 1, 1], [1, 2, 3])));
	assert.ok(Number.isNaN(kendallTauB([1], [1])));
});

test('Spearman uses average ranks, so it is exact with ties', () => {
	assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
	close(spearman([1, 5, 9, 100], [2, 3, 4, 5]), 1);
	// Ranks x: 1, 2.5, 2.5, 4; y: 1, 2, 3, 4 -> Pearson of those.
	close(spearman([1, 2, 2, 3], [1, 2, 3, 4]), pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4]));
	close(pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4]), 4.5 / Math.sqrt(4.5 * 5));
	assert.ok(Number.isNaN(spearman([2, 2], [1, 3])));
});

test('property: Kendall tau-b and Spearman are symmetric, bounded, and invariant to monotone maps', () => {
	let state = 7;
	const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 10;
	for (let trial = 0; trial < 100; trial++) {
		const n = 2 + (trial % 8);
		const x = Array.from({length: n}, () => Math.round(rand()));
		const y = Array.from({length: n}, () => Math.round(rand()));
		const tau = kendallTauB(x, y);
		if (Number.isNaN(tau)) continue;
		close(kendallTauB(y, x), tau);
		assert.ok(tau >= -1 && tau <= 1);
		close(kendallTauB(x.map(v => Math.exp(v)), y), tau);
		close(spearman(x.map(v => v ** 3), y), spearman(x, y), 1e-9);
	}
});
