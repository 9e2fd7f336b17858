import assert from 'node:assert/strict';
import {test} from 'node:test';
import {progressReporter} from '../../source/commands/progress.js';
import {transferAlarm} from '../../source/engine/transfer.js';
import {autoDecide, Engine, type EngineEvent} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {capture} from '../commands/helpers.js';
import {FakeJudge, makeSession, makeTask, toyRules} from './fakes.js';

test('the alarm rings when a held-out judge rises while the selection judges fall, and only then', () => {
	const before = {a: 2, b: 3, h: 1};
	assert.equal(transferAlarm(1, before, {a: 1.9, b: 2.9, h: 0.9}, ['a', 'b'], ['h']), undefined, 'all fall');
	assert.equal(transferAlarm(1, before, {a: 2.1, b: 3, h: 1.2}, ['a', 'b'], ['h']), undefined, 'the selection judges did not fall');
	assert.equal(transferAlarm(1, before, {a: 1.9, b: 2.9, h: 1.2}, ['a', 'b'], []), undefined, 'no held-out judge');
	const alarm = transferAlarm(2, before, {a: 1.9, b: 2.9, h: 1.2}, ['a', 'b'], ['h'])!;
	assert.deepEqual(alarm.rose, {h: {before: 1, after: 1.2}});
	assert.equal(alarm.text, 'transfer alarm after round 2: on the test split held-out h 1.000 -> 1.200 (+0.200) rose while the selection judges fell (mean 2.500 -> 2.400, -0.100)');
});

function alarmRun(transfer: 'warn' | 'stop') {
	const task = makeTask({rounds: 3, transferAlarm: transfer});
	const session = makeSession(task, {judges: ['a', 'h']});
	// The held-out judge likes what the selection judge wants removed: removing "harmful" lowers a, raises h.
	const judges = [new FakeJudge('a', {rules: toyRules}), new FakeJudge('h', {heldout: true, rules: [{pattern: /harmful/, delta: -0.5}]})];
	const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide, testEachRound: true});
	const events: EngineEvent[] = [];
	engine.on(e => events.push(e));
	return {engine, events, session};
}

test('an automatic run says so after the round (and headless prints it); with transferAlarm: stop it ends there', async () => {
	const warn = alarmRun('warn');
	const out = capture(false);
	warn.engine.on(progressReporter(out, 3).listener);
	const result = await warn.engine.run();
	assert.equal(result.ending, 'budget', 'warn: the run goes on');
	const finished = warn.events.filter((e): e is Extract<EngineEvent, {type: 'round-finished'}> => e.type === 'round-finished');
	assert.ok(finished[0].alarm, 'round 1 removed a harmful sentence: the alarm rang');
	assert.match(out.text, /^warning: transfer alarm after round 1: on the test split held-out h .* rose while the selection judges fell/m);
	const next = warn.events.find(e => e.type === 'awaiting-decision' && e.round === 2) as Extract<EngineEvent, {type: 'awaiting-decision'}>;
	assert.equal(next.view.alarm?.round, 1, 'the next round shows it');
	warn.session.close();

	const stop = alarmRun('stop');
	const stopped = await stop.engine.run();
	assert.equal(stopped.ending, 'alarm');
	assert.equal(stopped.rounds, 1);
	assert.match(stopped.reason, /^stopped on the transfer alarm of round 1/);
	stop.session.close();
});
