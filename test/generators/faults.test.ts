/**
 * Generator faults against a real loopback HTTP server (node:http on 127.0.0.1, port 0): a 200 whose JSON is cut
 * short, a connection dropped mid-reply, a body that trickles forever, a server that never answers, a 501 HTML page,
 * a 503, nothing listening. Each ends in one UserError line (retried first when another try can help), and no request
 * outlives its deadline, whatever the server does: the deadlines here are small and must fire, since the server
 * never finishes; no test depends on how long anything takes.
 */
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {createOpenAiChatClient, createOpenAiGenerator, excerpt, type OpenAiOptions} from '../../source/generators/openai.js';
import {DeadlineError, withDeadline, type RetryNotice} from '../../source/core/retry.js';
import {freePort, startChatServer, type ChatServer, type Reply} from './chat-server.js';
import {sampleRequest, validReply} from './fixtures.js';

let server: ChatServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function generatorFor(replies: Reply[], options: Partial<OpenAiOptions> = {}) {
	server = await startChatServer(replies);
	return createOpenAiGenerator({baseUrl: server.url, model: 'test-model', retries: 2, retryBaseDelayMs: 1, ...options});
}

/** Proposes, collecting the retry notices; returns them with the error (if any). */
async function propose(generator: ReturnType<typeof createOpenAiGenerator>) {
	const notices: RetryNotice[] = [];
	try {
		const proposal = await generator.propose({...sampleRequest(), onRetry: n => notices.push(n)}, new AbortController().signal);
		return {notices, proposal, error: undefined};
	} catch (error) {
		return {notices, proposal: undefined, error};
	}
}

/** A UserError shown as one line naming the generator's URL (or model) field, with the message matching. */
function oneLine(error: unknown, message: RegExp): UserError {
	assert.ok(error instanceof UserError, `a UserError, not ${String(error)}`);
	assert.ok(!error.line.includes('\n'), `one line: ${error.line}`);
	assert.match(error.message, message);
	return error;
}

test('withDeadline bounds work that ignores its signal: it rejects at the deadline with a DeadlineError', async () => {
	let sawAbort = false;
	const never = (signal: AbortSignal) => {
		signal.addEventListener('abort', () => (sawAbort = true));
		return new Promise<never>(() => {});
	};
	await assert.rejects(withDeadline(20, new AbortController().signal, never), (error: unknown) => error instanceof DeadlineError && error.ms === 20);
	assert.ok(sawAbort, 'the work was told through its signal too');
	const cancelled = new AbortController();
	const pending = withDeadline(60_000, cancelled.signal, never);
	cancelled.abort(new Error('user cancelled'));
	await assert.rejects(pending, {message: 'user cancelled'});
	assert.equal(await withDeadline(60_000, new AbortController().signal, async () => 7), 7);
});

test('a 200 reply with truncated JSON is retried, then one clear line (no SyntaxError)', async () => {
	const {notices, error} = await propose(await generatorFor([{truncate: 40}, {truncate: 40}, {truncate: 40}]));
	oneLine(error, /^the generator at http:\/\/127\.0\.0\.1:\d+\/v1 failed: the reply was cut off \(not complete JSON\) \(3 attempts\)$/);
	assert.equal(server!.received.length, 3);
	assert.deepEqual(
		notices.map(n => [n.attempt, n.of, n.reason]),
		[
			[2, 3, 'the reply was cut off (not complete JSON)'],
			[3, 3, 'the reply was cut off (not complete JSON)'],
		],
	);
});

test('a cut-off reply, then a dropped connection, then a good reply: the proposal succeeds on attempt 3', async () => {
	const {notices, proposal, error} = await propose(await generatorFor([{truncate: 10}, {drop: true}, {content: validReply}]));
	assert.equal(error, undefined);
	assert.equal(proposal!.edits.length, 4);
	assert.deepEqual(
		notices.map(n => n.attempt),
		[2, 3],
	);
	assert.match(notices[1].reason, /^the connection dropped mid-reply/);
});

test('a body that trickles and never ends is cut off at the deadline, which covers the body, and not retried', async () => {
	const {notices, error} = await propose(await generatorFor([{trickle: true}, {content: validReply}], {timeoutMs: 200}));
	const e = oneLine(error, /^the generator at \S+ sent no complete reply within 0\.2 s; raise --timeout \(or `gmpo config set generator.timeout`\) for a slow server$/);
	assert.equal(e.field, 'generator.baseUrl');
	// Whether the request reached the server before the deadline is up to the machine; either way it was sent once.
	assert.ok(server!.received.length <= 1);
	assert.deepEqual(notices, [], 'not retried');
});

test('a server that never answers is cut off at the deadline and not retried', async () => {
	const {notices, error} = await propose(await generatorFor([{hang: true}, {content: validReply}], {timeoutMs: 200, retries: 4}));
	oneLine(error, /sent no complete reply within 0\.2 s/);
	assert.ok(server!.received.length <= 1);
	assert.deepEqual(notices, [], 'not retried');
});

test('the deadline is per attempt: a good reply after a retried 503 gets a deadline of its own', async () => {
	const {proposal, error} = await propose(await generatorFor([{status: 503}, {content: validReply}], {timeoutMs: 5_000}));
	assert.equal(error, undefined);
	assert.equal(proposal!.edits.length, 4);
});

test('a 501 HTML page is not retried and is summarised (status and title), never put whole into the message', async () => {
	const page = `<!DOCTYPE html><html><head><title>501 Not Implemented</title><style>body{}</style></head><body><h1>Not Implemented</h1>${'<p>filler text</p>'.repeat(300)}</body></html>`;
	const {notices, error} = await propose(await generatorFor([{status: 501, body: page, contentType: 'text/html'}, {content: validReply}]));
	const e = oneLine(error, /^the generator at \S+ answered HTTP 501: 501 Not Implemented$/);
	assert.ok(e.message.length < 200);
	assert.equal(server!.received.length, 1);
	assert.deepEqual(notices, []);
});

test('a 503 HTML page is retried and then summarised as an excerpt of its text', async () => {
	const page = `<html><body><h1>Service   Unavailable</h1>${'<p>The upstream is overloaded, please come back later.</p>'.repeat(50)}</body></html>`;
	const reply = {status: 503, body: page, contentType: 'text/html'};
	const {notices, error} = await propose(await generatorFor([reply, reply, reply]));
	const e = oneLine(error, /^the generator at \S+ answered HTTP 503: Service Unavailable The upstream is overloaded.*… \(3 attempts\)$/);
	assert.ok(!e.message.includes('<'));
	assert.equal(notices.length, 2);
	assert.match(notices[0].reason, /^HTTP 503: Service Unavailable/);
});

test('connection refused is not retried', async () => {
	const url = `http://127.0.0.1:${await freePort()}/v1`;
	const notices: RetryNotice[] = [];
	const client = createOpenAiChatClient({baseUrl: url, model: 'm', retries: 4, retryBaseDelayMs: 1});
	await assert.rejects(client.complete({messages: [{role: 'user', content: 'x'}], onRetry: n => notices.push(n)}, new AbortController().signal), (error: unknown) => {
		oneLine(error, new RegExp(`^cannot reach the generator at ${url.replaceAll('.', '\\.')} \\(ECONNREFUSED\\)$`));
		return true;
	});
	assert.deepEqual(notices, []);
});

test('excerpt: the title of an HTML page, else its text without tags, one line, cut with an ellipsis', () => {
	assert.equal(excerpt('<html><head><title> Bad\n Gateway </title></head><body>x</body></html>'), 'Bad Gateway');
	assert.equal(excerpt('<html><body><script>var a = "<b>";</script><p>Hello &amp; welcome</p></body></html>'), 'Hello & welcome');
	assert.equal(excerpt('line one\nline two'), 'line one line two');
	assert.equal(excerpt('x'.repeat(300), 20), `${'x'.repeat(19)}…`);
});
