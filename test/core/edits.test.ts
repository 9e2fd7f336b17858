import assert from 'node:assert/strict';
import {test} from 'node:test';
import {applyEdits, validateEdits, type EditContext} from '../../source/core/edits.js';
import {freezeSegments, joinSegments, segmentPrompt} from '../../source/core/segment.js';
import type {Edit, Segment} from '../../source/core/types.js';
import {mulberry32} from '../../source/core/random.js';

const context: EditContext = {round: 3, candidateId: 'c2', nextId: 10};

function apply(prompt: string, edits: Edit[], extra: Partial<EditContext> = {}, segments = segmentPrompt(prompt)) {
	const result = applyEdits(segments, edits, {...context, ...extra});
	if (!result.ok) assert.fail(result.errors.join('; '));
	return result;
}

test('replace keeps the id and the original trailing whitespace, and records its lineage', () => {
	const result = apply('Be nice. Be brief.\n\nUse JSON.', [{segment: 's2', op: 'replace', text: 'Be very brief.'}]);
	assert.equal(joinSegments(result.segments), 'Be nice. Be very brief.\n\nUse JSON.');
	assert.equal(result.segments[1].id, 's2');
	assert.deepEqual(result.segments[1].origin, {kind: 'edit', round: 3, candidateId: 'c2', op: 'replace'});
	assert.deepEqual(result.segments[0].origin, {kind: 'initial'});
	assert.equal(result.nextId, 10, 'a replace takes no new id');
});

test('replace text that brings its own whitespace keeps it', () => {
	const result = apply('A. B. C.', [{segment: 's2', op: 'replace', text: 'New paragraph.\n\n'}]);
	assert.equal(joinSegments(result.segments), 'A. New paragraph.\n\nC.');
	const first = apply('  A. B.', [{segment: 's1', op: 'replace', text: 'Z.'}]);
	assert.equal(joinSegments(first.segments), '  Z. B.', 'leading whitespace of the prompt kept');
});

test('delete in the middle, at the start and at the end keeps the prompt well-formed', () => {
	assert.equal(joinSegments(apply('A. B. C.', [{segment: 's2', op: 'delete'}]).segments), 'A. C.');
	assert.equal(joinSegments(apply('A. B. C.', [{segment: 's3', op: 'delete'}]).segments), 'A. B.');
	assert.equal(joinSegments(apply('A. B. C.\n', [{segment: 's3', op: 'delete'}]).segments), 'A. B.\n');
	assert.equal(joinSegments(apply('  A. B.', [{segment: 's1', op: 'delete'}]).segments), '  B.');
	const lines = segmentPrompt('one\ntwo\nthree', {mode: 'lines'});
	assert.equal(joinSegments(apply('', [{segment: 's3', op: 'delete'}], {}, lines).segments), 'one\ntwo');
});

test('insert_after gets a fresh id, takes over the anchor whitespace, and advances the counter', () => {
	const result = apply('A. B.', [
		{segment: 's1', op: 'insert_after', text: 'X.'},
		{segment: 's1', op: 'insert_after', text: 'Y.'},
	]);
	assert.equal(joinSegments(result.segments), 'A. X. Y. B.');
	assert.deepEqual(
		result.segments.map(s => s.id),
		['s1', 's10', 's11', 's2'],
	);
	assert.equal(result.nextId, 12);
	assert.deepEqual(result.segments[1].origin, {kind: 'edit', round: 3, candidateId: 'c2', op: 'insert_after'});
	const stale = apply('A. B.', [{segment: 's1', op: 'insert_after', text: 'X.'}], {nextId: 2});
	assert.deepEqual(
		stale.segments.map(s => s.id),
		['s1', 's3', 's2'],
		'a stale counter does not reuse s2',
	);
});

test('insert_after the last segment borrows a separator; lines use the newline', () => {
	assert.equal(joinSegments(apply('A. B.', [{segment: 's2', op: 'insert_after', text: 'X.'}]).segments), 'A. B. X.');
	const lines = segmentPrompt('one\ntwo', {mode: 'lines'});
	const result = apply('', [{segment: 's2', op: 'insert_after', text: 'three'}], {}, lines);
	assert.equal(joinSegments(result.segments), 'one\ntwo\nthree');
	const single = apply('Only.', [{segment: 's1', op: 'insert_after', text: 'More.'}], {separator: '\n'});
	assert.equal(joinSegments(single.segments), 'Only.\nMore.');
	const paragraph = apply('A.\n\nB.', [{segment: 's1', op: 'insert_after', text: 'X.'}]);
	assert.equal(joinSegments(paragraph.segments), 'A.\n\nX.\n\nB.');
});

test('markers without whitespace get one around an inserted segment', () => {
	const segments = segmentPrompt('A||B', {mode: 'markers'});
	const result = apply('', [{segment: 's1', op: 'insert_after', text: 'X'}], {}, segments);
	assert.equal(joinSegments(result.segments), 'A X B');
});

test('a frozen anchor is never changed: the separator goes before the inserted text', () => {
	const segments = freezeSegments(segmentPrompt('A. B.'), ['s2']);
	const result = apply('', [{segment: 's2', op: 'insert_after', text: 'X.'}], {}, segments);
	assert.equal(result.segments[1].text, 'B.');
	assert.equal(joinSegments(result.segments), 'A. B. X.');
});

test('replace + delete + insert in one candidate; inputs are not mutated', () => {
	const segments = segmentPrompt('A. B. C. D.');
	const before = JSON.stringify(segments);
	const result = apply(
		'',
		[
			{segment: 's4', op: 'delete'},
			{segment: 's1', op: 'replace', text: 'Alpha.'},
			{segment: 's2', op: 'insert_after', text: 'Beta.'},
		],
		{},
		segments,
	);
	assert.equal(joinSegments(result.segments), 'Alpha. B. Beta. C.');
	assert.equal(JSON.stringify(segments), before);
});

test('inserting after a deleted segment fills its place', () => {
	const result = apply('A. B. C.', [
		{segment: 's3', op: 'delete'},
		{segment: 's3', op: 'insert_after', text: 'Z.'},
	]);
	assert.equal(joinSegments(result.segments), 'A. B. Z.');
});

test('validation names the edit and the problem', () => {
	const segments = freezeSegments(segmentPrompt('A. B.'), ['s1']);
	const problems = (edits: Edit[]) => validateEdits(segments, edits);
	assert.deepEqual(problems([{segment: 's9', op: 'delete'}]), ['edit 1: unknown segment "s9"']);
	assert.deepEqual(problems([{segment: 's1', op: 'replace', text: 'Z.'}]), ['edit 1: segment s1 is frozen']);
	assert.deepEqual(problems([{segment: 's2', op: 'replace', text: '  '}]), [
		'edit 1: the replacement text for s2 is empty',
	]);
	assert.deepEqual(problems([{segment: 's2', op: 'replace', text: 'B.'}]), [
		'edit 1: the replacement text for s2 is the same as the segment',
	]);
	assert.deepEqual(problems([{segment: 's2', op: 'insert_after'}]), ['edit 1: the text to insert after s2 is empty']);
	assert.deepEqual(
		problems([
			{segment: 's2', op: 'delete'},
			{segment: 's2', op: 'replace', text: 'C.'},
		]),
		['edit 2: segment s2 is already changed by edit 1'],
	);
	assert.deepEqual(problems([{segment: 's2', op: 'rewrite' as Edit['op']}]), [
		'edit 1: unknown op "rewrite" (expected replace, delete or insert_after)',
	]);
	assert.deepEqual(problems([]), ['no edits']);
	const one = segmentPrompt('Only.');
	assert.deepEqual(validateEdits(one, [{segment: 's1', op: 'delete'}]), ['deleting s1 would leave the prompt empty']);
	const result = applyEdits(one, [{segment: 's1', op: 'delete'}], context);
	assert.equal(result.ok, false);
});

test('property: random valid edits keep every segment non-empty, ids unique and whitespace sane', () => {
	const prompts = ['You are terse. Answer yes or no. Explain nothing.', 'Rules:\n- one\n- two\n\nEnd.', 'A. ||B. ||C.'];
	for (let seed = 1; seed <= 300; seed++) {
		const rng = mulberry32(seed);
		const prompt = prompts[seed % prompts.length];
		const mode = prompt.includes('||') ? 'markers' : 'sentences';
		const segments: Segment[] = segmentPrompt(prompt, {mode});
		const edits: Edit[] = [];
		for (const s of segments) {
			const roll = rng();
			if (roll < 0.25) edits.push({segment: s.id, op: 'replace', text: `R${seed}.`});
			else if (roll < 0.45) edits.push({segment: s.id, op: 'delete'});
			if (rng() < 0.3) edits.push({segment: s.id, op: 'insert_after', text: `I${seed}.`});
		}
		const result = applyEdits(segments, edits, {...context, nextId: 100});
		if (!result.ok) {
			assert.ok(edits.length === 0 || result.errors.some(e => /empty/.test(e)), result.errors.join('; '));
			continue;
		}
		const ids = result.segments.map(s => s.id);
		assert.equal(new Set(ids).size, ids.length, `duplicate ids, seed ${seed}`);
		const joined = joinSegments(result.segments);
		assert.ok(result.segments.every(s => s.text.trim() !== ''), `blank segment, seed ${seed}`);
		assert.ok(!/\S[RI]\d/.test(joined), `edit glued to the text before, seed ${seed}: ${JSON.stringify(joined)}`);
		assert.ok(!/[RI]\d+\.\S/.test(joined), `edit glued to the text after, seed ${seed}: ${JSON.stringify(joined)}`);
		assert.equal(joined.trimEnd(), joined, `trailing whitespace appeared, seed ${seed}: ${JSON.stringify(joined)}`);
	}
});
