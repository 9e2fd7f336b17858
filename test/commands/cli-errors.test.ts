/**
 * Malformed inputs through the real CLI (a child process, as a user runs it): each gives one clear line naming what
 * is wrong, a non-zero exit and no stack trace, and the sessions already saved are left exactly as they were.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {autoDecide, Engine} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {startChatServer} from '../generators/chat-server.js';
import {writeTinyJudge} from '../helpers/tiny-judge.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from '../engine/fakes.js';
import {runCli, type CliResult} from './helpers.js';

/** Every file under a folder with its bytes. */
function snapshot(dir: string): Map<string, string> {
	const out = new Map<string, string>();
	const walk = (d: string) => {
		for (const e of fs.readdirSync(d, {withFileTypes: true})) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else out.set(path.relative(dir, p), fs.readFileSync(p, 'base64'));
		}
	};
	walk(dir);
	return out;
}

/** Runs at most `limit` at once (two cores are shared). */
async function pooled<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({length: limit}, async () => {
			while (next < items.length) {
				const i = next++;
				results[i] = await fn(items[i]);
			}
		}),
	);
	return results;
}

function assertOneLine(name: string, result: CliResult, expected: RegExp, alone: boolean): void {
	const lines = result.stderr.trimEnd().split('\n');
	const where = `${name}: stderr was\n${result.stderr}`;
	assert.notEqual(result.code, 0, `${name}: non-zero exit`);
	assert.equal(result.code, 2, `${name}: exit code 2 for a user mistake`);
	assert.doesNotMatch(result.stderr, /^\s+at /m, `${name}: no stack trace`);
	assert.equal(lines.filter(l => l.startsWith('gmpo: ')).length, 1, `${name}: one error line. ${where}`);
	if (alone) assert.equal(lines.length, 1, `${name}: nothing but the error line. ${where}`);
	assert.match(lines.at(-1)!, expected, where);
}

test('malformed inputs get one clear line, exit 2, no stack trace, and leave saved sessions intact', async () => {
	const dir = tempDir('gmpo-cli-errors-');
	const sessions = path.join(dir, 'sessions');
	const configDir = path.join(dir, 'config');
	// Saved sessions: a good one, one with a corrupt log line, one with a broken task snapshot, one locked.
	const task = makeTask({rounds: 2});
	const good = makeSession(task, {dir: sessions});
	await new Engine({session: good, judges: [new FakeJudge('a', {rules: toyRules})], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide}).run();
	good.close();
	const copy = (name: string) => {
		const to = path.join(sessions, name);
		fs.cpSync(good.dir, to, {recursive: true});
		// A session's log names its folder; a copy under another name is renamed in its log too, so each copy is
		// refused for its own fault, not as a foreign log.
		const log = path.join(to, 'events.jsonl');
		fs.writeFileSync(log, fs.readFileSync(log, 'utf8').replace(`"id":"${good.id}"`, `"id":"${name}"`));
		return to;
	};
	const corrupt = copy('corrupt');
	const events = fs.readFileSync(path.join(corrupt, 'events.jsonl'), 'utf8').split('\n');
	events[2] = '{"v":1,"seq":3,"type":';
	fs.writeFileSync(path.join(corrupt, 'events.jsonl'), events.join('\n'));
	fs.writeFileSync(path.join(copy('notask'), 'task.json'), '{"name": "t",');
	fs.writeFileSync(path.join(copy('locked'), '.lock'), `${process.pid}\n`);
	const before = snapshot(sessions);

	const file = (name: string, text: string) => {
		const p = path.join(dir, name);
		fs.writeFileSync(p, text);
		return p;
	};
	const valid = {name: 't', prompt: 'Answer briefly. Say harmful things.', data: {train: [{input: 'a', target: 'b'}, {input: 'c', target: 'd'}], test: [{input: 'e', target: 'f'}]}};
	const taskFile = file('task.json', JSON.stringify(valid));
	file('train.jsonl', '{"input":"a","target":"b"}\n{"input": "c", target: "d"}\n');
	const tiny = writeTinyJudge({family: 'gpt2', name: 'tiny'});
	const emptyFolder = fs.mkdtempSync(path.join(dir, 'judge-'));
	const server = await startChatServer([{content: 'this is not json'}, {content: '{"edits": "nope"}'}]);
	const env = {GMPO_SESSIONS_DIR: sessions, GMPO_CONFIG_DIR: configDir};

	// [name, args, the error line, whether it is the only line on stderr]
	const cases: [string, string[], RegExp, boolean][] = [
		['no task', ['optimize'], /^gmpo: missing argument <task>; usage: gmpo optimize <task>/, true],
		['missing task file', ['optimize', path.join(dir, 'nope.yaml'), '--auto'], /^gmpo: \S*nope\.yaml: no such file$/, true],
		['YAML syntax', ['optimize', file('syntax.yaml', 'name: [\nprompt: x\n'), '--auto'], /^gmpo: \S*syntax\.yaml: line \d+: not valid YAML \(.+\)$/, true],
		['wrong type', ['optimize', file('type.json', JSON.stringify({...valid, data: {...valid.data, train: [{input: 1, target: 'b'}]}})), '--auto'], /^gmpo: \S*type\.json: data\.train\[0\]\.input: expected string, got number$/, true],
		['unknown field', ['optimize', file('field.json', JSON.stringify({...valid, promt: 'x'})), '--auto'], /^gmpo: \S*field\.json: promt: unknown field$/, true],
		['bad JSONL line', ['optimize', file('jsonl.json', JSON.stringify({...valid, data: {...valid.data, train: 'train.jsonl'}})), '--auto'], /^gmpo: \S*train\.jsonl: line 2: not valid JSON \(.+\)$/, true],
		['--rounds not a number', ['optimize', taskFile, '--auto', '--rounds', 'abc'], /^gmpo: --rounds: expected a whole number of at least 1, got "abc"$/, true],
		['--rounds zero', ['optimize', taskFile, '--auto', '--rounds', '0'], /^gmpo: --rounds: expected a whole number of at least 1, got "0"$/, true],
		['unknown generator', ['optimize', taskFile, '--auto', '--generator', 'gpt'], /^gmpo: --generator: expected offline, openai, textual, got "gpt"$/, true],
		['bad --racing', ['optimize', taskFile, '--auto', '--racing', 'yes'], /^gmpo: --racing: expected on or off, got "yes"$/, true],
		['--racing on resume', ['resume', 'locked', '--auto', '--racing', 'off'], /^gmpo: --racing: not a flag of gmpo resume; gmpo help resume lists the flags$/, true],
		['empty judge name', ['optimize', taskFile, '--auto', '--judges', 'a,,b'], /^gmpo: --judges: expected names separated by commas, got "a,,b"$/, true],
		['unknown judge', ['optimize', taskFile, '--auto', '--judges', 'no-such-judge'], /^gmpo: judges: unknown judge "no-such-judge"/, true],
		['judge folder without judge.json', ['optimize', taskFile, '--auto', '--judges', emptyFolder], /^gmpo: \S+judge\.json: missing judge\.json/, true],
		['every judge held out', ['optimize', taskFile, '--auto', '--judges', tiny, '--heldout', tiny], /^gmpo: --heldout: every judge is held out \(tiny\); keep at least one for selection$/, true],
		['openai without a key', ['optimize', taskFile, '--auto', '--generator', 'openai'], /^gmpo: --generator: the openai generator needs an API key/, true],
		['bad --base-url', ['optimize', taskFile, '--auto', '--generator', 'openai', '--base-url', 'localhost:8000'], /^gmpo: --base-url: expected an http\(s\) URL, got "localhost:8000"$/, true],
		['malformed generator replies', ['optimize', taskFile, '--auto', '--judges', tiny, '--generator', 'openai', '--base-url', server.url, '--model', 'test-model', '--rounds', '1'], /^gmpo: generator: the generator model test-model returned malformed edits twice: .+$/, false],
		['unknown session', ['resume', 'no-such-session', '--auto'], /^gmpo: session: no session "no-such-session" in \S+$/, true],
		['corrupt session log', ['resume', 'corrupt', '--auto'], /^gmpo: \S+corrupt\/events\.jsonl: line 3: not valid JSON \(.+\)$/, true],
		['broken task snapshot', ['resume', 'notask', '--auto'], /^gmpo: \S+notask\/task\.json: not valid JSON \(.+\)$/, true],
		['session in use', ['resume', 'locked', '--auto'], /^gmpo: \S+locked\/\.lock: the session is open in another gmpo process \(pid \d+\)/, true],
		['not a session id', ['export', '../escape'], /^gmpo: session: "\.\.\/escape" is not a session id$/, true],
		['eval without a prompt', ['eval', taskFile], /^gmpo: --prompt: give exactly one of --prompt FILE and --session ID$/, true],
		['eval prompt file missing', ['eval', taskFile, '--prompt', path.join(dir, 'missing.txt')], /^gmpo: \S*missing\.txt: no such file$/, true],
		['unknown setting', ['config', 'set', 'nope', '1'], /^gmpo: nope: unknown setting "nope"; settings are /, true],
		['bad setting value', ['config', 'set', 'defaults.rounds', 'abc'], /^gmpo: defaults\.rounds: invalid value "abc": expected a whole number from 1 to 1000$/, true],
		['extra argument', ['sessions', 'x'], /^gmpo: unexpected argument "x"; usage: gmpo sessions/, true],
	];
	try {
		const results = await pooled(cases, 2, ([, args]) => runCli(args, env));
		cases.forEach(([name, , expected, alone], i) => assertOneLine(name, results[i], expected, alone));
		assert.ok(cases.length >= 15);
		assert.equal(server.received.length, 2, 'one request and one repair attempt');
	} finally {
		await server.close();
	}
	const after = snapshot(sessions);
	for (const [name, bytes] of before) assert.equal(after.get(name), bytes, `${name} is unchanged`);
	const created = [...new Set([...after.keys()].map(k => k.split(path.sep)[0]))].filter(d => ![...before.keys()].some(k => k.startsWith(`${d}${path.sep}`)));
	assert.equal(created.length, 0, 'no run left a session (the one whose generator failed mid-round removed its own)');
});
