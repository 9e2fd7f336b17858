import assert from 'node:assert/strict';
import {test} from 'node:test';
import {exampleText, generateCorpus, splitOf, type CorpusExample} from '../../source/training/corpus.js';
import {MODIFIER_PHRASES, TASK_PHRASES, USELESS_PHRASES} from '../../source/training/phrases.js';
import {weightedTaskTypes} from '../../source/training/judge-specs.js';
import {qualityCases} from '../../source/training/quality.js';
import {TASK_TYPES} from '../../source/training/task-types.js';
import {END_OF_TEXT, PLAIN_TEMPLATE, fillTemplate, renderPlain, trainingText} from '../../source/training/template.js';
import {expectedTarget, modifierOf} from './checker.js';

const sample = generateCorpus({seed: 1, count: 4000, split: 'all'});
const key = (e: CorpusExample): string => `${e.taskType}\u0000${e.input}`;

test('the same seed gives the same corpus; another seed a different one', () => {
	assert.deepEqual(generateCorpus({seed: 1, count: 4000, split: 'all'}), sample);
	assert.deepEqual(generateCorpus({seed: 7, count: 300}), generateCorpus({seed: 7, count: 300}));
	const other = generateCorpus({seed: 2, count: 300, split: 'all'});
	assert.notDeepEqual(other.map(exampleText), sample.slice(0, 300).map(exampleText));
});

test('train and held-out splits never share a problem', () => {
	const train = generateCorpus({seed: 3, count: 4000, split: 'train'});
	const heldout = generateCorpus({seed: 3, count: 600, split: 'heldout'});
	assert.ok(train.every(e => e.split === 'train' && splitOf(e.taskType, e.input) === 'train'));
	assert.ok(heldout.every(e => e.split === 'heldout' && splitOf(e.taskType, e.input) === 'heldout'));
	const trainKeys = new Set(train.map(key));
	const trainTexts = new Set(train.map(exampleText));
	for (const e of heldout) {
		assert.ok(!trainKeys.has(key(e)), `shared problem ${key(e)}`);
		assert.ok(!trainTexts.has(exampleText(e)));
	}
	// Roughly HELDOUT_FRACTION of problems are held out.
	const share = sample.filter(e => e.split === 'heldout').length / sample.length;
	assert.ok(share > 0.06 && share < 0.14, `held-out share ${share}`);
});

test('every target is what an independent checker computes from the wording', () => {
	for (const e of sample) {
		const expected = expectedTarget(e.taskType, e.input, e.instruction.map(s => s.text));
		assert.equal(e.target, expected, `${e.taskType} ${JSON.stringify(e.prompt)} on ${JSON.stringify(e.input)}`);
		for (const s of e.instruction) {
			// A sentence is misleading exactly when its wording states a modifier, and the flag names that modifier.
			assert.equal(s.role === 'misleading', modifierOf(s.text) !== undefined, s.text);
			assert.equal(s.modifier, modifierOf(s.text), s.text);
		}
		assert.ok(e.instruction.some(s => s.role === 'helpful'));
		assert.equal(e.prompt, e.instruction.map(s => s.text).join(' '));
	}
});

test('misleading sentences change the target away from the base answer', () => {
	const misled = sample.filter(e => e.modifiers.length > 0);
	assert.ok(misled.length > sample.length / 4);
	for (const e of misled) assert.notEqual(e.target, e.baseTarget, e.prompt);
	for (const e of sample.filter(x => x.modifiers.length === 0)) assert.equal(e.target, e.baseTarget);
});

test('the corpus covers every task type, with short targets and the sentence roles mixed', () => {
	assert.ok(TASK_TYPES.length >= 12);
	for (const t of TASK_TYPES) {
		assert.ok(TASK_PHRASES[t].length >= 6, t);
		assert.ok(sample.filter(e => e.taskType === t).length > 100, t);
	}
	for (const phrases of [...Object.values(TASK_PHRASES), USELESS_PHRASES, ...Object.values(MODIFIER_PHRASES)]) {
		for (const p of phrases) assert.match(p, /^[A-Z][^.?!]*[.?]$/, p);
	}
	const short = sample.filter(e => e.target.length >= 1 && e.target.length <= 20).length;
	assert.ok(short / sample.length > 0.95);
	assert.ok(sample.some(e => e.instruction.some(s => s.role === 'useless')));
	assert.ok(sample.some(e => e.instruction.length >= 6));
});

test('training texts follow the one plain template and end with the end-of-text token', () => {
	assert.equal(PLAIN_TEMPLATE, '{prompt}\n\nInput: {input}\nOutput: {target}');
	const e = sample[0];
	const text = exampleText(e);
	assert.equal(text, `${e.prompt}\n\nInput: ${e.input}\nOutput: ${e.target}${END_OF_TEXT}`);
	const r = renderPlain('Say {input}.', 'x', 'y');
	assert.equal(r.text, 'Say {input}.\n\nInput: x\nOutput: y');
	assert.equal(r.text.slice(r.targetStart), 'y');
	const filled = fillTemplate(PLAIN_TEMPLATE, {prompt: 'p', input: 'i', target: 't'});
	assert.equal(filled + END_OF_TEXT, trainingText('p', 'i', 't'));
});

test('task weights draw task types in proportion; uniform weights leave the corpus unchanged', () => {
	assert.deepEqual(weightedTaskTypes(), [...TASK_TYPES]);
	assert.deepEqual(generateCorpus({seed: 1, count: 500, split: 'all', taskTypes: weightedTaskTypes({})}), sample.slice(0, 500));
	const types = weightedTaskTypes({add: 3, reverse: 2});
	assert.equal(types.length, TASK_TYPES.length + 3);
	const weighted = generateCorpus({seed: 4, count: 6000, split: 'all', taskTypes: types});
	const share = (t: string) => weighted.filter(e => e.taskType === t).length / weighted.length;
	// Expected shares 3/20, 2/20 and 1/20; 6000 draws put each within about 0.01 of its share.
	assert.ok(Math.abs(share('add') - 0.15) < 0.02, `add ${share('add')}`);
	assert.ok(Math.abs(share('reverse') - 0.1) < 0.02, `reverse ${share('reverse')}`);
	assert.ok(Math.abs(share('uppercase') - 0.05) < 0.02, `uppercase ${share('uppercase')}`);
});

test('the quality sample: the same held-out problems of every task type, each with a clear and a misleading variant', () => {
	const cases = qualityCases(3);
	assert.deepEqual(qualityCases(3), cases);
	assert.equal(cases.length, 3 * TASK_TYPES.length);
	for (const t of TASK_TYPES) assert.equal(cases.filter(c => c.clear.taskType === t).length, 3, t);
	for (const c of cases) {
		assert.equal(c.example.split, 'heldout');
		assert.ok(c.clear.instruction.every(s => s.role === 'helpful'));
		assert.equal(c.clear.target, c.clear.baseTarget);
		assert.equal(c.misleading.instruction.filter(s => s.role === 'misleading').length, 1);
		assert.notEqual(c.misleading.target, c.clear.target, c.misleading.prompt);
	}
});
