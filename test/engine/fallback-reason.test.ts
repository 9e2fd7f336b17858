/**
 * When a judge has no gradient and falls back to leave-one-out, the reason reaches every place a user looks: the
 * attribution result, `gmpo attribute` (text and --json), the engine's events (the TUI and headless progress show
 * notes) and the session log (with the round's importance).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createAttributeCommand} from '../../source/commands/attribute.js';
import {attributePrompt, taskObjectives} from '../../source/engine/measure.js';
import {autoDecide, Engine, type EngineEvent} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {readLog} from '../../source/sessions/log-file.js';
import {world} from '../commands/helpers.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from './fakes.js';

const REASON = 'fake judge without gradient';

test('attributePrompt records why a judge without gradients used leave-one-out, and only when gradients were asked for', async () => {
	const task = makeTask();
	const judges = [new FakeJudge('a', {rules: toyRules, gradient: false}), new FakeJudge('b', {rules: toyRules})];
	const input = {judges, segments: ['Be helpful. ', 'Answer briefly.'], examples: task.data.train.slice(0, 2), objectives: taskObjectives(task), signal: new AbortController().signal};
	const auto = await attributePrompt(input);
	assert.deepEqual(auto.methods, {a: 'loo', b: 'gradient'});
	assert.deepEqual(auto.fallbacks, {a: REASON});
	const forced = await attributePrompt({...input, method: 'loo'});
	assert.deepEqual(forced.fallbacks, {}, '--method loo is a choice, not a fallback');
});

test('the engine shows the reason as a note and logs it with the round\'s importance', async () => {
	const session = makeSession(makeTask({rounds: 1}), {judges: ['a']});
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules, gradient: false})], generator: createOfflineGenerator({seed: 1, phraseBank: []}), decide: autoDecide});
	const notes: EngineEvent[] = [];
	engine.on(e => e.type === 'note' && notes.push(e));
	await engine.run();
	assert.deepEqual(notes.map(e => e.type === 'note' && [e.level, e.text]), [['warn', `judge a used leave-one-out: ${REASON}`]]);
	const logged = readLog(path.join(session.dir, 'events.jsonl')).events.find(e => e.type === 'attribution');
	assert.ok(logged && logged.type === 'attribution');
	assert.deepEqual(logged.importance.fallbacks, {a: REASON});
	assert.equal(logged.importance.method, 'loo');
});

test('gmpo attribute names the reason in its table and in --json', async () => {
	const dir = tempDir();
	const file = path.join(dir, 'toy.yaml');
	fs.writeFileSync(file, 'name: toy\nprompt: Be helpful. Answer briefly.\ndata:\n  train:\n    - {input: a, target: A}\n  test:\n    - {input: x, target: X}\n');
	const openJudges = async (names: string[] | undefined) => ({
		judges: (names ?? ['a', 'b']).map(n => new FakeJudge(n, {rules: toyRules, gradient: n !== 'a'})),
		close: async () => {},
	});
	const json = world(dir, {openJudges});
	assert.equal(await createAttributeCommand(json).run([file], {json: true}), 0);
	const out = JSON.parse(json.stdout.text) as {methods: Record<string, string>; fallbacks: Record<string, string>};
	assert.deepEqual(out.methods, {a: 'loo', b: 'gradient'});
	assert.deepEqual(out.fallbacks, {a: REASON});
	const text = world(dir, {openJudges});
	assert.equal(await createAttributeCommand(text).run([file], {}), 0);
	assert.match(text.stdout.text, new RegExp(`a: leave-one-out \\(${REASON}\\)`));
});
