import assert from 'node:assert/strict';
import {test} from 'node:test';
import {decide, LOSS_EPSILON, relativeImprovement} from '../../source/core/accept.js';

const close = (actual: number, expected: number) =>
	assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

test('relative improvement: positive means lower loss, also when the current loss is negative', () => {
	close(relativeImprovement(2, 1.5), 0.25);
	close(relativeImprovement(2, 2.5), -0.25);
	// An r-weighted loss of -2 going to -3 is an improvement.
	close(relativeImprovement(-2, -3), 0.5);
	close(relativeImprovement(-2, -1), -0.5);
	// Near zero the ratio would explode: the plain difference is used.
	close(relativeImprovement(0, -0.1), 0.1);
	close(relativeImprovement(LOSS_EPSILON / 2, 0), LOSS_EPSILON / 2);
});

const current = {a: 2, b: 4, held: 1};
const candidates = [
	{id: 'c1', losses: {a: 1.8, b: 3.0, held: 1.2}}, // r: a 0.1, b 0.25, held -0.2
	{id: 'c2', losses: {a: 1.0, b: 4.4, held: 0.5}}, // r: a 0.5, b -0.1, held 0.5
	{id: 'c3', losses: {a: 2.2, b: 4.4, held: 0.9}}, // r: a -0.1, b -0.1, held 0.1
];

test('mean aggregation over the selection judges; held-out judges reported but not deciding', () => {
	const d = decide({current, candidates, heldout: ['held']});
	assert.deepEqual(d.selection, ['a', 'b']);
	assert.deepEqual(d.heldout, ['held']);
	assert.deepEqual(
		d.candidates.map(c => c.id),
		['c2', 'c1', 'c3'],
	);
	close(d.candidates[0].aggregate, 0.2);
	close(d.candidates[1].aggregate, 0.175);
	close(d.candidates[0].improvement.held, 0.5);
	assert.deepEqual(
		d.candidates.map(c => c.rank),
		[1, 2, 3],
	);
	assert.equal(d.best, 'c2');
	assert.equal(d.accept, true);
	assert.equal(d.unanimous, false, 'judge b prefers c1');
	assert.deepEqual(d.perJudge, {a: ['c2', 'c1', 'c3'], b: ['c1', 'c2', 'c3'], held: ['c2', 'c3', 'c1']});
});

test('the held-out judge cannot change the decision', () => {
	const base = decide({current, candidates, heldout: ['held']});
	const skewed = decide({
		current,
		candidates: candidates.map(c => ({...c, losses: {...c.losses, held: c.id === 'c3' ? 0 : 100}})),
		heldout: ['held'],
	});
	assert.deepEqual(
		skewed.candidates.map(c => c.id),
		base.candidates.map(c => c.id),
	);
	assert.equal(skewed.best, base.best);
});

test('min aggregation is the worst case and picks the robust candidate', () => {
	const d = decide({current, candidates, heldout: ['held'], aggregation: 'min'});
	assert.equal(d.best, 'c1');
	close(d.candidates[0].aggregate, 0.1);
	assert.equal(d.accept, true);
});

test('median aggregation', () => {
	const d = decide({current, candidates, aggregation: 'median'});
	// All three judges: c1 [0.1, 0.25, -0.2] -> 0.1; c2 [0.5, -0.1, 0.5] -> 0.5; c3 [-0.1, -0.1, 0.1] -> -0.1.
	assert.deepEqual(
		d.candidates.map(c => c.id),
		['c2', 'c1', 'c3'],
	);
	close(d.candidates[0].aggregate, 0.5);
});

test('borda ranks by points and accepts on the mean improvement', () => {
	const d = decide({current, candidates, heldout: ['held'], aggregation: 'borda'});
	// Points (N - rank, ties share): a: c2 2, c1 1, c3 0; b: c1 2, and c2, c3 tie at 0.5 each.
	close(d.candidates.find(c => c.id === 'c1')!.score, 1.5);
	close(d.candidates.find(c => c.id === 'c2')!.score, 1.25);
	close(d.candidates.find(c => c.id === 'c3')!.score, 0.25);
	assert.equal(d.best, 'c1');
	close(d.candidates[0].aggregate, 0.175);
	assert.equal(d.accept, true);
});

test('the threshold decides acceptance; ties keep generation order', () => {
	const d = decide({current, candidates, heldout: ['held'], threshold: 0.25});
	assert.equal(d.best, 'c2');
	assert.equal(d.accept, false);
	const tied = decide({current: {a: 1}, candidates: [{id: 'x', losses: {a: 0.5}}, {id: 'y', losses: {a: 0.5}}]});
	assert.deepEqual(
		tied.candidates.map(c => c.id),
		['x', 'y'],
	);
	assert.equal(tied.unanimous, true);
});

test('unanimous when every selection judge rates the best candidate highest', () => {
	const d = decide({current, candidates: candidates.slice(1), heldout: ['held']});
	assert.equal(d.best, 'c2');
	assert.equal(d.unanimous, true);
});

test('nothing to choose from, and an all-worse round', () => {
	const none = decide({current, candidates: []});
	assert.equal(none.best, undefined);
	assert.equal(none.accept, false);
	assert.equal(none.unanimous, false);
	const worse = decide({current: {a: 1}, candidates: [{id: 'c1', losses: {a: 1.5}}]});
	assert.equal(worse.best, 'c1');
	assert.equal(worse.accept, false);
});

test('a candidate with a NaN loss ranks last and is never accepted', () => {
	const d = decide({current: {a: 1}, candidates: [{id: 'bad', losses: {a: Number.NaN}}, {id: 'ok', losses: {a: 2}}]});
	assert.deepEqual(
		d.candidates.map(c => c.id),
		['ok', 'bad'],
	);
	const only = decide({current: {a: 1}, candidates: [{id: 'bad', losses: {a: Number.NaN}}]});
	assert.equal(only.accept, false);
});

test('near-zero current losses are flagged; configuration mistakes throw', () => {
	assert.deepEqual(decide({current: {a: 0, b: 1}, candidates: []}).absolute, ['a']);
	assert.throws(() => decide({current: {a: 1}, candidates: [], heldout: ['a']}), /no judge left/);
	assert.throws(() => decide({current: {a: 1}, candidates: [], selection: ['a'], heldout: ['a']}), /both held out/);
	assert.throws(() => decide({current: {a: 1}, candidates: [{id: 'c', losses: {}}]}), /no loss for judge a on/);
	assert.throws(() => decide({current: {}, candidates: [], selection: ['a']}), /no current loss for judge a/);
});

test("normalisation 'none' ranks by the loss decrease in nats/token: a judge near zero loss no longer dominates", () => {
	// a: 0.002 -> 0.001 is -50% relative but only 0.001 nats/token; b: 2.0 -> 2.1 is +0.1 nats/token worse.
	const input = {current: {a: 0.002, b: 2}, candidates: [{id: 'c1', losses: {a: 0.001, b: 2.1}}, {id: 'c2', losses: {a: 0.002, b: 1.99}}]};
	const relative = decide(input);
	assert.equal(relative.best, 'c1', 'relative changes: the near-zero judge decides');
	assert.equal(relative.normalisation, 'loss');
	const plain = decide({...input, normalisation: 'none'});
	assert.equal(plain.normalisation, 'none');
	assert.equal(plain.best, 'c2');
	assert.ok(Math.abs(plain.candidates[0].aggregate - 0.005) < 1e-12, 'mean of 0 and 0.01 nats/token');
	assert.ok(Math.abs(plain.candidates[1].improvement.b + 0.1) < 1e-12);
	assert.deepEqual(plain.absolute, ['a', 'b']);
	assert.equal(plain.accept, true);
});
