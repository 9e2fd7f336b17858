import assert from 'node:assert/strict';
import {test} from 'node:test';
import {backoffDelay, withRetry} from '../../source/core/retry.js';

test('backoff doubles per retry within jitter, honours Retry-After and stays under the cap', () => {
	const policy = {retries: 5, baseDelayMs: 100, maxDelayMs: 1000};
	for (let retry = 0; retry < 3; retry++) {
		const d = backoffDelay(policy, retry);
		assert.ok(d >= 50 * 2 ** retry && d <= 100 * 2 ** retry, `retry ${retry}: ${d}`);
	}
	assert.equal(backoffDelay(policy, 10), 1000);
	assert.equal(backoffDelay(policy, 0, 700), 700);
	assert.equal(backoffDelay(policy, 0, 5000), 1000);
});

test('withRetry stops at the first success, on a non-retryable error, or when retries are spent', async () => {
	const signal = new AbortController().signal;
	const policy = {retries: 2, baseDelayMs: 1};
	let calls = 0;
	const flaky = async () => {
		calls++;
		if (calls < 2) throw new Error('transient');
		return 'ok';
	};
	assert.deepEqual(await withRetry(flaky, () => ({retry: true}), policy, signal), {value: 'ok', attempts: 2});
	calls = 0;
	await assert.rejects(withRetry(flaky, () => ({retry: false}), policy, signal), {message: 'transient'});
	assert.equal(calls, 1);
	calls = 0;
	const failing = async () => {
		calls++;
		throw new Error(`fail ${calls}`);
	};
	await assert.rejects(withRetry(failing, () => ({retry: true}), policy, signal), {message: 'fail 3'});
});

test('an abort during the backoff wait rejects with the signal reason and stops retrying', async () => {
	const controller = new AbortController();
	let calls = 0;
	const attempt = async () => {
		calls++;
		queueMicrotask(() => controller.abort());
		throw new Error('transient');
	};
	await assert.rejects(withRetry(attempt, () => ({retry: true}), {retries: 5, baseDelayMs: 60_000}, controller.signal), {
		name: 'AbortError',
	});
	assert.equal(calls, 1);
});
