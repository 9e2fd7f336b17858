import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {openJudges, poolLayout} from '../../source/judges/judge-set.js';
import {activationBudget, checkJudgesFit, judgeNeed, LEAN_ABOVE_BYTES} from '../../source/judges/memory.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

test('the activation budget: 2 GiB for small judges, half the weights (512 MiB to 2 GiB) for lean ones', () => {
	assert.equal(activationBudget(4 * MiB), 2 * GiB);
	assert.equal(activationBudget(LEAN_ABOVE_BYTES), 2 * GiB);
	assert.equal(activationBudget(300 * MiB), 512 * MiB);
	assert.equal(activationBudget(1.84 * GiB), 0.92 * GiB);
	assert.equal(activationBudget(4.6 * GiB), 2 * GiB);
	assert.equal(judgeNeed(4 * MiB), 516 * MiB);
	assert.equal(judgeNeed(4.6 * GiB), 6.6 * GiB);
});

test('judges that do not fit are refused in one line naming the judge, its need and the free memory', () => {
	checkJudgesFit([{name: 'a', weightBytes: 1.84 * GiB}, {name: 'b', weightBytes: 1.84 * GiB}], 6 * GiB);
	assert.throws(
		() => checkJudgesFit([{name: 'a', weightBytes: 1.84 * GiB}, {name: 'b', weightBytes: 1.84 * GiB}], 5 * GiB),
		(error: unknown) =>
			error instanceof UserError &&
			!error.message.includes('\n') &&
			/judge "b" needs about 2\.8 GiB of memory \(1\.8 GiB of weights\), and 2\.2 GiB is free \(after the judges before it, of 5\.0 GiB free\)/.test(error.message),
	);
});

test('opening a judge that does not fit refuses it before loading anything', async () => {
	await assert.rejects(openJudges(['llama-a'], {memoryAvailable: 100 * MiB}), (error: unknown) => error instanceof UserError && /judge "llama-a" needs about 0\.5 GiB .* 0\.1 GiB is free/.test(error.message));
});

test('the pool runs a judge of real size on one worker with every core, small ones on one worker per core', () => {
	const big = poolLayout([10 * MiB, 1.84 * GiB]);
	assert.equal(big.workers, 1);
	assert.ok((big.threadsPerWorker ?? 0) >= 1);
	assert.match(big.why, /1\.8 GiB of weights/);
	const small = poolLayout([10 * MiB]);
	assert.equal(small.why, 'small judges');
	assert.equal(small.workers, Math.min(2, big.threadsPerWorker ?? 1));
});
