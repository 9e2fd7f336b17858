import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	deriveSeed,
	minibatch,
	mulberry32,
	randomInt,
	rngFor,
	sampleMinibatch,
	shuffle,
} from '../../source/core/random.js';

test('mulberry32 is deterministic, in [0, 1), and differs across seeds', () => {
	const a = mulberry32(42);
	const b = mulberry32(42);
	const xs = Array.from({length: 1000}, () => a());
	assert.deepEqual(
		xs,
		Array.from({length: 1000}, () => b()),
	);
	assert.ok(xs.every(x => x >= 0 && x < 1));
	assert.notEqual(mulberry32(1)(), mulberry32(2)());
	const average = xs.reduce((s, x) => s + x, 0) / xs.length;
	assert.ok(Math.abs(average - 0.5) < 0.05, `mean ${average}`);
});

test('deriveSeed depends on every part and on their types', () => {
	assert.equal(deriveSeed(1, 'minibatch', 2), deriveSeed(1, 'minibatch', 2));
	assert.notEqual(deriveSeed(1, 'minibatch', 2), deriveSeed(1, 'minibatch', 3));
	assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
	assert.notEqual(deriveSeed(1), deriveSeed('1'));
	assert.ok(Number.isInteger(deriveSeed('x')) && deriveSeed('x') >= 0 && deriveSeed('x') < 2 ** 32);
	assert.equal(rngFor('a', 1)(), rngFor('a', 1)());
});

test('randomInt stays in range and rejects bad bounds', () => {
	const rng = mulberry32(3);
	const seen = new Set<number>();
	for (let i = 0; i < 200; i++) {
		const x = randomInt(rng, 5);
		assert.ok(Number.isInteger(x) && x >= 0 && x < 5);
		seen.add(x);
	}
	assert.equal(seen.size, 5);
	assert.throws(() => randomInt(rng, 0), /positive integer/);
});

test('shuffle is a seeded permutation that leaves the input alone', () => {
	const items = Array.from({length: 20}, (_, i) => i);
	const shuffled = shuffle(items, mulberry32(9));
	assert.deepEqual(
		[...shuffled].sort((a, b) => a - b),
		items,
	);
	assert.notDeepEqual(shuffled, items);
	assert.deepEqual(shuffle(items, mulberry32(9)), shuffled);
	assert.deepEqual(
		items,
		Array.from({length: 20}, (_, i) => i),
	);
	assert.deepEqual(shuffle([], mulberry32(1)), []);
});

test('minibatches are reproducible per (seed, round) and vary across rounds', () => {
	const first = sampleMinibatch(100, 8, 7, 1);
	assert.deepEqual(sampleMinibatch(100, 8, 7, 1), first);
	assert.equal(new Set(first).size, 8);
	assert.ok(first.every(i => Number.isInteger(i) && i >= 0 && i < 100));
	assert.deepEqual(
		first,
		[...first].sort((a, b) => a - b),
	);
	assert.notDeepEqual(sampleMinibatch(100, 8, 7, 2), first);
	assert.notDeepEqual(sampleMinibatch(100, 8, 8, 1), first);
	assert.deepEqual(sampleMinibatch(3, 8, 7, 1), [0, 1, 2]);
	assert.deepEqual(sampleMinibatch(0, 8, 7, 1), []);
	assert.deepEqual(minibatch(['a', 'b', 'c', 'd'], 4, 1, 1), ['a', 'b', 'c', 'd']);
	assert.equal(minibatch(['a', 'b', 'c', 'd'], 2, 1, 1).length, 2);
	assert.throws(() => sampleMinibatch(10, 0, 1, 1), /positive/);
});

test('over many rounds every example is drawn, roughly equally often', () => {
	const counts = new Array<number>(20).fill(0);
	for (let round = 1; round <= 500; round++) for (const i of sampleMinibatch(20, 5, 3, round)) counts[i]++;
	// Expected 125 each.
	assert.ok(
		counts.every(c => c > 80 && c < 170),
		counts.join(','),
	);
});
