/**
 * Prompts with fewer than two segments and numbers that overflow: a round must run, nothing non-finite may reach the
 * session log (the log's schema refuses it, which used to end the run with a stack trace), and a session whose last
 * line is the start of such a round must resume.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {aggregateImportance, judgeAgreement} from '../../source/core/aggregate.js';
import {autoDecide, Engine} from '../../source/engine/index.js';
import {combineObjectiveValues, weightedMean} from '../../source/engine/measure.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {loadSession, openSession} from '../../source/sessions/store.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from './fakes.js';

/** Every number in the log file, as JSON.parse reads it back (JSON has no NaN or Infinity: they would be null). */
function logNumbersAreFinite(file: string): void {
	const walk = (v: unknown, where: string): void => {
		if (v === null) assert.fail(`null at ${where} (a non-finite number was written)`);
		if (typeof v === 'number') assert.ok(Number.isFinite(v), `${where} is ${v}`);
		if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
	};
	for (const [i, line] of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).entries()) walk(JSON.parse(line), `line ${i + 1}`);
}

async function runAuto(task: ReturnType<typeof makeTask>, judges: FakeJudge[]) {
	const session = makeSession(task, {judges: judges.map(j => j.info.name)});
	const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}), decide: autoDecide});
	try {
		const result = await engine.run();
		return {result, session, state: loadSession(session.id, {dir: path.dirname(session.dir)}).state};
	} finally {
		session.close();
	}
}

test('Kendall tau is left out when it is undefined: one segment, or a judge with constant importances', () => {
	assert.deepEqual(judgeAgreement({a: [0.3], b: [-0.1]}), []);
	assert.deepEqual(judgeAgreement({a: [1, 1, 1], b: [1, 2, 3], c: [3, 2, 1]}), [{a: 'b', b: 'c', tau: -1}]);
	const one = aggregateImportance({segmentIds: ['s1'], perJudge: {a: [0.3], b: [-0.1]}});
	assert.deepEqual(one.agreement, []);
	assert.ok(one.aggregate.every(Number.isFinite));
});

test('a judge whose importances are not finite is left out of the round and named', () => {
	const result = aggregateImportance({segmentIds: ['s1', 's2'], perJudge: {a: [0.3, -0.1], bad: [Number.POSITIVE_INFINITY, 0.2], nan: [Number.NaN, 1]}});
	assert.deepEqual(Object.keys(result.perJudge), ['a']);
	assert.deepEqual(Object.keys(result.normalised!), ['a']);
	assert.deepEqual(result.unusable, ['bad', 'nan']);
	assert.deepEqual(result.agreement, []);
	assert.ok(result.aggregate.every(Number.isFinite));
	const none = aggregateImportance({segmentIds: ['s1'], perJudge: {nan: [Number.NaN]}});
	assert.deepEqual(none.aggregate, [0], 'no usable judge: no evidence either way');
	assert.equal(aggregateImportance({segmentIds: ['s1'], perJudge: {a: [1]}}).unusable, undefined);
});

test('example weights as large as 1e308 give the same weighted mean as their ratios, not Infinity or NaN', () => {
	assert.equal(weightedMean([2, 4], [1e308, 1e308]), 3);
	assert.equal(weightedMean([2, 4], [1, 1]), 3);
	assert.ok(Math.abs(weightedMean([2, 4], [1e308, -1e308]) - -1) < 1e-12);
	assert.ok(Number.isNaN(weightedMean([2], [0])), 'every weight 0: undefined, as before');
	assert.equal(combineObjectiveValues({a: 1, b: 3}, [{name: 'a', weight: 1e308}, {name: 'b', weight: 1e308}]), 2);
});

test('a one-segment prompt with two judges runs its rounds and logs only finite numbers', async () => {
	const task = makeTask({prompt: 'Be helpful and answer briefly', rounds: 3});
	const {result, session, state} = await runAuto(task, [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules, base: 3})]);
	assert.equal(result.ending, 'budget');
	assert.equal(state.roundsDone, 3);
	assert.equal(state.rounds[0].importance?.segmentIds.length, 1);
	assert.deepEqual(state.rounds[0].importance?.agreement, []);
	logNumbersAreFinite(session.eventsFile);
});

test('whitespace-only and marker-less prompts run (one segment each)', async () => {
	for (const fields of [{prompt: '   \n  '}, {prompt: 'Be helpful. Answer briefly.', segmentation: {mode: 'markers', marker: '||'}}]) {
		const task = makeTask({...fields, rounds: 1});
		const {state, session} = await runAuto(task, [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})]);
		assert.equal(state.roundsDone, 1, JSON.stringify(fields));
		logNumbersAreFinite(session.eventsFile);
	}
});

test('huge example weights and a judge that returns NaN: the run goes on and the log stays finite', async () => {
	const task = makeTask({rounds: 2});
	for (const e of task.data.train) e.weight = 1e308;
	const {state, session} = await runAuto(task, [new FakeJudge('a', {rules: toyRules}), new FakeJudge('broken', {rules: toyRules, base: Number.NaN})]);
	assert.equal(state.roundsDone, 2);
	assert.deepEqual(state.rounds[0].importance?.unusable, ['broken']);
	assert.ok(state.rounds[0].importance?.aggregate.every(Number.isFinite));
	logNumbersAreFinite(session.eventsFile);
});

test('huge objective weights do not overflow the combined importance', async () => {
	const task = makeTask({
		rounds: 1,
		objectives: [{name: 'x', weight: 1e308}, {name: 'y', weight: 1e308}, {name: 'z', weight: 1e308}],
		data: {
			train: [{input: 'a', targets: {x: 'A', y: 'a', z: 'aa'}}, {input: 'b', targets: {x: 'B', y: 'b', z: 'bb'}}],
			test: [{input: 'c', targets: {x: 'C', y: 'c', z: 'cc'}}],
		},
	});
	const {state, session} = await runAuto(task, [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})]);
	assert.equal(state.roundsDone, 1);
	const importance = state.rounds[0].importance!;
	assert.deepEqual(Object.keys(importance.perJudge), ['a', 'b'], 'both judges keep their per-judge vectors');
	assert.ok(importance.aggregate.some(v => v !== 0), 'the combined direction still says something');
	logNumbersAreFinite(session.eventsFile);
});

test('a session that stopped at the start of a one-segment round (its attribution was refused) resumes', async () => {
	const task = makeTask({prompt: 'Be helpful and answer briefly', rounds: 2});
	const dir = tempDir();
	const first = makeSession(task, {dir});
	// What the refused attribution left behind: the round was started, nothing after it was written.
	first.append({type: 'round_started', round: 1, batch: [0, 1]});
	first.close();
	const session = openSession(first.id, {dir});
	const judges = [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})];
	const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}), decide: autoDecide});
	try {
		const result = await engine.run();
		assert.equal(result.rounds, 2);
	} finally {
		session.close();
	}
	logNumbersAreFinite(session.eventsFile);
});
