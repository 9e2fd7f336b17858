/**
 * Judges on an inference server, against a loopback server that speaks vLLM's and SGLang's protocols and computes
 * real log-probabilities with a bundled judge's model: the losses and leave-one-out importances equal the local
 * judge's, and greedy answers too; what opening checks, and what each bad input gets.
 */
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {ServerJudge} from '../../source/judges/server-judge.js';
import {tokenizerFromJson} from '../../source/judges/tokenizer.js';
import {JudgeUnavailableError} from '../../source/judges/types.js';
import {freePort} from '../generators/chat-server.js';
import {tempDir} from '../engine/fakes.js';
import {byteLevelTokenizerJson, makeFolder} from './fixtures.js';
import {startJudgeServer, type JudgeServer} from './judge-server.js';
import {mirroredDir, writeServerJudge} from './server-fixtures.js';

process.env.GMPO_CACHE_DIR = tempDir('gmpo-cache-');
const pool = new OrtPool({workers: 2});
let server: JudgeServer;
let local: OnnxJudge;
before(async () => {
	server = await startJudgeServer({judgeDir: mirroredDir(), pool});
	local = await OnnxJudge.open(mirroredDir(), {pool});
});
after(async () => {
	await server.close();
	await pool.close();
});

const SEGMENTS = ['You are a helpful assistant. ', 'Convert the word to uppercase. ', 'Answer in lowercase. ', 'Be brief.'];
const EXAMPLES = [
	{input: 'apple', target: 'APPLE'},
	{input: 'mountain', target: 'MOUNTAIN'},
	{input: 'a much longer input with many more words in it', target: 'X'},
	{input: 'pear', target: 'PEAR'},
	{input: 'river', target: 'RIVER'},
];
/** A sleep that returns at once and records what it was asked to wait. */
const recorder = () => {
	const waits: number[] = [];
	return {waits, sleep: async (ms: number) => void waits.push(ms)};
};

const close = (a: number, b: number, tolerance = 1e-5) => Math.abs(a - b) <= tolerance;

for (const engine of ['vllm', 'sglang'] as const) {
	test(`${engine}: a server judge's losses and deletion leave-one-out equal the local judge's to 1e-5`, async () => {
		const judge = await ServerJudge.open(writeServerJudge({url: server.url, engine, batchSize: 4}));
		assert.equal(judge.info.gradient.available, false);
		assert.equal(judge.info.contextLength, local.info.contextLength);
		const expected = await local.score(SEGMENTS, EXAMPLES);
		const got = await judge.score(SEGMENTS, EXAMPLES);
		assert.deepEqual(got.targetTokens, expected.targetTokens);
		got.losses.forEach((l, e) => assert.ok(close(l, expected.losses[e]!), `example ${e}: server ${l}, local ${expected.losses[e]}`));

		const before = server.scoringRequests().length;
		const loo = await judge.attribute(SEGMENTS, EXAMPLES);
		assert.equal(loo.method, 'loo');
		assert.match(loo.fallbackReason ?? '', /returns log-probabilities, not gradients/);
		const sequences = (SEGMENTS.length + 1) * EXAMPLES.length;
		assert.equal(server.scoringRequests().length - before, Math.ceil(sequences / 4), 'K+1 sequences per example, in batches of 4 that mix prompts');
		assert.equal(loo.passes, Math.ceil(sequences / 4));
		for (let k = 0; k < SEGMENTS.length; k++) {
			const without = await local.score(SEGMENTS.map((s, i) => (i === k ? '' : s)), EXAMPLES);
			EXAMPLES.forEach((_, e) => {
				const want = without.losses[e]! - expected.losses[e]!;
				assert.ok(close(loo.importance[e]![k]!, want), `segment ${k}, example ${e}: ${loo.importance[e]![k]} vs ${want}`);
			});
		}
		await judge.close();
	});

	test(`${engine}: greedy answers of a server judge are the local judge's`, async () => {
		const judge = await ServerJudge.open(writeServerJudge({url: server.url, engine}));
		const inputs = ['apple', 'river'];
		const answers = await judge.generate(SEGMENTS, inputs, 8);
		assert.ok(answers.every(a => a.length > 0), `the judge says something: ${JSON.stringify(answers)}`);
		assert.deepEqual(answers, await local.generate(SEGMENTS, inputs, 8));
	});
}

test('scoreMany sends every prompt x example sequence at once and settles each prompt with its own losses', async () => {
	const judge = await ServerJudge.open(writeServerJudge({url: server.url, batchSize: 3, concurrency: 2}));
	const prompts = [SEGMENTS, SEGMENTS.slice(1), SEGMENTS.slice(2)];
	const before = server.scoringRequests().length;
	const results = await Promise.all(judge.scoreMany(prompts, EXAMPLES));
	assert.equal(server.scoringRequests().length - before, Math.ceil((prompts.length * EXAMPLES.length) / 3));
	for (const [p, segments] of prompts.entries()) {
		const expected = await local.score(segments, EXAMPLES);
		results[p]!.losses.forEach((l, e) => assert.ok(close(l, expected.losses[e]!), `prompt ${p}, example ${e}`));
	}
});

test('a prompt too long for the judge fails alone; the others are scored', async () => {
	// On vLLM a sequence may take maxTokens less the one token generated after the echoed prompt.
	const judge = await ServerJudge.open(writeServerJudge({url: server.url, maxTokens: 60}));
	const long = [SEGMENTS.join('').repeat(6)];
	const [ok, tooLong] = judge.scoreMany([SEGMENTS.slice(3), long], EXAMPLES.slice(0, 2));
	await assert.rejects(tooLong!, (error: Error) => !(error instanceof JudgeUnavailableError) && /judge "served": an example is \d+ tokens long, more than the judge's 59/.test(error.message));
	assert.equal((await ok!).losses.length, 2);
});

test('behind an ingress without /tokenize (Ray Serve), the tokenizer is checked with an echoed probe', async () => {
	const ingress = await startJudgeServer({judgeDir: mirroredDir(), pool, noTokenize: true});
	const other = await startJudgeServer({judgeDir: mirroredDir(), pool, noTokenize: true, tokenizer: await tokenizerFromJson(await byteLevelTokenizerJson())});
	try {
		const judge = await ServerJudge.open(writeServerJudge({url: ingress.url}));
		assert.ok(ingress.received.some(r => r.path === '/tokenize'), '/tokenize was tried first');
		assert.ok(ingress.received.some(r => r.path === '/v1/completions' && typeof r.body?.prompt === 'string'), 'then the echoed probe');
		assert.equal((await judge.score(SEGMENTS, EXAMPLES.slice(0, 2))).losses.length, 2);
		await assert.rejects(ServerJudge.open(writeServerJudge({url: other.url})), {message: /the server tokenises a probe text differently from the tokenizer folder/});
	} finally {
		await ingress.close();
		await other.close();
	}
});

test('the API key comes from the variable apiKeyEnv names, is sent as a Bearer token and never shows in a message', async () => {
	const secret = 'sk-test-0123456789';
	const guarded = await startJudgeServer({judgeDir: mirroredDir(), pool, apiKey: secret});
	try {
		const dir = writeServerJudge({url: guarded.url, apiKeyEnv: 'GMPO_TEST_KEY'});
		await assert.rejects(ServerJudge.open(dir, {env: {}}), {message: /judge "served": the environment variable GMPO_TEST_KEY \(named by apiKeyEnv\) is not set/});
		const judge = await ServerJudge.open(dir, {env: {GMPO_TEST_KEY: secret}});
		assert.ok(guarded.received.every(r => r.headers.authorization === `Bearer ${secret}`));
		assert.equal((await judge.score(SEGMENTS, EXAMPLES.slice(0, 1))).losses.length, 1);
		const wrong = await ServerJudge.open(dir, {env: {GMPO_TEST_KEY: 'sk-wrong'}}).then(
			() => assert.fail('a wrong key is refused'),
			(error: Error) => error.message,
		);
		assert.match(wrong, /HTTP 401 .*name its environment variable in "apiKeyEnv"/);
		assert.doesNotMatch(wrong, /sk-/);
	} finally {
		await guarded.close();
	}
});

test('bad input at open: one line naming the judge and what was expected', async () => {
	// Unreachable: nothing listens on the port; connection errors are retried, then reported.
	const port = await freePort();
	const {waits, sleep} = recorder();
	await assert.rejects(ServerJudge.open(writeServerJudge({url: `http://127.0.0.1:${port}`, retries: 2}), {http: {sleep}}), {
		name: 'JudgeUnavailableError',
		message: new RegExp(`^judge "served": GET http://127.0.0.1:${port}/v1/models failed: ECONNREFUSED \\(3 attempts\\); is the server up, and the url in judge.json right\\?$`),
	});
	assert.equal(waits.length, 2);

	// The wrong model name: the served ones are listed.
	await assert.rejects(ServerJudge.open(writeServerJudge({url: server.url, model: 'Qwen/Qwen2.5-7B'})), (error: Error & {line?: string}) =>
		/judge\.json: model: judge "served": the server at http:\/\/127\.0\.0\.1:\d+ does not serve model "Qwen\/Qwen2.5-7B"; it serves: served-model$/.test(error.line ?? ''),
	);

	// A server of another model: its tokenizer disagrees with the folder's, for both engines' probes.
	const other = await startJudgeServer({judgeDir: mirroredDir(), pool, tokenizer: await tokenizerFromJson(await byteLevelTokenizerJson())});
	try {
		for (const engine of ['vllm', 'sglang'] as const) {
			await assert.rejects(ServerJudge.open(writeServerJudge({url: other.url, engine})), (error: Error & {line?: string}) =>
				/judge\.json: tokenizer: judge "served": the server tokenises a probe text differently from the tokenizer folder .*llama-a \(\d+ tokens there, \d+ here; token \d+: server \d+, folder \d+ ".*"\); point "tokenizer" at the files of the model the server serves$/.test(error.line ?? ''),
			);
		}
	} finally {
		await other.close();
	}

	// An engine that cannot return prompt log-probabilities (Ollama, llama.cpp's server).
	const ollama = await startJudgeServer({judgeDir: mirroredDir(), pool, noPromptLogprobs: true});
	try {
		for (const engine of ['vllm', 'sglang'] as const) {
			await assert.rejects(ServerJudge.open(writeServerJudge({url: ollama.url, engine})), {
				name: 'JudgeUnavailableError',
				message: /^judge "served": the answer to POST \/(v1\/completions|generate) is not what (vLLM|SGLang) sends: no (logprobs\.token_logprobs|meta_info\.input_token_logprobs).*; is "engine" in judge\.json right\?$/,
			});
		}
	} finally {
		await ollama.close();
	}

	// judge.json mistakes: named by field; a key written into judge.json is refused.
	const cases: [Record<string, unknown>, RegExp][] = [
		[{engine: 'ollama'}, /engine: expected "vllm" or "sglang"/],
		[{url: 'localhost:8000'}, /url: expected an http:\/\/ or https:\/\/ URL/],
		[{apiKey: 'sk-123'}, /apiKey: a key is never stored in judge\.json/],
		[{apiKeyEnv: 'sk-abc-123'}, /apiKeyEnv: expected the NAME of an environment variable/],
		[{tokenizer: 'no-such-folder'}, /no-such-folder.*tokenizer\.json: tokenizer: tokenizer file not found/],
	];
	for (const [fields, message] of cases) {
		await assert.rejects(ServerJudge.open(writeServerJudge({url: server.url, ...fields} as never)), (error: Error & {line?: string}) => message.test(error.line ?? error.message));
	}
});

test('429 with retry-after, 500, 503 and a dropped connection are retried (the wait honours retry-after); the scores are right', async () => {
	const {waits, sleep} = recorder();
	const judge = await ServerJudge.open(writeServerJudge({url: server.url}), {http: {sleep, baseDelayMs: 10}});
	const expected = await local.score(SEGMENTS, EXAMPLES);
	server.faults.push({status: 429, retryAfter: '3'}, {status: 500}, {status: 503}, {drop: true});
	const got = await judge.score(SEGMENTS, EXAMPLES);
	got.losses.forEach((l, e) => assert.ok(close(l, expected.losses[e]!)));
	assert.equal(waits.length, 4);
	assert.ok(waits[0]! >= 3000, `the first wait honours retry-after: 3 (${waits[0]} ms)`);
	assert.ok(waits.slice(1).every(w => w <= 80), `later waits are the backoff from 10 ms, doubling (${waits.join(', ')})`);

	// A server asking for a longer wait than the judge accepts ends the retries with one line.
	server.faults.push({status: 429, retryAfter: '600'});
	await assert.rejects(judge.score(SEGMENTS, EXAMPLES), {message: /^judge "served": POST .*\/v1\/completions answered HTTP 429 \(scripted 429\) and asks to wait 600 s, more than 60 s$/});
});

test('faults that retrying cannot help: persistent 503, a hang, a trickling body, malformed JSON, a model gone: one line each', async () => {
	const {sleep} = recorder();
	const judge = await ServerJudge.open(writeServerJudge({url: server.url, engine: 'sglang', retries: 2}), {http: {sleep}});
	server.faults.push({status: 503}, {status: 503}, {status: 503});
	await assert.rejects(judge.score(SEGMENTS, EXAMPLES), {name: 'JudgeUnavailableError', message: /^judge "served": POST .*\/generate answered HTTP 503 \(scripted 503\) \(3 attempts\)$/});

	// The total timeout covers the whole answer: never answering, and answering a body that never ends.
	judge.parts.client.policy.timeoutMs = 300;
	server.faults.push({hang: true});
	await assert.rejects(judge.score(SEGMENTS, EXAMPLES), {message: /^judge "served": POST .*\/generate: no answer within 300 ms; raise "timeoutMs" in judge\.json if the server is just slow$/});
	server.faults.push({trickle: true});
	await assert.rejects(judge.score(SEGMENTS, EXAMPLES), {message: /^judge "served": POST .*\/generate: HTTP 200, but the answer did not arrive in full within 300 ms/});
	judge.parts.client.policy.timeoutMs = 120_000;

	server.faults.push({malformed: true});
	await assert.rejects(judge.score(SEGMENTS, EXAMPLES), {message: /^judge "served": POST .*\/generate answered with malformed JSON \("\{\\"choices\\": \[/});

	// After all that, the judge still works.
	assert.equal((await judge.score(SEGMENTS, EXAMPLES)).losses.length, EXAMPLES.length);

	// The server restarted with another model: vLLM says the model does not exist.
	const vllm = await ServerJudge.open(writeServerJudge({url: server.url}));
	server.served = 'another-model';
	try {
		await assert.rejects(vllm.score(SEGMENTS, EXAMPLES), {name: 'JudgeUnavailableError', message: /^judge "served": POST .*\/v1\/completions answered HTTP 404: The model `served-model` does not exist\.$/});
	} finally {
		server.served = 'served-model';
	}
});

test('scoring is cancelled by its AbortSignal, also while a request hangs; nothing is left unhandled', async () => {
	const judge = await ServerJudge.open(writeServerJudge({url: server.url, batchSize: 1, concurrency: 1}));
	const unhandled: unknown[] = [];
	const onUnhandled = (reason: unknown) => unhandled.push(reason);
	process.on('unhandledRejection', onUnhandled);
	try {
		server.faults.push({hang: true});
		const controller = new AbortController();
		const requests = server.scoringRequests().length;
		const scored = judge.scoreMany([SEGMENTS, SEGMENTS.slice(1)], EXAMPLES, controller.signal);
		while (server.scoringRequests().length === requests) await new Promise(resolve => setTimeout(resolve, 5));
		controller.abort();
		for (const p of scored) await assert.rejects(p, {name: 'AbortError'});
		assert.equal(server.scoringRequests().length, requests + 1, 'the queued requests were never sent');
		await new Promise(resolve => setTimeout(resolve, 20));
	} finally {
		process.off('unhandledRejection', onUnhandled);
	}
	assert.deepEqual(unhandled, []);
});

test('a judge folder with an unknown kind says which kinds there are; a server judge where a model folder is needed says so', async () => {
	const {loadJudgeFolder} = await import('../../source/judges/judge-folder.js');
	const {dir, cleanup} = await makeFolder({'judge.json': {kind: 'remote', name: 'x'}});
	try {
		await assert.rejects(loadJudgeFolder(dir), (error: Error & {line?: string}) => /judge\.json: kind: expected "onnx" \(a model folder, the default\) or "server"/.test(error.line ?? ''));
	} finally {
		await cleanup();
	}
	await assert.rejects(loadJudgeFolder(writeServerJudge({url: server.url})), (error: Error & {line?: string}) =>
		/judge\.json: kind: a judge on an inference server: this needs a local model folder \(kind "onnx"\)$/.test(error.line ?? ''),
	);
});
