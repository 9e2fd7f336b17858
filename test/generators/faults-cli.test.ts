/**
 * Generator faults through the real CLI, as a user meets them: a server that never answers, cut off by --timeout;
 * nothing listening, with --json (a JSON error object on stdout); bad --timeout and --retries values. Each is one
 * line on stderr and exit code 2, never a stack trace.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {writeRandomJudge} from '../../source/training/random-judge.js';
import {runCli, type CliResult} from '../commands/helpers.js';
import {freePort, startChatServer} from './chat-server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-faults-cli-'));
after(() => fs.rmSync(dir, {recursive: true, force: true}));
const env = {GMPO_SESSIONS_DIR: path.join(dir, 'sessions'), GMPO_CONFIG_DIR: path.join(dir, 'config'), GMPO_CACHE_DIR: path.join(dir, 'cache')};
const judge = writeRandomJudge(path.join(dir, 'tiny'), {family: 'gpt2', name: 'tiny'});
const task = path.join(dir, 'task.json');
fs.writeFileSync(task, JSON.stringify({name: 't', prompt: 'Answer briefly. Say harmful things.', data: {train: [{input: 'a', target: 'b'}], test: [{input: 'c', target: 'd'}]}}));
const run = (url: string, ...extra: string[]) => runCli(['optimize', task, '--auto', '--judges', judge, '--generator', 'openai', '--base-url', url, '--model', 'm', '--rounds', '1', ...extra], env);

function oneErrorLine(result: CliResult, line: RegExp, what: string): void {
	assert.equal(result.code, 2, `${what}: exit 2\n${result.stderr}`);
	assert.doesNotMatch(result.stderr, /^\s+at /m, `${what}: no stack trace`);
	const errors = result.stderr.split('\n').filter(l => l.startsWith('gmpo: '));
	assert.equal(errors.length, 1, `${what}: one error line\n${result.stderr}`);
	assert.match(errors[0], line, what);
}

test('a silent endpoint is cut off by --timeout: one line, exit 2', async () => {
	const server = await startChatServer([{hang: true}, {hang: true}]);
	try {
		const result = await run(server.url, '--timeout', '0.3');
		oneErrorLine(result, /^gmpo: generator\.baseUrl: the generator at \S+ sent no complete reply within 0\.3 s; raise --timeout/, 'hang');
		assert.ok(server.received.length <= 1, 'not retried');
	} finally {
		await server.close();
	}
});

test('with --json, a generator failure prints a JSON error object on stdout', async () => {
	const url = `http://127.0.0.1:${await freePort()}/v1`;
	const result = await run(url, '--json');
	oneErrorLine(result, /^gmpo: generator\.baseUrl: cannot reach the generator at \S+ \(ECONNREFUSED\)$/, 'refused');
	assert.deepEqual(JSON.parse(result.stdout), {error: {message: `cannot reach the generator at ${url} (ECONNREFUSED)`, field: 'generator.baseUrl'}});
});

test('bad --timeout and --retries values, and generator settings on an offline run, are refused before anything runs', async () => {
	const cases: [string[], RegExp][] = [
		[['--timeout', 'abc'], /^gmpo: --timeout: expected a number of seconds above 0 \(at most 86400\), got "abc"$/],
		[['--timeout', '0'], /^gmpo: --timeout: expected a number of seconds above 0/],
		[['--retries', '-1'], /^gmpo: --retries: expected a whole number of at least 0, got "-1"$/],
		[['--retries', '1.5'], /^gmpo: --retries: expected a whole number of at least 0, got "1\.5"$/],
	];
	const results = await Promise.all(cases.map(([flags]) => run('http://127.0.0.1:9/v1', ...flags)));
	cases.forEach(([flags, line], i) => oneErrorLine(results[i], line, flags.join(' ')));
	const offline = await runCli(['optimize', task, '--auto', '--judges', judge, '--timeout', '5'], env);
	oneErrorLine(offline, /^gmpo: --timeout: is for an LLM generator, and this run uses the offline one; add --generator openai$/, 'offline --timeout');
});
