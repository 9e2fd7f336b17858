/**
 * The CLI with a judge on an inference server (the loopback server of judge-server.ts): a headless session mixing a
 * bundled local judge and a server judge runs to the end (through retried faults), a fault that retrying cannot
 * mend ends a resumed run with one line and leaves the session as it was, and `gmpo judges check` reports on the
 * server.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {RunSummary} from '../../source/commands/headless.js';
import {attributePrompt, taskObjectives} from '../../source/engine/measure.js';
import {openJudges} from '../../source/judges/judge-set.js';
import {OrtPool} from '../../source/judges/pool.js';
import {loadSession} from '../../source/sessions/store.js';
import {runCli} from '../commands/helpers.js';
import {makeTask, tempDir} from '../engine/fakes.js';
import {freePort} from '../generators/chat-server.js';
import {startJudgeServer, type JudgeServer} from './judge-server.js';
import {MIRRORED, mirroredDir, writeServerJudge} from './server-fixtures.js';

const cache = tempDir('gmpo-cache-');
process.env.GMPO_CACHE_DIR = cache;
const pool = new OrtPool({workers: 1});
let server: JudgeServer;
before(async () => {
	server = await startJudgeServer({judgeDir: mirroredDir(), pool});
});
after(async () => {
	await server.close();
	await pool.close();
});

test('a round mixing local and server judges: gradients from the local one, leave-one-out from the server one, aggregated', async () => {
	const served = writeServerJudge({url: server.url, engine: 'sglang'});
	const set = await openJudges([MIRRORED, served]);
	try {
		const task = makeTask();
		const examples = [
			{input: 'apple', target: 'APPLE'},
			{input: 'river', target: 'RIVER', weight: -1},
		];
		const segments = ['Convert the word to uppercase. ', 'Answer in lowercase. ', 'Be brief.'];
		const result = await attributePrompt({judges: set.judges, segments, examples, objectives: taskObjectives(task), signal: new AbortController().signal});
		assert.deepEqual(result.methods, {[MIRRORED]: 'gradient', served: 'loo'});
		assert.match(result.fallbacks.served!, /inference server \(sglang\) returns log-probabilities, not gradients/);
		assert.equal(result.fallbacks[MIRRORED], undefined);
		assert.equal(result.importance.served![''].length, segments.length);
		// The two judges are the same model: the same losses, whichever way they were computed.
		assert.ok(Math.abs(result.losses.served! - result.losses[MIRRORED]!) < 1e-5);
	} finally {
		await set.close();
	}
});

test('headless: a session with a bundled judge and a server judge runs through retried faults; an unmendable fault ends a resumed run with one line, the session intact', {timeout: 300_000}, async () => {
	const dir = tempDir('gmpo-server-cli-');
	const served = writeServerJudge({url: server.url, retries: 1}, tempDir('gmpo-server-judge-'));
	const env = {GMPO_SESSIONS_DIR: path.join(dir, 'sessions'), GMPO_CONFIG_DIR: path.join(dir, 'config'), GMPO_CACHE_DIR: cache};
	const args = ['examples/uppercase.yaml', '--auto', '--rounds', '2', '--judges', `${MIRRORED},${served}`, '--generator', 'offline', '--json'];
	// The judge's check when it opens passes; the round's first scoring request meets a 429, then a 503: both retried.
	server.pass = 1;
	server.faults.push({status: 429, retryAfter: '0'}, {status: 503});
	const first = await runCli(['optimize', ...args], env);
	assert.equal(first.code, 0, first.stderr);
	assert.equal(server.faults.length, 0, 'the faults were met');
	const summary = JSON.parse(first.stdout) as RunSummary;
	assert.equal(summary.rounds, 2);
	assert.deepEqual(Object.keys(summary.judges).sort(), [MIRRORED, 'served']);
	assert.ok(Number.isFinite(summary.judges.served!.after));
	const saved = loadSession(summary.session, {dir: env.GMPO_SESSIONS_DIR}).state;
	assert.deepEqual([...saved.judges].sort(), [MIRRORED, 'served']);
	assert.ok(saved.rounds.every(r => r.importance?.perJudge.served?.length === r.importance?.segmentIds.length), 'the server judge attributed every round');
	assert.ok(saved.rounds.every(r => Object.values(r.candidateLosses).every(l => Number.isFinite(l.served))), 'and scored every candidate');

	// Resumed: the server now answers 500 to every scoring request after the judge's check; requests run
	// concurrently, so each meets a 500 on both of its attempts (retries: 1).
	server.pass = 1;
	server.faults.push(...Array.from({length: 500}, () => ({status: 500})));
	const resumed = await runCli(['resume', summary.session, '--auto', '--rounds', '3', '--json'], env);
	server.faults.length = 0;
	assert.equal(resumed.code, 2, resumed.stderr);
	const lines = resumed.stderr.trim().split('\n');
	assert.match(lines.at(-1)!, /^gmpo: judge "served": POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions answered HTTP 500 \(scripted 500\) \(2 attempts\)$/);
	assert.doesNotMatch(resumed.stderr, /\n\s+at /, 'no stack trace');
	const after = loadSession(summary.session, {dir: env.GMPO_SESSIONS_DIR}).state;
	assert.equal(after.roundsDone, 2, 'the rounds done before are all there');
	assert.deepEqual(after.accepted, saved.accepted, 'nothing accepted was lost');
});

test('gmpo judges check on a server judge: reachability, model, tokenizer agreement, sample loss, latency; a dead server is one line', async () => {
	const served = writeServerJudge({url: server.url});
	const env = {GMPO_CACHE_DIR: cache};
	const ok = await runCli(['judges', 'check', served], env);
	assert.equal(ok.code, 0, ok.stderr);
	assert.match(ok.stdout, /^judge {8}served \(vllm server at http:\/\/127\.0\.0\.1:\d+, model "served-model"\)$/m);
	assert.match(ok.stdout, /^reachable {4}answers, 1 model served \(\d+ ms\)$/m);
	assert.match(ok.stdout, /^model {8}"served-model" is served \(context 256 tokens\) \(\d+ ms\)$/m);
	assert.match(ok.stdout, /^tokenizer {4}agrees with .*llama-a\/tokenizer\.json on a \d+-token probe \(\d+ ms\)$/m);
	assert.match(ok.stdout, /^sample loss  \d+\.\d{4} nats\/token$/m);
	const json = await runCli(['judges', 'check', served, '--json'], env);
	const report = JSON.parse(json.stdout) as {steps: {step: string; latencyMs: number}[]; sampleLoss: number};
	assert.deepEqual(report.steps.map(s => s.step), ['reachable', 'model', 'tokenizer', 'sample']);
	assert.ok(report.sampleLoss > 0);

	const dead = writeServerJudge({url: `http://127.0.0.1:${await freePort()}`, retries: 0});
	const down = await runCli(['judges', 'check', dead], env);
	assert.equal(down.code, 2);
	assert.match(down.stdout, /^reachable {4}FAILED$/m);
	assert.match(down.stdout, /^tokenizer {4}not checked$/m);
	assert.equal(down.stderr, `gmpo: judge "served": GET ${/http:\S+models/.exec(down.stderr)?.[0]} failed: ECONNREFUSED (1 attempt); is the server up, and the url in judge.json right?\n`);
});
