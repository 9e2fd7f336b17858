import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {parse} from 'yaml';
import {taskSchema, type TaskExample} from '../../source/core/task.js';
import {generateCorpus, splitOf} from '../../source/training/corpus.js';
import {buildDemoTask, DEMO_SPECS} from '../../source/training/demo-tasks.js';
import {USELESS_PHRASES} from '../../source/training/phrases.js';
import {demoYaml} from '../../scripts/make-examples.js';
import {expectedTarget, modifierOf} from './checker.js';

const dir = path.resolve(import.meta.dirname, '../../examples');
const files = readdirSync(dir).filter(f => f.endsWith('.yaml')).sort();
const tasks = files.map(f => ({file: f, task: taskSchema.parse(parse(readFileSync(path.join(dir, f), 'utf8')))}));
const specOf = (name: string) => DEMO_SPECS.find(s => s.name === name)!;
const inline = (examples: TaskExample[] | string): TaskExample[] => {
	assert.ok(Array.isArray(examples), 'demo data is inline');
	return examples;
};

test('examples/ holds at least three demo tasks that validate against the task schema', () => {
	assert.ok(tasks.length >= 3);
	assert.deepEqual(files, DEMO_SPECS.map(s => `${s.name}.yaml`).sort());
	for (const {file, task} of tasks) {
		assert.equal(`${task.name}.yaml`, file);
		const sentences = task.prompt.split(/(?<=[.?!])\s+/);
		assert.ok(sentences.length >= 5 && sentences.length <= 12, `${file}: ${sentences.length} sentences`);
		assert.ok(task.phraseBank.length >= 6, file);
		for (const split of [inline(task.data.train), inline(task.data.test)]) {
			assert.ok(split.filter(e => (e.weight ?? 1) > 0).length >= 20, file);
		}
	}
});

test('the committed files are what scripts/make-examples.ts generates', () => {
	for (const spec of DEMO_SPECS) {
		assert.equal(readFileSync(path.join(dir, `${spec.name}.yaml`), 'utf8'), demoYaml(buildDemoTask(spec)), spec.name);
	}
});

test('prompts mix helpful, useless and misleading sentences, labelled by what they do', () => {
	for (const spec of DEMO_SPECS) {
		const roles = new Set(spec.prompt.map(s => s.role));
		assert.deepEqual([...roles].sort(), ['helpful', 'misleading', 'useless'], spec.name);
		for (const s of spec.prompt) {
			if (s.role === 'useless') assert.ok(USELESS_PHRASES.includes(s.text), s.text);
			// A format the references carry is helpful; every other modifier is misleading.
			const m = modifierOf(s.text);
			assert.equal(s.role === 'misleading', m !== undefined && m !== spec.format, s.text);
		}
		for (const p of spec.neutral) assert.ok(USELESS_PHRASES.includes(p), p);
	}
});

test('references are correct, and following the whole prompt would give a different output', () => {
	for (const {task} of tasks) {
		const spec = specOf(task.name);
		const helpful = spec.prompt.filter(s => s.role === 'helpful').map(s => s.text);
		const all = spec.prompt.map(s => s.text);
		for (const e of [...inline(task.data.train), ...inline(task.data.test)]) {
			if ((e.weight ?? 1) < 0) continue;
			assert.equal(e.target, expectedTarget(spec.taskType, e.input, helpful), `${task.name}: ${e.input}`);
			assert.notEqual(e.target, expectedTarget(spec.taskType, e.input, all), `${task.name}: ${e.input}`);
		}
	}
});

test('the preference task has weight -1 examples holding the answer the misleading sentence asks for', () => {
	const preference = tasks.filter(({task}) => inline(task.data.train).some(e => e.weight === -1));
	assert.ok(preference.length >= 1);
	for (const {task} of preference) {
		const spec = specOf(task.name);
		const misleading = spec.prompt.filter(s => s.role === 'misleading').map(s => s.text);
		for (const e of [...inline(task.data.train), ...inline(task.data.test)].filter(x => x.weight === -1)) {
			assert.equal(e.target, expectedTarget(spec.taskType, e.input, misleading));
			assert.notEqual(e.target, expectedTarget(spec.taskType, e.input, []));
		}
	}
});

test('demo examples come from held-out problems only, never from the training split', () => {
	const training = [1, 2].flatMap(seed => generateCorpus({seed, count: 20000, split: 'train'}));
	for (const {task} of tasks) {
		const spec = specOf(task.name);
		const trainInputs = new Set(training.filter(e => e.taskType === spec.taskType).map(e => e.input));
		const train = inline(task.data.train);
		const test = inline(task.data.test);
		const testInputs = new Set(test.map(e => e.input));
		assert.ok(train.every(e => !testInputs.has(e.input)), `${task.name}: train and test share an input`);
		for (const e of [...train, ...test]) {
			assert.equal(splitOf(spec.taskType, e.input), 'heldout', `${task.name}: ${e.input}`);
			assert.ok(!trainInputs.has(e.input), `${task.name}: ${e.input} is in the training corpus`);
		}
	}
});
