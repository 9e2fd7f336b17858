import assert from 'node:assert/strict';
import {test} from 'node:test';
import {codePointToUtf16Offsets, tokenizerFromJson} from '../../source/judges/tokenizer.js';
import {byteLevelTokenizerJson, sentencePieceTokenizerJson} from './fixtures.js';

const byteLevel = tokenizerFromJson(await byteLevelTokenizerJson());
const sentencePiece = tokenizerFromJson(sentencePieceTokenizerJson());

test('code-point offsets become UTF-16 offsets after astral characters only', () => {
	const text = 'a😀b𝄞c';
	// Code points: a=0 😀=1 b=2 𝄞=3 c=4; UTF-16: a=0 😀=1..3 b=3 𝄞=4..6 c=6.
	assert.deepEqual(
		codePointToUtf16Offsets(text, [
			[0, 1],
			[1, 2],
			[2, 3],
			[3, 4],
			[4, 5],
			[0, 5],
		]),
		[
			[0, 1],
			[1, 3],
			[3, 4],
			[4, 6],
			[6, 7],
			[0, 7],
		],
	);
	assert.deepEqual(codePointToUtf16Offsets('héllo', [[1, 2]]), [[1, 2]]);
	assert.deepEqual(codePointToUtf16Offsets('ab', [[1, 9]]), [[1, 2]], 'clamped to the text');
});

test('byte-level offsets cover accented, emoji and CJK text in UTF-16 units', async () => {
	const tokenizer = await byteLevel;
	const text = 'héllo 😀 wörld 日本 café 😀😀!';
	const {ids, offsets} = await tokenizer.encode(text);
	assert.equal(ids.length, offsets.length);
	// Every byte token of a character carries the whole character's span, so slices are whole characters.
	for (const [start, end] of offsets) {
		const slice = text.slice(start, end);
		assert.ok(slice.length > 0 && slice.isWellFormed(), `bad slice ${JSON.stringify(slice)} at ${start}..${end}`);
	}
	// Tokens whose bytes form whole characters decode to exactly their slice of the text.
	let checked = 0;
	for (const [i, id] of ids.entries()) {
		const decoded = await tokenizer.decode([id]);
		// A lone byte of a multi-byte character decodes to U+FFFD; only whole characters can be compared.
		if (!decoded.includes('\uFFFD')) {
			assert.equal(decoded, text.slice(offsets[i]![0], offsets[i]![1]));
			checked++;
		}
	}
	assert.ok(checked > 10);
	// The merged emoji is one token spanning two UTF-16 units.
	const emojiAt = text.indexOf('😀');
	const emojiTokens = offsets.filter(([s]) => s === emojiAt);
	assert.deepEqual(emojiTokens, [[emojiAt, emojiAt + 2]]);
	// Spans are in order and end at the end of the text.
	assert.equal(offsets.at(-1)![1], text.length);
	assert.equal(await tokenizer.decode(ids), text);
});

test('special tokens written in the text are recognised, and the post-processor adds none unless asked', async () => {
	const tokenizer = await byteLevel;
	const start = tokenizer.tokenId('<|im_start|>');
	assert.notEqual(start, undefined);
	const {ids, offsets} = await tokenizer.encode('<|im_start|>user');
	assert.equal(ids[0], start);
	assert.deepEqual(offsets[0], [0, 12]);
	assert.deepEqual(tokenizer.specialPrefix, []);
	assert.deepEqual(tokenizer.specialSuffix, []);
	assert.equal(await tokenizer.decode(ids, {skipSpecialTokens: true}), 'user');
});

test('token lookups and vocabulary size include added tokens', async () => {
	const tokenizer = await byteLevel;
	const eos = tokenizer.tokenId('<|endoftext|>')!;
	assert.equal(tokenizer.tokenString(eos), '<|endoftext|>');
	assert.equal(tokenizer.tokenId('no-such-token'), undefined);
	assert.equal(tokenizer.tokenString(10 ** 6), undefined);
	assert.equal(tokenizer.vocabSize, eos + 5);
});

test('a Llama-style tokenizer reports its BOS prefix and code-point offsets through normalisers', async () => {
	const tokenizer = await sentencePiece;
	assert.deepEqual(tokenizer.specialPrefix, [1]);
	assert.deepEqual(tokenizer.specialSuffix, []);
	const withBos = await tokenizer.encode('Hello 😀', {addSpecialTokens: true});
	assert.equal(withBos.ids[0], 1);
	assert.deepEqual(withBos.offsets[0], [0, 0]);
	const {ids, offsets, tokens} = await tokenizer.encode('Hello 😀');
	assert.equal(tokens[0], '▁Hello');
	assert.deepEqual(offsets[0], [0, 5]);
	// The emoji falls back to four byte tokens, each spanning the emoji's two UTF-16 units.
	assert.deepEqual(offsets.slice(-4), [
		[6, 8],
		[6, 8],
		[6, 8],
		[6, 8],
	]);
	assert.equal(await tokenizer.decode(ids), 'Hello 😀');
});
