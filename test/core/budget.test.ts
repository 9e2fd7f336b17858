import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Budget} from '../../source/core/budget.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
	let now = start;
	return {now: () => now, advance: (ms: number) => void (now += ms)};
}

test('an unlimited budget is never exhausted', () => {
	const clock = fakeClock();
	const budget = new Budget({}, {now: clock.now});
	budget.spend({rounds: 1000, generatorTokens: 1e9, judgePasses: 1e6});
	clock.advance(1e9);
	assert.equal(budget.exhausted(), false);
	assert.equal(budget.reason(), undefined);
	assert.deepEqual(budget.remaining(), {});
});

test('rounds: exhausted once the limit is reached, with a reason', () => {
	const budget = new Budget({rounds: 2}, {now: fakeClock().now});
	budget.spend({rounds: 1});
	assert.equal(budget.exhausted(), false);
	assert.deepEqual(budget.remaining(), {rounds: 1});
	budget.spend({rounds: 1});
	assert.equal(budget.exhausted(), true);
	assert.equal(budget.reason(), 'round budget reached (2/2 rounds)');
});

test('generator tokens and judge passes', () => {
	const budget = new Budget({generatorTokens: 10_000, judgePasses: 50}, {now: fakeClock().now});
	budget.spend({generatorTokens: 6000, judgePasses: 20});
	assert.equal(budget.exhausted(), false);
	budget.spend({judgePasses: 30});
	assert.equal(budget.reason(), 'judge pass budget reached (50/50 passes)');
	budget.spend({generatorTokens: 6500});
	assert.equal(budget.reason(), 'generator token budget reached (12,500/10,000 tokens)');
	assert.deepEqual(budget.remaining(), {generatorTokens: 0, judgePasses: 0});
});

test('wall time comes from the injected clock', () => {
	const clock = fakeClock();
	const budget = new Budget({wallTimeMs: 10 * 60_000}, {now: clock.now});
	clock.advance(9 * 60_000);
	assert.equal(budget.exhausted(), false);
	assert.equal(budget.spent().wallTimeMs, 9 * 60_000);
	clock.advance(63_000);
	assert.equal(budget.reason(), 'time budget reached (10m 03s of 10m 00s)');
});

test('a resumed budget continues from what was spent', () => {
	const clock = fakeClock();
	const first = new Budget({rounds: 5, wallTimeMs: 3_600_000}, {now: clock.now});
	first.spend({rounds: 3, generatorTokens: 100});
	clock.advance(1_800_000);
	const saved = first.spent();
	assert.deepEqual(saved, {rounds: 3, generatorTokens: 100, judgePasses: 0, wallTimeMs: 1_800_000});
	const resumed = new Budget({rounds: 5, wallTimeMs: 3_600_000}, {now: clock.now, spent: saved});
	clock.advance(1_800_000);
	assert.equal(resumed.reason(), 'time budget reached (1h 00m of 1h 00m)');
	resumed.spend({rounds: 2});
	assert.equal(resumed.reason(), 'round budget reached (5/5 rounds)');
});

test('bad amounts and limits are bugs', () => {
	assert.throws(() => new Budget({rounds: -1}), /rounds must be >= 0/);
	assert.throws(() => new Budget({}, {spent: {judgePasses: Number.NaN}}), /judgePasses/);
	const budget = new Budget({});
	assert.throws(() => budget.spend({rounds: -1}), /cannot spend -1 rounds/);
	assert.throws(() => budget.spend({generatorTokens: Number.POSITIVE_INFINITY}), /cannot spend/);
});
