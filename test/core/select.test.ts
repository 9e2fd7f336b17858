import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isUserError} from '../../source/errors.js';
import {rankForEditing, selectSegments} from '../../source/core/select.js';
import {freezeSegments, segmentPrompt} from '../../source/core/segment.js';

const segments = segmentPrompt('A. B. C. D. E.');
const importance = {segmentIds: ['s1', 's2', 's3', 's4', 's5'], aggregate: [0.5, -0.3, 0.1, -0.3, 0.2]};

test('the most harmful segments come first, ties broken by position', () => {
	assert.deepEqual(selectSegments(segments, importance), ['s2', 's4']);
	assert.deepEqual(selectSegments(segments, importance, {m: 3}), ['s2', 's4', 's3']);
	assert.deepEqual(
		rankForEditing(segments, importance).map(r => r.id),
		['s2', 's4', 's3', 's5', 's1'],
	);
});

test('when nothing hurts, the least useful segments are chosen', () => {
	const allHelp = {segmentIds: importance.segmentIds, aggregate: [0.9, 0.2, 0.4, 0.1, 0.3]};
	assert.deepEqual(selectSegments(segments, allHelp), ['s4', 's2']);
});

test('frozen segments are never chosen, and m larger than the editable count gives them all', () => {
	const frozen = freezeSegments(segments, ['s2', 's4']);
	assert.deepEqual(selectSegments(frozen, importance), ['s3', 's5']);
	assert.deepEqual(selectSegments(frozen, importance, {m: 10}), ['s3', 's5', 's1']);
	assert.deepEqual(selectSegments(freezeSegments(segments, ['s1', 's2', 's3', 's4', 's5']), importance), []);
});

test('segments without a finite importance go last; segments not covered are skipped', () => {
	const partial = {segmentIds: ['s1', 's2', 's3'], aggregate: [Number.NaN, 0.2, 0.1]};
	assert.deepEqual(selectSegments(segments, partial, {m: 5}), ['s3', 's2', 's1']);
});

test('the user override replaces the choice, deduplicated, in the given order', () => {
	assert.deepEqual(selectSegments(segments, importance, {override: ['s5', 's1', 's5']}), ['s5', 's1']);
});

test('a bad override is a user error naming the segment', () => {
	assert.throws(
		() => selectSegments(segments, importance, {override: ['s9']}),
		(error: unknown) => isUserError(error) && /unknown segment "s9"/.test(error.message),
	);
	assert.throws(
		() => selectSegments(freezeSegments(segments, ['s1']), importance, {override: ['s1']}),
		/s1 is frozen/,
	);
	assert.throws(() => selectSegments(segments, importance, {override: []}), /at least one/);
	assert.throws(() => selectSegments(segments, importance, {m: 0}), /positive integer/);
});
