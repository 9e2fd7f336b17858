/**
 * Generator faults against a real loopback HTTP server (node:http on 127.0.0.1, port 0): a 200 whose JSON is cut
 * short, a connection dropped mid-reply, a body that trickles forever or stops half-way, a server that never answers,
 * a connection accepted and never answered, a 501 HTML page, a 503, nothing listening. Each ends in one UserError line
 * (retried first when another try can help), and no request outlives its deadline, whatever the server does. The
 * deadline is the only bound: the server never finishes, and the test passes the deadline through a clock it fires
 * once the request (or its body) is under way, so every count is exact and nothing races a real clock; withDeadline's
 * own test checks the real clock.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {afterEach, test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {createOpenAiChatClient, createOpenAiGenerator, excerpt, type OpenAiOptions} from '../../source/generators/openai.js';
import {DeadlineError, withDeadline, type RetryNotice} from '../../source/core/retry.js';
import {freePort, startChatServer, type ChatServer, type Reply} from './chat-server.js';
import {manualClock, sampleRequest, validReply} from './fixtures.js';

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

/** A generator whose deadlines pass only when the test fires its clock; the deadline itself is 120 s. */
async function generatorWithClock(replies: Reply[], options: Partial<OpenAiOptions> = {}) {
	const clock = manualClock();
	const generator = await generatorFor(replies, {timeoutMs: 120_000, deadlineTimer: clock.timer, ...options});
	return {generator, clock};
}

/** Resolves once the client has hung up on a reply before its end (the request was aborted, not left open). */
function hungUp(s: ChatServer): Promise<void> {
	return new Promise(resolve => {
		if (s.dropped > 0) resolve();
		else s.onDropped = () => resolve();
	});
}

const timedOut = /^the generator at \S+ sent no complete reply within 120 s; raise --timeout \(or `gmpo config set generator.timeout`\) for a slow server$/;

// The deadline is the only bound in the next four tests: the server never finishes, and the test passes the deadline
// (fires the clock) once the request or its body is under way. The test-level timeouts only guard against a hang.
test('a server that never answers: cut off when the deadline passes, not retried, the connection closed', {timeout: 60_000}, async () => {
	const {generator, clock} = await generatorWithClock([{hang: true}, {content: validReply}], {retries: 4});
	server!.onRequest = () => clock.fire();
	const {notices, error} = await propose(generator);
	assert.equal(oneLine(error, timedOut).field, 'generator.baseUrl');
	assert.equal(server!.received.length, 1, 'one attempt');
	assert.deepEqual(notices, [], 'not retried');
	await hungUp(server!);
	assert.deepEqual(clock.armed.map(d => d.fired), [true]);
});

for (const [what, fault] of [
	['a body that trickles forever: the deadline covers the body; cut off, not retried, the connection closed', {trickle: true}],
	['a body that stops half-way with the connection left open: cut off at the deadline, not retried', {stall: true}],
] as const) {
	test(what, {timeout: 60_000}, async () => {
		const {generator, clock} = await generatorWithClock([fault, {content: validReply}]);
		server!.onBodyStarted = () => clock.fire();
		const {notices, error} = await propose(generator);
		oneLine(error, timedOut);
		assert.equal(server!.received.length, 1);
		assert.deepEqual(notices, []);
		await hungUp(server!);
	});
}

test('a connection that is accepted and never answered (not even HTTP): cut off at the deadline, not retried', {timeout: 60_000}, async () => {
	const clock = manualClock();
	const sockets: net.Socket[] = [];
	const closed: Promise<void>[] = [];
	const silent = net.createServer(socket => {
		sockets.push(socket);
		closed.push(new Promise(resolve => socket.on('close', () => resolve())));
		// The request reaches us (its first bytes at least): now the deadline passes.
		socket.once('data', () => clock.fire());
	});
	await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
	try {
		const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v1`;
		const generator = createOpenAiGenerator({baseUrl: url, model: 'test-model', retries: 3, retryBaseDelayMs: 1, timeoutMs: 120_000, deadlineTimer: clock.timer});
		const {notices, error} = await propose(generator);
		oneLine(error, timedOut);
		assert.equal(sockets.length, 1, 'one connection');
		assert.deepEqual(notices, []);
		await closed[0];
	} finally {
		for (const s of sockets) s.destroy();
		await new Promise<void>(resolve => silent.close(() => resolve()));
	}
});

test('the deadline is per attempt: a 503 and a good reply each get their own, and neither passes', {timeout: 60_000}, async () => {
	const {generator, clock} = await generatorWithClock([{status: 503}, {content: validReply}]);
	const {proposal, error} = await propose(generator);
	assert.equal(error, undefined);
	assert.equal(proposal!.edits.length, 4);
	assert.deepEqual(
		clock.armed.map(d => [d.ms, d.cancelled, d.fired]),
		[
			[120_000, true, false],
			[120_000, true, false],
		],
		'two deadlines, both cancelled when their attempt ended',
	);
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
