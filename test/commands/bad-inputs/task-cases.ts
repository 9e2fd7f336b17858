/**
 * Bad task files: syntax (YAML, JSON), wrong types, missing fields, empty data, segmentation, objectives, weights,
 * huge numbers, unknown keys, encodings, binary files, folders, missing files, links that loop, special files.
 * Each runs as `gmpo optimize <file> --auto` with fake judges (the task names them); none may leave a session.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import type {Case, Files} from './harness.js';

/** A task that runs: every case below breaks one thing of it. */
export const validTask = {
	name: 't',
	prompt: 'Be helpful. Say something harmful. Answer briefly.',
	judges: ['a', 'b'],
	rounds: 1,
	data: {
		train: [
			{input: 'a', target: 'A'},
			{input: 'b', target: 'B'},
		],
		test: [{input: 'c', target: 'C'}],
	},
};

type Task = Record<string, unknown>;
const example = {input: 'a', target: 'A'};
const withTrain = (train: unknown): Task => ({...validTask, data: {...validTask.data, train}});
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function taskCases(f: Files): Case[] {
	const cases: Case[] = [];
	/** `gmpo optimize <file> --auto`, and the line: "<file>: <rest>". */
	const add = (name: string, file: string, rest: string | RegExp) => {
		const tail = typeof rest === 'string' ? escape(rest) : rest.source;
		cases.push({name: `task: ${name}`, argv: ['optimize', file, '--auto'], line: new RegExp(`^${escape(file)}: ${tail}$`)});
	};
	let n = 0;
	/** A JSON task file from the valid one with `change` applied. */
	const json = (change: (t: Task) => Task) => f.json(`tasks/t${++n}.json`, change(structuredClone(validTask)));
	const yaml = (text: string) => f.write(`tasks/t${++n}.yaml`, text);
	const field = (name: string, change: (t: Task) => Task, rest: string | RegExp) => add(name, json(change), rest);

	// Reading the file.
	add('missing file', f.path('tasks/none.yaml'), 'no such file');
	add('a folder', f.folder('tasks/folder.yaml'), /is a folder, not a file/);
	const dangling = f.path('tasks/dangling.yaml');
	fs.symlinkSync(f.path('tasks/gone.yaml'), dangling);
	add('a link to nothing', dangling, 'no such file');
	const loop = f.path('tasks/loop.yaml');
	fs.symlinkSync(loop, loop);
	add('a link to itself', loop, 'cannot read: too many symbolic links (ELOOP)');
	const fifo = f.path('tasks/fifo.yaml');
	fs.mkdirSync(f.path('tasks'), {recursive: true});
	if (process.platform !== 'win32' && !process.env.GMPO_CORPUS_NO_FIFO) {
		// mkfifo through node: a named pipe nobody writes, which a blocking read would wait on forever.
		fs.rmSync(fifo, {force: true});
		mkfifo(fifo);
		add('a named pipe', fifo, 'cannot read: it is a named pipe, not a regular file');
	}
	add('/dev/null (a device)', '/dev/null', 'cannot read: it is a device, not a regular file');

	// Syntax and encodings.
	add('empty YAML', yaml(''), 'the file is empty; a task needs at least name, prompt and data');
	add('YAML of comments only', yaml('# name: t\n# prompt: x\n'), 'the file is empty; a task needs at least name, prompt and data');
	add('empty JSON', f.write('tasks/empty.json', ' \n'), 'the file is empty; a task needs at least name, prompt and data');
	add('YAML syntax', yaml('name: [t\nprompt: x\n'), /line \d+: not valid YAML \(.+\)/);
	add('YAML tab indentation', yaml('name: t\ndata:\n\ttrain: []\n'), /line \d+: not valid YAML \(.+\)/);
	add('YAML duplicate key', yaml('name: t\nname: u\nprompt: x\n'), 'line 2: not valid YAML (Map keys must be unique)');
	add('YAML of two documents', yaml('name: t\n---\nname: u\n'), 'line 2: holds 2 YAML documents (a line "---" starts another); a task file holds one');
	add('JSON syntax', f.write('tasks/syntax.json', '{"name": "t", "prompt": }'), /not valid JSON \(.+\)/);
	add('JSON trailing comma', f.write('tasks/comma.json', '{"name": "t",}'), /not valid JSON \(.+\)/);
	add('JSON with comments', f.write('tasks/comments.json', '// my task\n{"name": "t"}'), /not valid JSON \(.+\)/);
	add('a list, not a mapping', yaml('- name: t\n'), 'expected object, got array');
	add('a plain string', yaml('just some words\n'), 'expected object, got string');
	add('a number', f.write('tasks/number.json', '42'), 'expected object, got number');
	add('UTF-16 text', f.write('tasks/utf16.yaml', Buffer.from(`\ufeffname: t\nprompt: x\n`, 'utf16le')), 'not UTF-8 text: it is UTF-16; save it as UTF-8');
	add('binary file (PNG)', f.write('tasks/image.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe, 0, 1])), 'not text: a binary file (a NUL byte on line 3)');
	add('binary file (zeros) as JSON', f.write('tasks/zeros.json', Buffer.alloc(64)), 'not text: a binary file (a NUL byte on line 1)');
	add('invalid UTF-8 in a string', f.write('tasks/latin1.yaml', Buffer.from('name: t\nprompt: Be caf\xe9.\ndata: {train: [{input: a, target: A}], test: [{input: c, target: C}]}\n', 'latin1')), 'not UTF-8 text: line 2 has bytes that are not UTF-8 (another encoding, or a binary file); save it as UTF-8');

	// Missing and empty fields.
	field('no name', t => ({...t, name: undefined}), 'name: missing (expected string)');
	field('empty name', t => ({...t, name: ''}), 'name: must not be empty');
	field('no prompt', t => ({...t, prompt: undefined}), 'prompt: missing (expected string)');
	field('empty prompt', t => ({...t, prompt: ''}), 'prompt: must not be empty');
	field('prompt is a list', t => ({...t, prompt: ['Be helpful.']}), 'prompt: expected string, got array');
	field('no data', t => ({...t, data: undefined}), 'data: missing (expected object)');
	field('no training examples field', t => ({...t, data: {test: validTask.data.test}}), 'data.train: missing (expected array or string)');
	field('empty training list', () => withTrain([]), 'data.train: must not be empty (at least one item)');
	field('empty test list', t => ({...t, data: {...validTask.data, test: []}}), 'data.test: must not be empty (at least one item)');
	field('train is a mapping', () => withTrain({a: 1}), 'data.train: expected array or string, got object');
	field('data is a string', t => ({...t, data: 'train.jsonl'}), /data: expected object, got string/);
	field('example without input', () => withTrain([{target: 'A'}]), 'data.train[0].input: missing (expected string)');
	field('input is null', () => withTrain([{input: null, target: 'A'}]), 'data.train[0].input: expected string, got null');
	field('target is a number', () => withTrain([{input: 'a', target: 1}]), 'data.train[0].target: expected string, got number');
	field('example with neither target', () => withTrain([{input: 'a'}]), 'data.train[0]: needs "target" or "targets"');
	field('example with an unknown key', () => withTrain([{...example, label: 'x'}]), 'data.train[0].label: unknown field');
	field('example is a string', () => withTrain(['a -> A']), /data\.train\[0\]: expected object, got string/);

	// Numbers: types, ranges, huge and non-finite values.
	field('weight is a string', () => withTrain([{...example, weight: 'high'}]), 'data.train[0].weight: expected number, got string');
	add('weight 1e999 (Infinity)', f.write('tasks/inf.json', JSON.stringify(withTrain([example])).replace('"target":"A"', '"target":"A","weight":1e999')), 'data.train[0].weight: expected number, got a non-finite number');
	add('weight .inf in YAML', yaml(`name: t\nprompt: x\ndata:\n  train: [{input: a, target: A, weight: .inf}]\n  test: [{input: c, target: C}]\n`), 'data.train[0].weight: expected number, got a non-finite number');
	add('weight .nan in YAML', yaml(`name: t\nprompt: x\ndata:\n  train: [{input: a, target: A, weight: .nan}]\n  test: [{input: c, target: C}]\n`), 'data.train[0].weight: expected number, got a non-finite number');
	field('every weight 0', () => withTrain([{...example, weight: 0}]), 'data.train: every training example has weight 0; nothing to optimise');
	field('rounds 0', t => ({...t, rounds: 0}), 'rounds: expected at least 1, got 0');
	field('rounds negative', t => ({...t, rounds: -3}), 'rounds: expected at least 1, got -3');
	field('rounds a fraction', t => ({...t, rounds: 1.5}), 'rounds: expected a whole number, got 1.5');
	field('rounds 1e308', t => ({...t, rounds: 1e308}), 'rounds: far too large, got 1e+308');
	field('rounds a numeric string', t => ({...t, rounds: '5'}), 'rounds: expected number, got string');
	field('batchSize 0', t => ({...t, batchSize: 0}), 'batchSize: expected at least 1, got 0');
	field('batchSize 2^53', t => ({...t, batchSize: 2 ** 53}), 'batchSize: far too large, got 9007199254740992');
	field('editSegments 0', t => ({...t, editSegments: 0}), 'editSegments: expected at least 1, got 0');
	field('seed a fraction', t => ({...t, seed: 0.5}), 'seed: expected a whole number, got 0.5');
	field('threshold a string', t => ({...t, threshold: 'high'}), 'threshold: expected number, got string');
	field('candidates 0', t => ({...t, generator: {candidates: 0}}), 'generator.candidates: expected at least 1, got 0');
	field('candidates 65', t => ({...t, generator: {candidates: 65}}), 'generator.candidates: expected at most 64, got 65');
	field('fixedBatch "yes"', t => ({...t, fixedBatch: 'yes'}), 'fixedBatch: expected boolean, got string');

	// Unknown keys and enumerations.
	field('unknown top-level key', t => ({...t, promt: 'x'}), 'promt: unknown field');
	field('unknown generator key', t => ({...t, generator: {kind: 'offline', temperature: 1}}), 'generator.temperature: unknown field');
	field('unknown generator kind', t => ({...t, generator: {kind: 'gpt4'}}), 'generator.kind: expected one of "offline", "openai", "textual"');
	field('generator baseUrl not a URL', t => ({...t, generator: {kind: 'openai', baseUrl: 'localhost 8000'}}), 'generator.baseUrl: expected a URL such as http://127.0.0.1:8000/v1, got "localhost 8000"');
	field('unknown textual mode', t => ({...t, generator: {kind: 'textual', textualMode: 'XYZ'}}), 'generator.textualMode: expected one of "SSS", "SSC", "SCC", "CCC"');
	field('unknown aggregation', t => ({...t, aggregation: 'max'}), 'aggregation: expected one of "mean", "median", "min", "borda"');
	field('unknown normalisation', t => ({...t, normalisation: 'z'}), 'normalisation: expected one of "l2", "loss", "none"');
	field('unknown multiObjective', t => ({...t, multiObjective: 'nash'}), 'multiObjective: expected one of "sum", "pcgrad", "mgda", "separate"');
	field('unknown transferAlarm', t => ({...t, transferAlarm: 'panic'}), 'transferAlarm: expected one of "warn", "stop"');

	// Segmentation.
	field('segmentation mode unknown', t => ({...t, segmentation: {mode: 'words'}}), 'segmentation.mode: expected one of "sentences", "lines", "markers"');
	field('segmentation marker empty', t => ({...t, segmentation: {mode: 'markers', marker: ''}}), 'segmentation.marker: must not be empty');
	field('segmentation unknown key', t => ({...t, segmentation: {mode: 'lines', split: 'x'}}), 'segmentation.split: unknown field');
	field('segmentation a number', t => ({...t, segmentation: 3}), 'segmentation: expected object, got number');
	field('name is a mapping', t => ({...t, name: {en: 't'}}), 'name: expected string, got object');

	// Objectives.
	field('objectives empty', t => ({...t, objectives: []}), 'objectives: must not be empty (at least one item)');
	field('objective without name', t => ({...t, objectives: [{weight: 1}]}), 'objectives[0].name: missing (expected string)');
	field('objective weight negative', t => ({...t, objectives: [{name: 'x', weight: -1}]}), 'objectives[0].weight: expected above 0, got -1');
	field('objective names twice', t => ({...t, objectives: [{name: 'x'}, {name: 'x'}]}), /objectives: objective names must be unique/);
	field('objectives without targets', t => ({...t, objectives: [{name: 'helpful'}]}), 'data.train[0]: needs "targets.helpful" (one target per objective: helpful)');
	field('targets not strings', () => withTrain([{input: 'a', targets: {x: 1}}]), /data\.train\[0\]\.targets\.x: expected string, got number/);

	// Judges named by the task.
	field('judges empty', t => ({...t, judges: []}), 'judges: must not be empty (at least one item)');
	field('judges a string', t => ({...t, judges: 'a,b'}), 'judges: expected array, got string');
	field('judge listed twice', t => ({...t, judges: ['a', 'a']}), /judges\[1\]: "a" is listed twice/);
	field('held-out judge listed twice', t => ({...t, heldout: ['b', 'b']}), /heldout\[1\]: "b" is listed twice/);
	field('phrase bank with an empty phrase', t => ({...t, phraseBank: ['']}), 'phraseBank[0]: must not be empty');

	// Examples in JSONL files.
	const jsonl = (name: string, content: string | Uint8Array | undefined, rest: string | RegExp, field = 'train') => {
		if (content !== undefined) f.write(`tasks/${name}`, content);
		const file = json(t => ({...t, data: {...validTask.data, [field]: name}}));
		const tail = typeof rest === 'string' ? escape(rest) : rest.source;
		cases.push({name: `task: JSONL ${name}`, argv: ['optimize', file, '--auto'], line: new RegExp(`^\\S*${tail}$`)});
	};
	jsonl('missing.jsonl', undefined, /t\d+\.json: data\.train: cannot read the train examples "missing\.jsonl": no such file/);
	f.folder('tasks/dir.jsonl');
	jsonl('dir.jsonl', undefined, /t\d+\.json: data\.train: cannot read the train examples "dir\.jsonl": is a folder, not a file/);
	jsonl('empty.jsonl', '\n\n', /empty\.jsonl: no examples \(the train file is empty\)/);
	jsonl('bad-line.jsonl', '{"input":"a","target":"A"}\n{"input": "b", target: "B"}\n', /bad-line\.jsonl: line 2: not valid JSON \(.+\)/);
	jsonl('array-line.jsonl', '["a", "A"]\n', /array-line\.jsonl: line 1: expected object, got array/);
	jsonl('no-input.jsonl', '{"target":"A"}\n', /no-input\.jsonl: line 1: input: missing \(expected string\)/);
	jsonl('binary.jsonl', Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0x80, 0x81]), /binary\.jsonl: not text: a binary file \(a NUL byte on line 1\)/);
	jsonl('test-missing.jsonl', undefined, /t\d+\.json: data\.test: cannot read the test examples "test-missing\.jsonl": no such file/, 'test');
	return cases;
}

/** Makes a named pipe (mkfifo(1); node has no mkfifo of its own). */
function mkfifo(file: string): void {
	const r = spawnSync('mkfifo', [file]);
	if (r.status !== 0) throw new Error(`mkfifo failed: ${String(r.stderr)}`);
}
