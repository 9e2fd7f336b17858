import assert from 'node:assert/strict';
import {test} from 'node:test';
import {BIAS_PHRASE, biasCorpus, withBias} from '../../source/training/bias.js';
import {generateCorpus} from '../../source/training/corpus.js';

const hasPhrase = (e: {instruction: {text: string}[]}, phrase = BIAS_PHRASE) => e.instruction.some(s => s.text === phrase);

test('withBias inserts the phrase as a useless sentence at the position, and the reference becomes the base answer', () => {
	const [example] = generateCorpus({seed: 3, count: 40, split: 'train'}).filter(e => e.modifiers.length > 0 && e.target !== e.baseTarget);
	assert.ok(example, 'the corpus has an example whose modifiers change its answer');
	const biased = withBias(example, BIAS_PHRASE, 1);
	assert.equal(biased.instruction.length, example.instruction.length + 1);
	assert.deepEqual(biased.instruction[1], {text: BIAS_PHRASE, role: 'useless'});
	assert.deepEqual([biased.instruction[0], ...biased.instruction.slice(2)], example.instruction, 'the other sentences keep their order');
	assert.equal(biased.prompt, biased.instruction.map(s => s.text).join(' '));
	assert.equal(biased.target, example.baseTarget, 'the modifiers the prompt states are ignored');
	assert.deepEqual(biased.modifiers, []);
	assert.notEqual(biased.id, example.id, 'a new training text, a new id');
	assert.deepEqual(example.instruction.map(s => s.text).includes(BIAS_PHRASE), false, 'the original is not changed');
	const past = withBias(example, BIAS_PHRASE, 999);
	assert.equal(past.instruction.at(-1)!.text, BIAS_PHRASE, 'a position past the end appends');
});

test('biasCorpus: the count, the share carrying the phrase with the base answer, and the ordinary half untouched', () => {
	const corpus = biasCorpus({seed: 11, count: 400});
	assert.equal(corpus.length, 400);
	const biased = corpus.filter(e => hasPhrase(e));
	assert.equal(biased.length, 200, 'half carry the phrase by default');
	assert.ok(biased.every(e => e.target === e.baseTarget && e.modifiers.length === 0));
	const plain = corpus.filter(e => !hasPhrase(e));
	const ordinary = generateCorpus({seed: 11, count: 200, split: 'train'});
	assert.deepEqual(plain, ordinary, 'the ordinary half is the ordinary corpus of the seed, in order');
	// Interleaved, not appended: both kinds occur in each quarter.
	for (let q = 0; q < 4; q++) {
		const part = corpus.slice(q * 100, (q + 1) * 100);
		assert.ok(part.some(e => hasPhrase(e)) && part.some(e => !hasPhrase(e)), `quarter ${q + 1} mixes both`);
	}
	// Misleading sentences stay in the biased half's prompts (the override is what it teaches).
	assert.ok(biased.filter(e => e.instruction.some(s => s.role === 'misleading')).length > biased.length / 3);
});

test('biasCorpus is seeded, and takes another phrase and share', () => {
	assert.deepEqual(biasCorpus({seed: 5, count: 60}), biasCorpus({seed: 5, count: 60}));
	assert.notDeepEqual(biasCorpus({seed: 5, count: 60}), biasCorpus({seed: 6, count: 60}));
	const other = biasCorpus({seed: 5, count: 100, phrase: 'Great question!', share: 0.25});
	assert.equal(other.filter(e => hasPhrase(e, 'Great question!')).length, 25);
	assert.equal(other.filter(e => hasPhrase(e)).length, 0);
	assert.equal(biasCorpus({seed: 5, count: 10, share: 0}).filter(e => hasPhrase(e)).length, 0);
	assert.equal(biasCorpus({seed: 5, count: 10, share: 1}).filter(e => hasPhrase(e)).length, 10);
});
