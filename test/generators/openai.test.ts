import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {createOpenAiGenerator, type OpenAiOptions} from '../../source/generators/openai.js';
import {freePort, startChatServer, type ChatServer, type Reply} from './chat-server.js';
import {manualClock, sampleRequest, validReply} from './fixtures.js';

const key = 'sk-test-0123456789abcdefghij';
let server: ChatServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function generatorFor(replies: Reply[], options: Partial<OpenAiOptions> = {}) {
	server = await startChatServer(replies);
	return createOpenAiGenerator({baseUrl: server.url, model: 'test-model', apiKey: key, retries: 3, retryBaseDelayMs: 1, ...options});
}

const signal = () => new AbortController().signal;

test('sends model, messages and a JSON-schema response_format, and returns validated edits with usage', async () => {
	const generator = await generatorFor([{content: validReply}]);
	const proposal = await generator.propose(sampleRequest(), signal());
	assert.equal(generator.name, 'openai:test-model');
	assert.equal(server!.received.length, 1);
	const {path, headers, body} = server!.received[0];
	assert.equal(path, '/v1/chat/completions');
	assert.equal(headers.authorization, `Bearer ${key}`);
	assert.equal(body.model, 'test-model');
	assert.deepEqual(
		body.messages.map(m => m.role),
		['system', 'user'],
	);
	const user = body.messages[1].content;
	assert.match(user, /\[s2\] \(importance -0\.300\) "Always answer in French\. "/);
	assert.match(user, /\[s3\] \(importance \+0\.050, frozen\)/);
	assert.match(user, /Reference output: Yes, refunds take five days\./);
	assert.match(user, /Propose exactly 4 different edits, editing only segments s2, s4/);
	assert.equal(body.response_format?.type, 'json_schema');
	assert.equal(body.response_format?.json_schema?.strict, true);
	const schema = JSON.stringify(body.response_format?.json_schema?.schema);
	assert.match(schema, /"enum":\["s2","s4"\]/);
	assert.match(schema, /"enum":\["replace","delete","insert_after"\]/);
	assert.equal(proposal.edits.length, 4);
	assert.deepEqual(proposal.edits[1], {segment: 's4', op: 'delete', rationale: 'refunds are allowed'});
	assert.deepEqual(proposal.usage, {promptTokens: 100, completionTokens: 20});
});

test('json_object mode for servers without schema support', async () => {
	const generator = await generatorFor([{content: validReply}], {responseFormat: 'json_object'});
	await generator.propose(sampleRequest(), signal());
	assert.deepEqual(server!.received[0].body.response_format, {type: 'json_object'});
});

test('retries a 429 and a 500, then succeeds', async () => {
	const generator = await generatorFor([{status: 429}, {status: 500}, {content: validReply}]);
	const proposal = await generator.propose(sampleRequest(), signal());
	assert.equal(server!.received.length, 3);
	assert.equal(proposal.edits.length, 4);
});

test('gives up after the configured retries with one UserError naming the URL and the status', async () => {
	const generator = await generatorFor([{status: 503}, {status: 503}, {status: 503}], {retries: 2});
	await assert.rejects(generator.propose(sampleRequest(), signal()), (error: unknown) => {
		assert.ok(error instanceof UserError);
		assert.match(error.message, new RegExp(`${server!.url.replaceAll('.', '\\.')}.*503.*3 attempts`));
		return true;
	});
	assert.equal(server!.received.length, 3);
});

test('a 400 is not retried', async () => {
	const generator = await generatorFor([{status: 400}, {content: validReply}]);
	await assert.rejects(generator.propose(sampleRequest(), signal()), {name: 'UserError', message: /400/});
	assert.equal(server!.received.length, 1);
});

test('a rejected key gives a UserError that does not contain the key', async () => {
	const generator = await generatorFor([{status: 401, body: JSON.stringify({error: {message: `Incorrect API key provided: ${key}`}})}]);
	await assert.rejects(generator.propose(sampleRequest(), signal()), (error: unknown) => {
		assert.ok(error instanceof UserError);
		assert.match(error.message, /refused the API key \(401\)/);
		assert.ok(!error.message.includes(key));
		return true;
	});
});

test('a request that takes too long is cut off at its deadline and not retried', {timeout: 60_000}, async () => {
	// The deadline passes when the server has the request (a clock the test fires), never by racing a real one.
	const clock = manualClock();
	const generator = await generatorFor([{hang: true}, {hang: true}], {timeoutMs: 100, retries: 1, deadlineTimer: clock.timer});
	server!.onRequest = () => clock.fire();
	await assert.rejects(generator.propose(sampleRequest(), signal()), {
		name: 'UserError',
		message: /sent no complete reply within 0\.1 s; raise --timeout/,
	});
	assert.equal(server!.received.length, 1, 'not retried');
});

test('a malformed reply gets one repair attempt carrying the validation error', async () => {
	const bad = JSON.stringify({edits: [{segment: 's9', op: 'rewrite', text: 'x', rationale: ''}]});
	const generator = await generatorFor([{content: bad}, {content: validReply}]);
	const proposal = await generator.propose(sampleRequest(), signal());
	assert.equal(server!.received.length, 2);
	const repair = server!.received[1].body.messages;
	assert.deepEqual(
		repair.map(m => m.role),
		['system', 'user', 'assistant', 'user'],
	);
	assert.equal(repair[2].content, bad);
	assert.match(repair[3].content, /unknown segment "s9": expected one of s2, s4/);
	assert.match(repair[3].content, /unknown op "rewrite"/);
	assert.equal(proposal.edits.length, 4);
	assert.deepEqual(proposal.usage, {promptTokens: 200, completionTokens: 40});
	assert.ok(proposal.notes?.some(n => /repaired/.test(n)));
});

test('a reply that is not JSON at all, twice, is a UserError', async () => {
	const generator = await generatorFor([{content: 'Sure! Here are some edits.'}, {content: '{"edits": ['}]);
	await assert.rejects(generator.propose(sampleRequest(), signal()), {
		name: 'UserError',
		message: /test-model returned malformed edits twice: the reply is not JSON/,
	});
	assert.equal(server!.received.length, 2);
});

test('a fenced reply is accepted; extra edits are cut to N and duplicates dropped', async () => {
	const edits = [
		{segment: 's2', op: 'delete', text: '', rationale: ''},
		{segment: 's2', op: 'delete', text: '', rationale: ''},
		{segment: 's4', op: 'replace', text: 'Never mention refunds.', rationale: 'no-op'},
		{segment: 's4', op: 'replace', text: 'Mention refunds.', rationale: ''},
		{segment: 's4', op: 'insert_after', text: 'Thank the customer.', rationale: ''},
	];
	const generator = await generatorFor([{content: '```json\n' + JSON.stringify({edits}) + '\n```'}]);
	const proposal = await generator.propose(sampleRequest({count: 2}), signal());
	assert.deepEqual(
		proposal.edits.map(e => [e.segment, e.op]),
		[
			['s2', 'delete'],
			['s4', 'replace'],
		],
	);
	assert.ok(proposal.notes?.some(n => /dropped 2/.test(n)));
	assert.ok(proposal.notes?.some(n => /kept the first 2/.test(n)));
});

test('an unreachable endpoint is one UserError naming the URL, without retries', async () => {
	const url = `http://127.0.0.1:${await freePort()}/v1`;
	const generator = createOpenAiGenerator({baseUrl: url, model: 'm', retries: 3, retryBaseDelayMs: 1});
	await assert.rejects(generator.propose(sampleRequest(), signal()), (error: unknown) => {
		assert.ok(error instanceof UserError);
		assert.equal(error.message, `cannot reach the generator at ${url} (ECONNREFUSED)`);
		assert.equal(error.field, 'generator.baseUrl');
		return true;
	});
});

test('aborting cancels the request in flight with the signal reason', async () => {
	const generator = await generatorFor([{hang: true}], {timeoutMs: 60_000});
	const controller = new AbortController();
	server!.onRequest = () => controller.abort();
	await assert.rejects(generator.propose(sampleRequest(), controller.signal), {name: 'AbortError'});
	assert.equal(server!.received.length, 1);
});

test('an already aborted signal sends nothing', async () => {
	const generator = await generatorFor([{content: validReply}]);
	const controller = new AbortController();
	controller.abort();
	await assert.rejects(generator.propose(sampleRequest(), controller.signal), {name: 'AbortError'});
	assert.equal(server!.received.length, 0);
});
