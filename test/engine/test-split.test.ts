import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import {buildReport} from '../../source/engine/report.js';
import {autoDecide, Engine, type EngineEvent, type RoundView} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {loadSession, openSession} from '../../source/sessions/store.js';
import {lossHistory} from '../../source/ui/history-data.js';
import {FakeJudge, makeSession, makeTask, toyRules} from './fakes.js';

test('the test split is scored once before round 1 (round 0) and after every round, never twice for one prompt', async () => {
	const task = makeTask({rounds: 3});
	const session = makeSession(task, {judges: ['a', 'h']});
	const a = new FakeJudge('a', {rules: toyRules});
	let testScores = 0;
	const score = a.score.bind(a);
	a.score = async (segments, examples, signal) => {
		if (examples.every(e => e.input === 'x' || e.input === 'y')) testScores++;
		return score(segments, examples, signal);
	};
	const judges = [a, new FakeJudge('h', {rules: toyRules, heldout: true, base: 3})];
	const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide, testEachRound: true});
	const views: RoundView[] = [];
	const started: Extract<EngineEvent, {type: 'round-started'}>[] = [];
	engine.on(e => {
		if (e.type === 'awaiting-decision') views.push(e.view);
		if (e.type === 'round-started') started.push(e);
	});
	await engine.run();
	const state = loadSession(session.id, {dir: path.dirname(session.dir)}).state;
	// The toy prompt on a test example: 2 + 1 (harmful) - 0.4 (briefly) + 1 (harmful) = 3.6 for judge a.
	assert.deepEqual(state.rounds[0].testBefore, {a: 3.6, h: 4.6}, 'round 0: the initial prompt on the test split');
	assert.deepEqual(started[0].test, {a: 3.6, h: 4.6});
	assert.deepEqual(views[0].test, {a: 3.6, h: 4.6}, 'the headline of round 1');
	for (let r = 1; r < 3; r++) {
		assert.deepEqual(views[r].test, state.rounds[r - 1].testLosses, `round ${r + 1} starts from round ${r}'s test losses`);
		assert.deepEqual(views[r].testInitial, {a: 3.6, h: 4.6});
		assert.deepEqual(state.rounds[r].testBefore, state.rounds[r - 1].testLosses);
	}
	assert.ok(views[2].test!.a < 3.6, 'the prompt got better on the test split');
	assert.equal(testScores, 4, 'judge a scored the test split four times: round 0 and after each of the 3 rounds');
	const history = lossHistory(state);
	assert.equal(history.split, 'test');
	assert.deepEqual(history.rounds, [0, 1, 2, 3]);
	assert.equal(history.series.find(s => s.name === 'a')!.values[0], 3.6);
	const report = buildReport(state);
	assert.match(report.markdown, /^\| 0 \(initial prompt\) \| {2}\| {2}\| 3\.6000 \|/m, 'round 0 in the report');
	session.close();
});

test('a resumed run measures the current prompt before its first round; a fixed batch is the same every round', async () => {
	const task = makeTask({rounds: 2, fixedBatch: true, batchSize: 2});
	const session = makeSession(task, {judges: ['a']});
	const judge = new FakeJudge('a', {rules: toyRules});
	const batches: number[][] = [];
	const engine = new Engine({session, judges: [judge], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide, testEachRound: true});
	engine.on(e => e.type === 'round-started' && batches.push(e.batch));
	await engine.run();
	assert.equal(batches.length, 2);
	assert.deepEqual(batches[0], batches[1], 'the same minibatch in every round');
	assert.equal(batches[0].length, 2);
	session.close();
	const again = openSession(session.id, {dir: path.dirname(session.dir)});
	const resumed = new Engine({session: again, judges: [judge], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide, testEachRound: true, limits: {rounds: 3}});
	resumed.on(e => e.type === 'round-started' && batches.push(e.batch));
	await resumed.run();
	assert.deepEqual(batches[2], batches[0], 'still the same minibatch after resuming');
	assert.deepEqual(again.state.rounds[2].testBefore, again.state.rounds[1].testLosses, 'the resumed run measured its starting prompt');
	again.close();
});
