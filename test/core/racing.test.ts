import assert from 'node:assert/strict';
import {test} from 'node:test';
import {DEFAULT_RACING, keepCount, racingCost, racingRungs} from '../../source/core/racing.js';
import {taskSchema} from '../../source/core/task.js';

const on = (firstRung: number, survivors: number) => ({enabled: true, firstRung, survivors});

test('rungs halve the batch down to the first rung, no more often than the field needs', () => {
	// 12 candidates to 2 survivors needs 3 halvings; a first rung of 2 in a batch of 8 allows 2 (2, 4).
	assert.deepEqual(racingRungs(8, 12, on(2, 2)), [2, 4]);
	assert.deepEqual(racingRungs(8, 12, on(1, 2)), [1, 2, 4]);
	// 4 candidates to 2 survivors: one halving, at half the batch.
	assert.deepEqual(racingRungs(8, 4, on(1, 2)), [4]);
	assert.deepEqual(racingRungs(12, 12, on(2, 2)), [2, 3, 6]);
	assert.deepEqual(racingRungs(3, 12, on(2, 2)), [2]);
	assert.deepEqual(racingRungs(8, 2, on(1, 2)), [], 'nobody to drop');
	assert.deepEqual(racingRungs(2, 12, on(2, 2)), [], 'no rung smaller than the batch');
	assert.deepEqual(racingRungs(8, 12, {...on(1, 2), enabled: false}), []);
});

test('the better half goes on, never fewer than the survivors; the cost counts each example once per candidate', () => {
	assert.equal(keepCount(12, on(2, 2)), 6);
	assert.equal(keepCount(5, on(2, 2)), 3);
	assert.equal(keepCount(3, on(2, 2)), 2);
	assert.equal(keepCount(3, on(2, 4)), 3);
	// 12 x 2 + 6 x 2 + 3 x 4 = 48 example-scorings per judge, against 96 without racing.
	assert.equal(racingCost(8, 12, on(2, 2)), 48);
	assert.equal(racingCost(8, 12, on(1, 2)), 12 + 6 + 3 * 2 + 2 * 4);
	assert.equal(racingCost(8, 12, {...on(1, 2), enabled: false}), 96);
});

test('the task\'s racing is true, false or an object, always read as the object', () => {
	const base = {name: 't', prompt: 'p', data: {train: [{input: 'a', target: 'b'}], test: [{input: 'a', target: 'b'}]}};
	assert.deepEqual(taskSchema.parse(base).racing, DEFAULT_RACING);
	assert.deepEqual(taskSchema.parse({...base, racing: false}).racing, {...DEFAULT_RACING, enabled: false});
	assert.deepEqual(taskSchema.parse({...base, racing: {firstRung: 1}}).racing, {...DEFAULT_RACING, firstRung: 1});
	// A snapshot (the object) reads back the same.
	const parsed = taskSchema.parse({...base, racing: {survivors: 3}});
	assert.deepEqual(taskSchema.parse({...base, racing: parsed.racing}).racing, parsed.racing);
	assert.equal(taskSchema.safeParse({...base, racing: {firstRung: 0}}).success, false);
	assert.equal(taskSchema.safeParse({...base, racing: {rungs: 3}}).success, false);
});
