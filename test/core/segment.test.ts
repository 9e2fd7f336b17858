import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	freezeSegments,
	joinSegments,
	nextSegmentNumber,
	reId,
	segmentPrompt,
	type SegmentOptions,
} from '../../source/core/segment.js';
import {mulberry32} from '../../source/core/random.js';

const texts = (prompt: string, options?: SegmentOptions) => segmentPrompt(prompt, options).map(s => s.text);

test('sentences: whitespace after a sentence belongs to it, ids run s1..sK, origin is initial', () => {
	const segments = segmentPrompt('You are terse. Answer in one line!  Why? Because.');
	assert.deepEqual(
		segments.map(s => s.text),
		['You are terse. ', 'Answer in one line!  ', 'Why? ', 'Because.'],
	);
	assert.deepEqual(
		segments.map(s => s.id),
		['s1', 's2', 's3', 's4'],
	);
	assert.ok(segments.every(s => s.origin?.kind === 'initial'));
});

test('sentences: abbreviations, decimals, versions and list numbers do not end a sentence', () => {
	assert.deepEqual(texts('Use short words, e.g. yes or no. Rate it 3.5 out of 5. Use v1.2.3 here.'), [
		'Use short words, e.g. yes or no. ',
		'Rate it 3.5 out of 5. ',
		'Use v1.2.3 here.',
	]);
	assert.deepEqual(texts('Ask Dr. Smith. See Fig. 2 below. Cities i.e. Paris count. 1. Read. 2. Answer.'), [
		'Ask Dr. Smith. ',
		'See Fig. 2 below. ',
		'Cities i.e. Paris count. ',
		'1. Read. ',
		'2. Answer.',
	]);
});

test('sentences: ellipses split only before a new sentence, quotes stay with their sentence', () => {
	assert.deepEqual(texts('Wait... what is this? He paused... Then he left.'), [
		'Wait... what is this? ',
		'He paused... ',
		'Then he left.',
	]);
	assert.deepEqual(texts('He said "Stop." Then left. "Why?" she asked.'), [
		'He said "Stop." ',
		'Then left. ',
		'"Why?" she asked.',
	]);
	assert.deepEqual(texts('Done (mostly.) Next…  Last'), ['Done (mostly.) ', 'Next…  ', 'Last']);
});

test('sentences: newlines end segments and blank lines stay with the line before', () => {
	assert.deepEqual(texts('Rules:\n- be brief\n- be kind\n\nFormat: JSON'), [
		'Rules:\n',
		'- be brief\n',
		'- be kind\n\n',
		'Format: JSON',
	]);
	assert.deepEqual(texts('\n\nHello. World.\n'), ['\n\nHello. ', 'World.\n']);
	assert.deepEqual(texts('你好。世界！Hello.'), ['你好。', '世界！', 'Hello.']);
});

test('empty and whitespace-only prompts', () => {
	assert.deepEqual(texts(''), []);
	assert.deepEqual(texts('  \n '), ['  \n ']);
	assert.deepEqual(texts('  \n ', {mode: 'lines'}), ['  \n ']);
});

test('lines: each line with its newline, indentation kept, blank lines folded into the line before', () => {
	assert.deepEqual(texts('a\n\n  b\n  \nc\r\nd', {mode: 'lines'}), ['a\n\n', '  b\n  \n', 'c\r\n', 'd']);
	assert.deepEqual(texts('\nfirst\nsecond\n', {mode: 'lines'}), ['\nfirst\n', 'second\n']);
});

test('markers: the marker is removed and surrounding whitespace goes to the segment before', () => {
	assert.deepEqual(texts('A. || B.||C||||D|| ', {mode: 'markers'}), ['A.  ', 'B.', 'C', 'D ']);
	assert.deepEqual(texts('one ## two', {mode: 'markers', marker: '##'}), ['one  ', 'two']);
	assert.deepEqual(texts('no marker at all. Two sentences.', {mode: 'markers'}), ['no marker at all. Two sentences.']);
});

/** Random prompts from pieces that stress the splitter: enders, quotes, abbreviations, unicode, blank lines. */
function randomPrompt(seed: number): string {
	const rng = mulberry32(seed);
	const pieces = [
		'Hello', 'world', '.', '. ', '...', '…', '?', '!', '?!', ' ', '  ', '\n', '\n\n', '\r\n', '\t', 'e.g.', 'i.e.',
		'3.5', 'Dr.', '"', "'", '”', ')', '(', '1.', 'lowercase', 'Capital', '🙂', '👩‍💻', 'é', '日本語。', '||', '##',
		'Ünïcödé', ' . ', '\u00a0', '\u2028', '-', '*', 'x',
	];
	const length = Math.floor(rng() * 40);
	let out = '';
	for (let i = 0; i < length; i++) out += pieces[Math.floor(rng() * pieces.length)];
	return out;
}

test('property: segments join back to the exact prompt in every mode, and no segment is empty', () => {
	for (let seed = 1; seed <= 600; seed++) {
		const prompt = randomPrompt(seed);
		for (const mode of ['sentences', 'lines'] as const) {
			const segments = segmentPrompt(prompt, {mode});
			assert.equal(joinSegments(segments), prompt, `${mode} seed ${seed}: ${JSON.stringify(prompt)}`);
			assert.ok(segments.every(s => s.text !== ''), `empty segment, seed ${seed}`);
			const blank = segments.length > 1 && segments.some(s => s.text.trim() === '');
			assert.ok(!blank, `blank segment, seed ${seed}`);
		}
		const markers = segmentPrompt(prompt, {mode: 'markers'});
		assert.equal(joinSegments(markers), prompt.split('||').join(''), `markers seed ${seed}`);
	}
});

test('property: ids are s1..sK in order', () => {
	for (let seed = 1; seed <= 50; seed++) {
		const segments = segmentPrompt(randomPrompt(seed));
		assert.deepEqual(
			segments.map(s => s.id),
			segments.map((_, i) => `s${i + 1}`),
		);
	}
});

test('reId, nextSegmentNumber, firstId and freezeSegments', () => {
	const segments = segmentPrompt('A. B. C.', {firstId: 5});
	assert.deepEqual(
		segments.map(s => s.id),
		['s5', 's6', 's7'],
	);
	assert.equal(nextSegmentNumber(segments), 8);
	assert.equal(nextSegmentNumber([]), 1);
	assert.deepEqual(
		reId(segments).map(s => s.id),
		['s1', 's2', 's3'],
	);
	const frozen = freezeSegments(segments, ['s6']);
	assert.deepEqual(
		frozen.map(s => Boolean(s.frozen)),
		[false, true, false],
	);
	assert.equal(segments[1].frozen, undefined, 'input not mutated');
	assert.throws(() => freezeSegments(segments, ['s9']), /unknown segment s9/);
});
