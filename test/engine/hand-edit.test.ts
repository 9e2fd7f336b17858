import assert from 'node:assert/strict';
import {test} from 'node:test';
import {joinSegments, segmentPrompt} from '../../source/core/segment.js';
import {editPrompt, editSegment} from '../../source/engine/hand-edit.js';

const segments = () => segmentPrompt('One. Two. Three.').map((s, i) => (i === 2 ? {...s, frozen: true} : s));

test('a whole new prompt keeps the identity of the segments left alone', () => {
	const result = editPrompt(segments(), 'One. Two and a half. Three.', {round: 2, nextId: 7, mode: 'sentences', marker: '||'});
	assert.equal(joinSegments(result.segments), 'One. Two and a half. Three.');
	assert.deepEqual(
		result.segments.map(s => [s.id, s.frozen ?? false, s.origin?.kind]),
		[
			['s1', false, 'initial'],
			['s7', false, 'edit'],
			['s3', true, 'initial'],
		],
	);
	assert.deepEqual(result.segments[1].origin, {kind: 'edit', round: 2, candidateId: 'user', op: 'replace'});
});

test('a whole new prompt may not change a frozen segment, nor be empty', () => {
	assert.throws(() => editPrompt(segments(), 'One. Two. Four.', {round: 1, nextId: 4, mode: 'sentences', marker: '||'}), {
		message: /segment s3 is frozen and the new prompt changes it/,
	});
	assert.throws(() => editPrompt(segments(), '  ', {round: 1, nextId: 4, mode: 'sentences', marker: '||'}), {message: /empty/});
});

test('editing one segment replaces it; an empty text deletes it; frozen and unknown segments are refused', () => {
	const edited = editSegment(segments(), 's2', 'Deux.', {round: 1, nextId: 4});
	assert.equal(joinSegments(edited.segments), 'One. Deux. Three.');
	assert.deepEqual(edited.edits, [{segment: 's2', op: 'replace', text: 'Deux.', rationale: 'edited by hand'}]);
	const deleted = editSegment(segments(), 's1', '', {round: 1, nextId: 4});
	assert.equal(joinSegments(deleted.segments), 'Two. Three.');
	assert.throws(() => editSegment(segments(), 's3', 'Trois.', {round: 1, nextId: 4}), {message: /frozen/});
	assert.throws(() => editSegment(segments(), 's9', 'x', {round: 1, nextId: 4}), {message: /unknown segment "s9"/});
});
