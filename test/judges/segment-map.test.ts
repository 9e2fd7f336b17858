import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createFormatter, type RenderedText, type Span} from '../../source/judges/format.js';
import {parseJudgeConfig, type JudgeFormat} from '../../source/judges/judge-config.js';
import {encodeJudgeText, mapTokens} from '../../source/judges/segment-map.js';
import {tokenizerFromJson, type Offsets} from '../../source/judges/tokenizer.js';
import {byteLevelTokenizerJson, sentencePieceTokenizerJson} from './fixtures.js';

const byteLevel = tokenizerFromJson(await byteLevelTokenizerJson());

/** Spans of consecutive segments starting at `at`. */
function spansOf(segments: string[], at = 0): Span[] {
	return segments.map(s => {
		const span = {start: at, end: at + s.length};
		at += s.length;
		return span;
	});
}

function plain(template?: string, targetPrefix?: string): JudgeFormat {
	const parsed = parseJudgeConfig({name: 't', format: {type: 'plain', template, targetPrefix}});
	assert.ok(parsed.ok);
	return parsed.config.format;
}

test('a token straddling two segments goes to the one with more of its characters, ties to the earlier', () => {
	const text = 'abcdef';
	const segments = spansOf(['ab', 'cdef']);
	const offsets: Offsets[] = [
		[0, 1],
		[1, 4], // 1 in "ab", 2 in "cdef"
		[1, 3], // 1 and 1: tie
		[0, 6],
	];
	assert.deepEqual(mapTokens(text, offsets, segments).segment, [0, 1, 0, 1]);
});

test('characters are counted in code points, so an emoji weighs one', () => {
	const text = 'a😀';
	// "a" and "😀" are one character each: a tie, so the earlier segment wins although the emoji is two UTF-16 units.
	assert.deepEqual(mapTokens(text, [[0, 3]], spansOf(['a', '😀'])).segment, [0]);
	assert.deepEqual(mapTokens('😀ab', [[0, 3]], spansOf(['😀', 'ab'])).segment, [0]);
	assert.deepEqual(mapTokens('😀ab', [[0, 4]], spansOf(['😀', 'ab'])).segment, [1]);
});

test('empty segments own no tokens and keep their index', () => {
	const segments = spansOf(['ab', '', 'cd', '']);
	const offsets: Offsets[] = [
		[0, 2],
		[1, 3],
		[2, 2],
		[2, 4],
	];
	assert.deepEqual(mapTokens('abcd', offsets, segments).segment, [0, 0, -1, 2]);
});

test('text outside the prompt competes like a segment; zero-width tokens belong to nothing', () => {
	// "SYS: " template, then segments "Hi." and " Go", then template "\nIn".
	const text = 'SYS: Hi. Go\nIn';
	const segments = spansOf(['Hi.', ' Go'], 5);
	const offsets: Offsets[] = [
		[0, 5],
		[3, 6], // 2 template characters, 1 segment character
		[4, 7], // 1 template, 2 segment
		[10, 14], // "o" of the segment, "\nIn" of the template
		[7, 7],
	];
	assert.deepEqual(mapTokens(text, offsets, segments).segment, [-1, -1, 0, -1, -1]);
});

test('target tokens lie entirely inside the target span and are not empty', () => {
	const text = 'ctx: Paris';
	const target = {start: 4, end: 10};
	const offsets: Offsets[] = [
		[0, 4],
		[3, 5],
		[4, 10],
		[5, 10],
		[10, 10],
	];
	assert.deepEqual(mapTokens(text, offsets, [], target).target, [false, false, true, true, false]);
});

test('plain text maps prompt tokens to segments and scores the target with its leading space', async () => {
	const tokenizer = await byteLevel;
	const rendered = createFormatter({judge: 't', format: plain()}).render(['Hello', ' world'], 'x', 'Paris');
	const tokens = await encodeJudgeText(tokenizer, rendered);
	assert.equal(tokens.splitBoundary, false);
	assert.equal(await tokenizer.decode(tokens.targetIds), ' Paris');
	assert.equal(tokens.targetIds.length, 1);
	assert.deepEqual(tokens.contextSegments.slice(0, 2), [0, 1]);
	assert.ok(tokens.contextSegments.slice(2).every(s => s === -1));
	assert.equal(await tokenizer.decode([...tokens.contextIds, ...tokens.targetIds]), rendered.text);
});

test('a segment boundary inside a merged token gives the token to the segment with more of it', async () => {
	const tokenizer = await byteLevel;
	const formatter = createFormatter({judge: 't', format: plain()});
	const early = await encodeJudgeText(tokenizer, formatter.render(['Hello wor', 'ld'], 'x', 'y'));
	const late = await encodeJudgeText(tokenizer, formatter.render(['Hello w', 'orld'], 'x', 'y'));
	// " world" is one token: 4 of its 6 characters are in the first segment, then only 2.
	assert.deepEqual(early.contextSegments.slice(0, 2), [0, 0]);
	assert.deepEqual(late.contextSegments.slice(0, 2), [0, 1]);
	assert.ok(!early.contextSegments.includes(1), 'the short segment gets no token');
});

test('unicode and whitespace-only segments get exactly their tokens', async () => {
	const tokenizer = await byteLevel;
	const segments = ['Café 😀.', '\n\n', '日本 the', ' ', 'é!'];
	const rendered = createFormatter({judge: 't', format: plain()}).render(segments, 'ü', 'ok');
	for (const [k, span] of rendered.segments.entries()) {
		assert.equal(rendered.text.slice(span.start, span.end), segments[k]);
	}
	const tokens = await encodeJudgeText(tokenizer, rendered);
	for (const [k, segment] of segments.entries()) {
		const ids = tokens.contextIds.filter((_, i) => tokens.contextSegments[i] === k);
		assert.equal(await tokenizer.decode(ids), segment, `segment ${k}`);
	}
});

test('a merged context/target boundary is split: context and target are tokenised separately', async () => {
	const tokenizer = await byteLevel;
	// The template ends with a space and the target has no prefix: " Paris" would be one token across the boundary.
	const rendered = createFormatter({judge: 't', format: plain('{prompt} {input}\nOutput: ', '')}).render(
		['Hello'],
		'x',
		'Paris',
	);
	const tokens = await encodeJudgeText(tokenizer, rendered);
	assert.equal(tokens.splitBoundary, true);
	assert.equal(await tokenizer.decode(tokens.targetIds), 'Paris');
	assert.equal(await tokenizer.decode(tokens.contextIds), rendered.text.slice(0, rendered.target.start));
	assert.deepEqual(tokens.targetOffsets, [[rendered.target.start, rendered.target.end]]);
});

test('framing puts BOS before the context once and scores EOS after the target', async () => {
	const tokenizer = await byteLevel;
	const bos = tokenizer.tokenId('<s>')!;
	const eos = tokenizer.tokenId('</s>')!;
	const formatter = createFormatter({judge: 't', format: plain()});
	const tokens = await encodeJudgeText(tokenizer, formatter.render(['Hi'], 'x', 'y'), {prefix: [bos], suffix: [eos]});
	assert.equal(tokens.contextIds[0], bos);
	assert.equal(tokens.contextSegments[0], -1);
	assert.deepEqual(tokens.contextOffsets[0], [0, 0]);
	assert.equal(tokens.targetIds.at(-1), eos);
	assert.equal(tokens.contextIds.length, tokens.contextSegments.length);
	const rendered: RenderedText = formatter.render(['Hi'], 'x', 'y');
	rendered.text = `<s>${rendered.text}`;
	for (const span of [...rendered.segments, rendered.prompt, rendered.input, rendered.target]) {
		span.start += 3;
		span.end += 3;
	}
	const written = await encodeJudgeText(tokenizer, rendered, {prefix: [bos]});
	assert.equal(written.contextIds.filter(id => id === bos).length, 1, 'a BOS already in the text is not doubled');
});

test('a SentencePiece tokenizer maps segments and scores a target after "Output:"', async () => {
	const tokenizer = await tokenizerFromJson(sentencePieceTokenizerJson());
	const rendered = createFormatter({judge: 't', format: plain()}).render(['Hello', ' world'], 'x', 'Paris');
	const tokens = await encodeJudgeText(tokenizer, rendered, {prefix: tokenizer.specialPrefix});
	assert.equal(tokens.contextIds[0], 1);
	assert.equal(tokens.splitBoundary, false);
	assert.deepEqual(
		tokens.targetIds.map(id => tokenizer.tokenString(id)),
		['▁Paris'],
	);
	assert.deepEqual(tokens.contextSegments.slice(1, 3), [0, 1]);
});
