import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Engine} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {loadSession} from '../../source/sessions/store.js';
import {SessionScreen} from '../../source/ui/session-screen.js';
import type {RunEnd} from '../../source/ui/use-engine-run.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from '../engine/fakes.js';
import {lastFrameStripped, press, renderAt, waitFor} from './helpers.js';

test('with the real engine: two rounds decided by keys are saved, then the history shows them and q leaves', async () => {
	const dir = tempDir('gmpo-ui-');
	const task = makeTask({rounds: 2});
	const session = makeSession(task, {dir});
	const engine = new Engine({
		session,
		judges: [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules, base: 3})],
		generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}),
	});
	const ends: RunEnd[] = [];
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={end => ends.push(end)} />);
	const frame = () => lastFrameStripped(r);
	await waitFor(() => engine.status === 'awaiting-decision' && /round 1\/2/.test(frame()) && /› 1 /.test(frame()), 'round 1 to await a decision');
	await press(r, 'a');
	await waitFor(() => engine.status === 'awaiting-decision' && /round 2\/2/.test(frame()), 'round 2');
	assert.match(frame(), /round 1: accepted the top pick c\d+ \(saved\)/);
	// Round 1's decision is on disk while round 2 awaits.
	assert.equal(loadSession(session.id, {dir}).state.accepted.length, 1);
	await press(r, 's');
	await waitFor(() => /history/.test(frame()), 'the history after the budget is spent');
	const history = frame();
	assert.match(history, /history · 2 round\(s\) done · 1 accepted/);
	assert.match(history, /the run ended: round budget reached \(2\/2 rounds\)/);
	assert.match(history, /Loss per judge by round/);
	assert.match(history, /● a {2}○ b/);
	assert.match(history, /^Final prompt \(\d+ segments\)$/m, 'the run has ended: the final prompt is shown');
	const seen: string[] = [];
	for (let i = 0; i < 30 && !/^Prompt lineage/m.test(frame()); i++) {
		await press(r, 'j');
		seen.push(frame());
	}
	assert.match(seen.join('\n'), /round 1 accepted c\d+: /);
	assert.match(frame(), /Prompt lineage/);
	assert.equal(ends.length, 0, 'a spent budget stays on screen');
	await press(r, 'q');
	assert.equal(ends.length, 1);
	assert.equal((ends[0] as {result: {ending: string}}).result.ending, 'budget');
	const saved = loadSession(session.id, {dir}).state;
	assert.equal(saved.roundsDone, 2);
	assert.deepEqual(saved.rounds.map(x => x.decision?.action), ['accept', 'skip']);
	session.close();
});

test('with the real engine: q while deciding quits; the round is redone on resume, nothing decided is lost', async () => {
	const dir = tempDir('gmpo-ui-');
	const task = makeTask({rounds: 3});
	const session = makeSession(task, {dir});
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank})});
	const ends: RunEnd[] = [];
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={end => ends.push(end)} />);
	await waitFor(() => engine.status === 'awaiting-decision', 'round 1');
	await press(r, 'a');
	await waitFor(() => engine.status === 'awaiting-decision' && engine.view?.round === 2, 'round 2');
	await press(r, 'q');
	await waitFor(() => ends.length === 1, 'the run to end');
	assert.equal((ends[0] as {result: {ending: string}}).result.ending, 'quit');
	const saved = loadSession(session.id, {dir}).state;
	assert.equal(saved.accepted.length, 1);
	assert.equal(saved.inProgress, 2, 'round 2 is redone on resume');
	session.close();
});
