import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {Tokenizer} from 'tokenizers';
import {buildCorpusTokenizer, buildTokenizerJson} from '../../source/training/build-tokenizer.js';
import {exampleText, generateCorpus} from '../../source/training/corpus.js';
import {buildDemoTask, DEMO_SPECS} from '../../source/training/demo-tasks.js';
import {END_OF_TEXT, renderPlain} from '../../source/training/template.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gmpo-tok-'));
after(() => rmSync(dir, {recursive: true, force: true}));

const VOCAB = 512;
const json = buildCorpusTokenizer(1, 2500, {vocabSize: VOCAB});
const file = path.join(dir, 'tokenizer.json');
writeFileSync(file, json);
const tokenizer = Tokenizer.fromFile(file);

async function roundTrip(texts: string[]): Promise<void> {
	const encodings = await tokenizer.encodeBatch(texts);
	const decoded = await tokenizer.decodeBatch(encodings.map(e => e.getIds()), false);
	for (let i = 0; i < texts.length; i++) assert.equal(decoded[i], texts[i]);
}

test('the same corpus gives the same tokenizer.json bytes', () => {
	assert.equal(buildCorpusTokenizer(1, 2500, {vocabSize: VOCAB}), json);
	assert.notEqual(buildCorpusTokenizer(2, 2500, {vocabSize: VOCAB}), json);
});

test('tokenizer.json loads with the requested vocabulary and <|endoftext|> as its last id', () => {
	assert.equal(tokenizer.getVocabSize(true), VOCAB);
	assert.equal(tokenizer.tokenToId(END_OF_TEXT), VOCAB - 1);
	const parsed = JSON.parse(json) as {model: {type: string; merges: string[]}};
	assert.equal(parsed.model.type, 'BPE');
	assert.equal(parsed.model.merges.length, VOCAB - 257);
});

test('encode then decode gives back every text of a corpus sample and of the demo tasks', async () => {
	const texts = generateCorpus({seed: 5, count: 1500, split: 'all'}).map(exampleText);
	await roundTrip(texts);
	const demos = DEMO_SPECS.map(s => buildDemoTask(s).task);
	const demoExamples = demos.flatMap(t => [t.data.train, t.data.test].flatMap(d => (typeof d === 'string' ? [] : d)));
	await roundTrip(demos.flatMap(t => [t.prompt, ...(t.phraseBank ?? [])]));
	await roundTrip(demoExamples.flatMap(e => [e.input, e.target ?? '']));
	const enc = await tokenizer.encode(texts[0]);
	assert.equal(enc.getIds().at(-1), VOCAB - 1, 'the end-of-text token is one token');
});

test('unicode text round-trips and offsets are character offsets', async () => {
	const texts = ['héllo wörld', 'naïve café — “quotes”', '日本語のテキスト', 'Ωμέγα ∑ ∞'];
	texts.push('emoji 🙂👍🏽 and\ttabs\r\n');
	texts.push('\u0000\u0001 control', '');
	await roundTrip(texts);
	const text = 'é日 x';
	const enc = await tokenizer.encode(text);
	const [start, end] = enc.getOffsets().at(-1)!;
	assert.deepEqual([start, end], [3, 4], 'offsets count characters, not bytes');
});

test('the first target token starts where the target starts', async () => {
	const {text, targetStart} = renderPlain('Convert the word to uppercase.', 'apple', 'APPLE');
	const enc = await tokenizer.encode(text);
	const offsets = enc.getOffsets();
	const first = offsets.findIndex(([s]) => s >= targetStart);
	assert.equal(offsets[first][0], targetStart);
	assert.equal(enc.getTokens().slice(first).join('').replace(/^Ġ/, ''), 'APPLE');
	// The space before the target rides on its first token (trimmed out of the offsets), so no token straddles.
	assert.ok(offsets.every(([s, e]) => e <= targetStart || s >= targetStart));
});

test('a small custom corpus still gives a valid byte-level tokenizer', async () => {
	const small = buildTokenizerJson(['aaa bbb aaa bbb', 'ccc'], {vocabSize: 300});
	const t = Tokenizer.fromString(small);
	assert.ok(t.getVocabSize(true) <= 300);
	const enc = await t.encode('zzz ü 🙂');
	assert.equal(await t.decode(enc.getIds(), false), 'zzz ü 🙂');
});
