import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	aggregateImportance,
	averageOverExamples,
	combineJudges,
	judgeAgreement,
	normaliseImportance,
} from '../../source/core/aggregate.js';

const closeAll = (actual: number[], expected: number[], tolerance = 1e-12) => {
	assert.equal(actual.length, expected.length);
	actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `[${i}] ${a} is not ${expected[i]}`));
};

test('averageOverExamples takes the per-segment mean over the minibatch', () => {
	assert.deepEqual(
		averageOverExamples([
			[1, 2, 3],
			[3, 4, 5],
		]),
		[2, 3, 4],
	);
	assert.deepEqual(averageOverExamples([]), []);
	assert.throws(() => averageOverExamples([[1], [1, 2]]), /segments/);
});

test('normalisation: l2 divides by the norm, loss by |loss|, none copies', () => {
	closeAll(normaliseImportance([3, -4], 'l2'), [0.6, -0.8]);
	assert.deepEqual(normaliseImportance([0, 0], 'l2'), [0, 0]);
	closeAll(normaliseImportance([1, -2], 'loss', 2), [0.5, -1]);
	// A negative r-weighted loss must not flip helps into hurts.
	closeAll(normaliseImportance([1, -2], 'loss', -2), [0.5, -1]);
	assert.deepEqual(normaliseImportance([1, -2], 'loss', 0), [1, -2]);
	assert.deepEqual(normaliseImportance([1, -2], 'none'), [1, -2]);
	assert.throws(() => normaliseImportance([1], 'loss'), /needs the judge's loss/);
});

test('aggregation across judges: mean, median, min and Borda by hand', () => {
	const judges = [
		[0.5, -0.2, 0.1],
		[0.3, 0.1, -0.4],
		[0.4, -0.1, 0.0],
	];
	closeAll(combineJudges(judges, 'mean'), [0.4, -0.2 / 3, -0.1]);
	closeAll(combineJudges(judges, 'median'), [0.4, -0.1, 0.0]);
	closeAll(combineJudges(judges, 'min'), [0.3, -0.2, -0.4]);
	// Ranks ascending per judge: [3,1,2], [3,2,1], [3,1,2] -> points rank-1 -> mean [2, 1/3, 2/3].
	closeAll(combineJudges(judges, 'borda'), [2, 1 / 3, 2 / 3]);
	// Ties share the average rank.
	closeAll(combineJudges([[1, 1, 0]], 'borda'), [1.5, 1.5, 0]);
});

test('agreement is Kendall tau between every pair of judges', () => {
	const agreement = judgeAgreement({a: [1, 2, 3], b: [10, 20, 30], c: [3, 2, 1]});
	assert.deepEqual(agreement, [
		{a: 'a', b: 'b', tau: 1},
		{a: 'a', b: 'c', tau: -1},
		{a: 'b', b: 'c', tau: -1},
	]);
	assert.deepEqual(judgeAgreement({only: [1, 2]}), []);
});

test('aggregateImportance: judges of different scale count equally after l2 normalisation', () => {
	const result = aggregateImportance({
		segmentIds: ['s1', 's2'],
		perJudge: {big: [300, -400], small: [0.003, 0.004]},
	});
	assert.deepEqual(result.segmentIds, ['s1', 's2']);
	assert.deepEqual(result.perJudge.big, [300, -400], 'raw per-judge values are kept');
	closeAll(result.normalised!.big, [0.6, -0.8]);
	closeAll(result.aggregate, [0.6, 0]);
	assert.equal(result.method, 'gradient');
	assert.equal(result.normalisation, 'l2');
	assert.equal(result.aggregation, 'mean');
	assert.equal(result.agreement.length, 1);
	assert.equal(result.agreement[0].tau, -1);
});

test('aggregateImportance with loss normalisation and the min aggregation', () => {
	const result = aggregateImportance({
		segmentIds: ['s1', 's2'],
		perJudge: {a: [2, -2], b: [1, 4]},
		losses: {a: 2, b: -4},
		normalisation: 'loss',
		aggregation: 'min',
		method: 'loo',
	});
	closeAll(result.aggregate, [0.25, -1]);
	assert.equal(result.method, 'loo');
	assert.throws(
		() => aggregateImportance({segmentIds: ['s1'], perJudge: {a: [1]}, normalisation: 'loss'}),
		/no loss for judge a/,
	);
	assert.throws(() => aggregateImportance({segmentIds: ['s1'], perJudge: {a: [1, 2]}}), /2 importances for 1/);
});
