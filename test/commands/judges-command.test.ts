/**
 * The judges commands reach the outside world only through CommandDeps: what they print goes to deps.stdout, and
 * the worker pool they run the judge on comes from deps.openPool (and is closed, whatever happens).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import type {PoolFactory} from '../../source/commands/deps.js';
import {createJudgesCheckCommand, createJudgesGenerateCommand} from '../../source/commands/judges.js';
import {OrtPool} from '../../source/judges/pool.js';
import {writeRandomJudge} from '../../source/training/random-judge.js';
import {world} from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-judges-cmd-'));
// The judge graphs are cached in the test's folder, not in the user's ~/.cache.
process.env.GMPO_CACHE_DIR = path.join(dir, 'cache');
after(() => fs.rmSync(dir, {recursive: true, force: true}));
const judge = writeRandomJudge(path.join(dir, 'tiny'), {family: 'gpt2', name: 'tiny'});

/** A pool factory that records the pools it made and whether each was closed. */
function pools(): PoolFactory & {made: {workers?: number; closed: boolean}[]} {
	const made: {workers?: number; closed: boolean}[] = [];
	const factory: PoolFactory = async options => {
		const record = {workers: options?.workers, closed: false};
		made.push(record);
		const pool = new OrtPool(options);
		const close = pool.close.bind(pool);
		pool.close = async () => {
			record.closed = true;
			await close();
		};
		return pool;
	};
	return Object.assign(factory, {made});
}

test('judges check prints its report on deps.stdout and runs on the pool from deps', async () => {
	const openPool = pools();
	const deps = world(dir, {openPool});
	const code = await createJudgesCheckCommand(deps).run([judge], {json: true});
	assert.equal(code, 0);
	const report = JSON.parse(deps.stdout.text) as {name: string; sampleLoss: number};
	assert.equal(report.name, 'tiny');
	assert.ok(Number.isFinite(report.sampleLoss));
	assert.deepEqual(openPool.made, [{workers: undefined, closed: true}]);
});

test('judges generate writes the continuation on deps.stdout and closes its one-worker pool', async () => {
	const openPool = pools();
	const deps = world(dir, {openPool});
	const code = await createJudgesGenerateCommand(deps).run([judge], {json: true, prompt: 'Input: apple', maxTokens: '3'});
	assert.equal(code, 0);
	const out = JSON.parse(deps.stdout.text) as {prompt: string; tokens: number};
	assert.equal(out.prompt, 'Input: apple');
	assert.ok(out.tokens >= 0 && out.tokens <= 3);
	assert.deepEqual(openPool.made, [{workers: 1, closed: true}]);
});

test('a judge name that does not resolve is refused before any pool is started', async () => {
	const openPool = pools();
	const deps = world(dir, {openPool});
	await assert.rejects(createJudgesCheckCommand(deps).run(['no-such-judge'], {}), {name: 'UserError', message: /unknown judge "no-such-judge"/});
	assert.equal(openPool.made.length, 0);
});
