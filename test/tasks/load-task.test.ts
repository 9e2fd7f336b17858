import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {loadTask} from '../../source/tasks/load-task.js';
import {tempDir} from '../helpers/temp.js';

const dir = tempDir('gmpo-tasks-');

function write(name: string, text: string): string {
	const file = path.join(dir, name);
	fs.mkdirSync(path.dirname(file), {recursive: true});
	fs.writeFileSync(file, text);
	return file;
}

/** The one line a user would see for loading this file. */
function problem(file: string): string {
	try {
		loadTask(file);
	} catch (error) {
		assert.ok(error instanceof UserError, `a UserError, not ${String(error)}`);
		return error.line.replace(`${dir}/`, '');
	}
	assert.fail('the task loaded');
}

const valid = {name: 't', prompt: 'Do it. Well.', data: {train: [{input: 'a', target: 'b'}], test: [{input: 'c', target: 'd'}]}};

test('YAML and JSON task files load, with JSONL examples relative to the task file', () => {
	write('data/train.jsonl', '{"input":"a","target":"b"}\n\n{"input":"c","target":"d","weight":-1}\n');
	const yaml = loadTask(write('t.yaml', 'name: t\nprompt: Do it.\ndata:\n  train: data/train.jsonl\n  test:\n    - {input: x, target: y}\n'));
	assert.equal(yaml.data.train.length, 2);
	assert.equal(yaml.data.train[1].weight, -1);
	assert.equal(yaml.segmentation.mode, 'sentences');
	assert.equal(yaml.file, path.join(dir, 't.yaml'));
	const json = loadTask(write('t.json', JSON.stringify(valid)));
	assert.equal(json.name, 't');
	assert.equal(json.generator.candidates, 12);
});

test('the bundled demo tasks load', () => {
	for (const name of fs.readdirSync('examples').filter(f => /\.ya?ml$/.test(f))) {
		const task = loadTask(path.join('examples', name));
		assert.ok(task.data.train.length > 0 && task.data.test.length > 0, name);
	}
});

test('every problem names the file and the field', () => {
	const cases: [string, string, RegExp | string][] = [
		['missing.yaml', '', 'missing.yaml: no such file'],
		['syntax.yaml', 'name: [\n', /^syntax\.yaml: line 2: not valid YAML \(/],
		['dup.yaml', 'name: a\nname: b\n', 'dup.yaml: line 2: not valid YAML (Map keys must be unique)'],
		['syntax.json', '{"name": ', /^syntax\.json: not valid JSON \(/],
		['type.yaml', JSON.stringify({...valid, data: {...valid.data, train: [{input: 'a', target: 'b'}, {input: 3, target: 'b'}]}}), 'type.yaml: data.train[1].input: expected string, got number'],
		['unknown.yaml', JSON.stringify({...valid, promt: 'x'}), 'unknown.yaml: promt: unknown field'],
		['noprompt.yaml', JSON.stringify({...valid, prompt: undefined}), 'noprompt.yaml: prompt: missing (expected string)'],
		['notarget.yaml', JSON.stringify({...valid, data: {...valid.data, test: [{input: 'a'}]}}), 'notarget.yaml: data.test[0]: needs "target" or "targets"'],
		['split.yaml', JSON.stringify({...valid, data: {...valid.data, test: 5}}), 'split.yaml: data.test: expected array or string, got number'],
		['mode.yaml', JSON.stringify({...valid, segmentation: {mode: 'words'}}), 'mode.yaml: segmentation.mode: expected one of "sentences", "lines", "markers"'],
		['weight.yaml', JSON.stringify({...valid, data: {...valid.data, train: [{input: 'a', target: 'b', weight: 0}]}}), 'weight.yaml: data.train: every training example has weight 0; nothing to optimise'],
		['objective.yaml', JSON.stringify({...valid, objectives: [{name: 'x'}, {name: 'y'}], data: {train: [{input: 'a', targets: {x: '1'}}], test: [{input: 'a', targets: {x: '1', y: '2'}}]}}), 'objective.yaml: data.train[0]: needs "targets.y" (one target per objective: x, y)'],
		['plain.yaml', JSON.stringify({...valid, data: {...valid.data, train: [{input: 'a', targets: {x: '1'}}]}}), 'plain.yaml: data.train[0]: needs "target" (the task defines no objectives)'],
		['twice.yaml', JSON.stringify({...valid, judges: ['a', 'a']}), 'twice.yaml: judges[1]: "a" is listed twice'],
		['nojsonl.yaml', JSON.stringify({...valid, data: {...valid.data, train: 'nope.jsonl'}}), 'nojsonl.yaml: data.train: cannot read the train examples "nope.jsonl": no such file'],
	];
	for (const [name, text, expected] of cases) {
		const file = text === '' ? path.join(dir, name) : write(name, text);
		const line = problem(file);
		if (typeof expected === 'string') assert.equal(line, expected);
		else assert.match(line, expected);
	}
});

test('JSONL problems name the line', () => {
	write('bad/train.jsonl', '{"input":"a","target":"b"}\n{"input": 1, "target":"b"}\n');
	write('bad/test.jsonl', '{"input":"a","target":"b"}\nnot json\n');
	write('bad/empty.jsonl', '\n\n');
	const base = {...valid, data: {train: 'train.jsonl', test: 'test.jsonl'}};
	assert.match(problem(write('bad/a.yaml', JSON.stringify({...base, data: {train: valid.data.train, test: 'test.jsonl'}}))), /^bad\/test\.jsonl: line 2: not valid JSON \(.+\)$/);
	assert.equal(problem(write('bad/b.yaml', JSON.stringify({...base, data: {train: 'train.jsonl', test: valid.data.test}}))), 'bad/train.jsonl: line 2: input: expected string, got number');
	assert.equal(problem(write('bad/c.yaml', JSON.stringify({...base, data: {train: 'empty.jsonl', test: valid.data.test}}))), 'bad/empty.jsonl: no examples (the train file is empty)');
});
