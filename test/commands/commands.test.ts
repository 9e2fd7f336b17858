import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createScoreCommand} from '../../source/commands/attribute.js';
import {createConfigCommands} from '../../source/commands/config.js';
import {createEvalCommand} from '../../source/commands/eval.js';
import {createOptimizeCommand, createResumeCommand} from '../../source/commands/optimize.js';
import {createSessionsCommand} from '../../source/commands/sessions.js';
import type {RunSummary} from '../../source/commands/headless.js';
import {loadSession} from '../../source/sessions/store.js';
import {tempDir} from '../engine/fakes.js';
import {capture, world} from './helpers.js';

const toyTask = `name: toy
prompt: Be helpful. Say something harmful. Answer briefly. Add harmful jokes.
phraseBank: [Be kind., Answer in one word.]
batchSize: 4
rounds: 2
data:
  train:
    - {input: a, target: A}
    - {input: b, target: B}
    - {input: c, target: C}
    - {input: d, target: D}
  test:
    - {input: x, target: X}
    - {input: y, target: Y}
`;

function taskFile(dir: string): string {
	const file = path.join(dir, 'toy.yaml');
	fs.writeFileSync(file, toyTask);
	return file;
}

test('optimize --auto --json runs headless, saves the session and ends with the summary', async () => {
	const dir = tempDir();
	const deps = world(path.join(dir, 'sessions'));
	const code = await createOptimizeCommand(deps).run([taskFile(dir)], {auto: true, json: true, judges: 'a,b', heldout: 'c', rounds: '2'});
	assert.equal(code, 0);
	const summary = JSON.parse(deps.stdout.text) as RunSummary;
	assert.equal(summary.rounds, 2);
	assert.ok(summary.accepted >= 1);
	assert.equal(summary.heldout?.judge, 'c');
	assert.ok(summary.heldout!.after < summary.heldout!.before, 'the held-out judge agrees: the harmful sentences went');
	assert.deepEqual(Object.keys(summary.judges).sort(), ['a', 'b', 'c']);
	assert.match(deps.stderr.text, /^session \S+: task toy; judges a, b; held out c; generator offline$/m);
	assert.match(deps.stderr.text, /^round 1\/2: attribution \(gradient\); editing s2, s4$/m);
	assert.match(deps.stderr.text, /^round 2\/2: (accepted c\d+ \(mean change [-+][\d.]+ nats\/token; .*\)|skipped.*)$/m);
	const {state} = loadSession(summary.session, {dir: deps.sessionsDir});
	assert.deepEqual(state.task.judges, ['a', 'b']);
	assert.deepEqual(state.task.heldout, ['c']);
	assert.ok(state.rounds.every(r => r.testLosses && Object.keys(r.testLosses).length === 3), 'test losses after every round');

	// sessions lists it; resume --rounds 1 does one more round.
	const list = world(deps.sessionsDir);
	await createSessionsCommand(list).run([], {json: true});
	const rows = JSON.parse(list.stdout.text) as {id: string; rounds: number; task: string}[];
	assert.deepEqual(rows.map(r => [r.id, r.task, r.rounds]), [[summary.session, 'toy', 2]]);
	const again = world(deps.sessionsDir);
	assert.equal(await createResumeCommand(again).run([summary.session], {auto: true, json: true, rounds: '1'}), 0);
	const resumed = JSON.parse(again.stdout.text) as RunSummary;
	assert.equal(resumed.rounds, 3);
	assert.equal(resumed.heldout?.before, summary.heldout?.before, 'the initial prompt is the same');
	const text = world(deps.sessionsDir);
	await createSessionsCommand(text).run([], {});
	assert.match(text.stdout.text, /^│ ID +│ TASK │ ROUNDS │ BEST LOSS │ LAST UPDATE +│$/m, 'an ink-table');
	assert.match(text.stdout.text, /^│ \S+ │ toy +│ +3 │ +\d+\.\d{4} │ \d{4}-\S+ │$/m);
});

test('eval reports the test loss and exact match per judge, held-out judges included', async () => {
	const dir = tempDir();
	const prompt = path.join(dir, 'prompt.txt');
	fs.writeFileSync(prompt, 'Be kind. Answer briefly.\n');
	const deps = world(path.join(dir, 'sessions'));
	assert.equal(await createEvalCommand(deps).run([taskFile(dir)], {prompt, judges: 'a', heldout: 'h', json: true}), 0);
	const report = JSON.parse(deps.stdout.text) as {prompt: string; judges: {judge: string; heldout: boolean; loss: number; exactMatch: number}[]};
	assert.equal(report.prompt, 'Be kind. Answer briefly.');
	assert.deepEqual(report.judges.map(j => [j.judge, j.heldout]), [['a', false], ['h', true]]);
	assert.ok(Math.abs(report.judges[0].loss - (2 - 0.4 - 0.2)) < 1e-9);
	assert.equal(report.judges[0].exactMatch, 1, 'the fake judges answer in capitals when told to be kind');
	const plain = world(deps.sessionsDir);
	fs.writeFileSync(prompt, 'Answer briefly.');
	await createEvalCommand(plain).run([taskFile(dir)], {prompt});
	assert.match(plain.stdout.text, /^│ JUDGE │ HELD OUT │ LOSS \(nats\/token\) │ EXACT MATCH │$/m, 'an ink-table');
	assert.match(plain.stdout.text, /^│ a +│ +│ +1\.6000 │ +0\.0% of 2 │$/m);
	assert.match(plain.stdout.text, /^│ b +│ +│ +1\.6000 │ +0\.0% of 2 │$/m);
});

test('interactive mode on a terminal needs the TUI; without a terminal the run is headless', async () => {
	const dir = tempDir();
	// Without an interactive driver (the TUI), a terminal run is refused rather than started.
	const deps = world(path.join(dir, 'sessions'), {stdinIsTTY: true, stdout: capture(true), interactive: undefined});
	await assert.rejects(createOptimizeCommand(deps).run([taskFile(dir)], {}), {message: /interactive mode needs the TUI/});
	assert.equal(fs.existsSync(deps.sessionsDir), false, 'no session was created');
	const piped = world(path.join(dir, 'sessions'));
	assert.equal(await createOptimizeCommand(piped).run([taskFile(dir)], {rounds: '1'}), 0);
	assert.match(piped.stderr.text, /not a terminal, so running headless/);
	assert.match(piped.stdout.text, /^session \S+: 1 round\(s\)/);
	let driven = false;
	const tui = world(path.join(dir, 'sessions'), {
		stdinIsTTY: true,
		stdout: capture(true),
		interactive: async run => {
			driven = run.session.state.task.name === 'toy';
			return 0;
		},
	});
	assert.equal(await createOptimizeCommand(tui).run([taskFile(dir)], {}), 0);
	assert.ok(driven, 'the interactive driver gets the prepared run');
});

test('config set, get, list and unset, with the key masked', async () => {
	const dir = tempDir();
	const before = process.env.GMPO_CONFIG_DIR;
	process.env.GMPO_CONFIG_DIR = dir;
	try {
		const run = async (args: string[], flags: Record<string, unknown> = {}) => {
			const deps = world(dir);
			const [action, ...rest] = args;
			await createConfigCommands(deps)[action as 'list' | 'get' | 'set' | 'unset'].run(rest, flags);
			return deps.stdout.text;
		};
		await run(['set', 'defaults.rounds', '7']);
		assert.equal(await run(['get', 'defaults.rounds']), '7\n');
		await run(['set', 'generator.apiKey', 'sk-test-0123456789abcdef']);
		assert.equal(await run(['get', 'generator.apiKey']), '****cdef\n');
		const {file, settings: listed} = JSON.parse(await run(['list'], {json: true})) as {file: string; settings: {key: string; value: string; source: string}[]};
		assert.equal(file, path.join(dir, 'config.json'));
		assert.match(await run(['list']), new RegExp(`\nsettings file: ${file.replaceAll('.', '\\.')}\n$`));
		assert.deepEqual(listed.find(l => l.key === 'defaults.rounds'), {key: 'defaults.rounds', value: '7', source: 'set', about: 'rounds per run'});
		assert.ok(!JSON.stringify(listed).includes('0123456789'));
		await run(['unset', 'defaults.rounds']);
		assert.equal(await run(['get', 'defaults.rounds']), '5\n');
	} finally {
		if (before === undefined) delete process.env.GMPO_CONFIG_DIR;
		else process.env.GMPO_CONFIG_DIR = before;
	}
});

test('optimize with an OpenAI-compatible generator (loopback server): its edits become candidates, tokens are counted, the key stays out of the session', async () => {
	const {startChatServer} = await import('../generators/chat-server.js');
	const edits = {
		edits: [
			{segment: 's2', op: 'delete', text: '', rationale: 'harmful'},
			{segment: 's4', op: 'replace', text: 'Add kind words.', rationale: 'kinder'},
		],
	};
	const server = await startChatServer([{content: JSON.stringify(edits)}]);
	try {
		const dir = tempDir();
		const key = 'sk-loopback-secret-0123456789';
		const deps = world(path.join(dir, 'sessions'), {env: {OPENAI_API_KEY: key}});
		const flags = {auto: true, json: true, rounds: '1', generator: 'openai', baseUrl: server.url, model: 'test-model'};
		assert.equal(await createOptimizeCommand(deps).run([taskFile(dir)], flags), 0);
		const summary = JSON.parse(deps.stdout.text) as RunSummary;
		assert.equal(summary.generatorTokens, 120);
		assert.equal(summary.accepted, 1);
		const {state} = loadSession(summary.session, {dir: deps.sessionsDir});
		assert.deepEqual(state.rounds[0].candidates.map(c => c.source), ['openai:test-model', 'openai:test-model']);
		assert.deepEqual(state.generator, {kind: 'openai', model: 'test-model', baseUrl: server.url});
		assert.equal(server.received[0].headers.authorization, `Bearer ${key}`);
		const files = fs.readdirSync(path.join(deps.sessionsDir, summary.session));
		for (const f of files) assert.ok(!fs.readFileSync(path.join(deps.sessionsDir, summary.session, f), 'utf8').includes(key), `${f} holds no key`);
	} finally {
		await server.close();
	}
});

test('resume --rounds N means N more rounds: a finished session goes on, and a spent one says how to continue', async () => {
	const dir = tempDir();
	const deps = world(path.join(dir, 'sessions'));
	assert.equal(await createOptimizeCommand(deps).run([taskFile(dir)], {auto: true, json: true, judges: 'a,b', rounds: '2'}), 0);
	const id = (JSON.parse(deps.stdout.text) as RunSummary).session;
	const spent = world(deps.sessionsDir);
	assert.equal(await createResumeCommand(spent).run([id], {auto: true, json: true}), 0);
	assert.equal((JSON.parse(spent.stdout.text) as RunSummary).rounds, 2, 'without --rounds: the task total, already reached');
	assert.match(spent.stderr.text, /note: the session has done 2 round\(s\); pass --rounds N to do N more/);
	const more = world(deps.sessionsDir);
	assert.equal(await createResumeCommand(more).run([id], {auto: true, json: true, rounds: '2'}), 0);
	assert.equal((JSON.parse(more.stdout.text) as RunSummary).rounds, 4, '2 done + 2 more');
	assert.match(more.stderr.text, /^round 4\/4: /m);
});

test('score prints the loss per judge as a table, held-out judges marked', async () => {
	const dir = tempDir();
	const deps = world(path.join(dir, 'sessions'));
	assert.equal(await createScoreCommand(deps).run([taskFile(dir)], {judges: 'a,b'}), 0);
	assert.match(deps.stdout.text, /^task toy: test split, 2 example\(s\), 4 segments$/m);
	assert.match(deps.stdout.text, /^│ JUDGE │ HELD OUT │ LOSS \(nats\/token\) │$/m);
	assert.match(deps.stdout.text, /^│ a +│ +│ +\d+\.\d{4} │$/m);
});
