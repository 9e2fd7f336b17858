/**
 * A session's log and task snapshot belong together (issue 13, item 6): the log's first event records the session
 * id and the snapshot's hash. Another session's events.jsonl or another task's task.json copied into a session is
 * refused with one line naming the file, and nothing is written. Logs written before the hash was recorded open as
 * they did.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createExportCommand} from '../../source/commands/export.js';
import {createResumeCommand} from '../../source/commands/optimize.js';
import {loadSession, openSession} from '../../source/sessions/store.js';
import {makeSession, makeTask, tempDir} from '../engine/fakes.js';
import {world} from '../commands/helpers.js';
import {assertRefused, assertUnchanged, runCommand, snapshot} from './bad-input.js';

/** Two sessions of different tasks in one sessions folder. */
function twoSessions() {
	const dir = tempDir('gmpo-binding-');
	const upper = makeSession(makeTask({name: 'uppercase', prompt: 'Write in capitals. Be brief.'}), {dir});
	const sums = makeSession(makeTask({name: 'arithmetic', prompt: 'Add the numbers. Show the sum.'}), {dir});
	upper.close();
	sums.close();
	return {dir, upper: upper.id, sums: sums.id};
}

async function refusedEverywhere(name: string, dir: string, id: string, expected: RegExp): Promise<void> {
	const before = snapshot(dir);
	for (const [what, make] of [['resume', createResumeCommand], ['export', createExportCommand]] as const) {
		const deps = world(dir);
		assertRefused(`${name}: ${what}`, await runCommand(make(deps), [id], {auto: true}, deps.stderr), expected);
	}
	assert.throws(() => openSession(id, {dir}), {name: 'UserError'});
	assertUnchanged(name, dir, before);
}

test("another session's events.jsonl copied into a session is refused, naming the log", async () => {
	const {dir, upper, sums} = twoSessions();
	fs.copyFileSync(path.join(dir, sums, 'events.jsonl'), path.join(dir, upper, 'events.jsonl'));
	await refusedEverywhere('foreign log', dir, upper, new RegExp(`^gmpo: \\S+${upper}/events\\.jsonl: line 1: this log belongs to session "${sums}", not to "${upper}" \\(copied from another session\\?\\)$`));
});

test("another task's task.json copied into a session is refused, naming the snapshot", async () => {
	const {dir, upper, sums} = twoSessions();
	fs.copyFileSync(path.join(dir, sums, 'task.json'), path.join(dir, upper, 'task.json'));
	await refusedEverywhere('foreign task', dir, upper, new RegExp(`^gmpo: \\S+${upper}/task\\.json: this is not the task the session was created with`));
});

test('a whole session copied under another name is refused (its log names the folder it was made in)', async () => {
	const {dir, upper} = twoSessions();
	fs.cpSync(path.join(dir, upper), path.join(dir, 'copy'), {recursive: true});
	await refusedEverywhere('copied folder', dir, 'copy', new RegExp(`line 1: this log belongs to session "${upper}", not to "copy"`));
});

test('a re-indented task.json still belongs: the hash is over its JSON value, not its layout', () => {
	const {dir, upper} = twoSessions();
	const file = path.join(dir, upper, 'task.json');
	const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
	const reordered = Object.fromEntries(Object.entries(value).reverse());
	fs.writeFileSync(file, JSON.stringify(reordered, null, 1));
	assert.equal(loadSession(upper, {dir}).state.task.name, 'uppercase');
	value.rounds = 99;
	fs.writeFileSync(file, JSON.stringify(value));
	assert.throws(() => loadSession(upper, {dir}), {message: /not the task the session was created with/}, 'what it says may not change');
});

test('sessions written before the hash was recorded open and resume as before (their id is still checked)', () => {
	const {dir, upper, sums} = twoSessions();
	const log = path.join(dir, upper, 'events.jsonl');
	const [first, ...rest] = fs.readFileSync(log, 'utf8').split('\n');
	const {taskHash: _, ...old} = JSON.parse(first) as Record<string, unknown>;
	fs.writeFileSync(log, [JSON.stringify(old), ...rest].join('\n'));
	const session = openSession(upper, {dir});
	session.append({type: 'round_started', round: 1});
	session.close();
	assert.equal(loadSession(upper, {dir}).state.inProgress, 1);
	// Without a recorded hash a swapped snapshot cannot be told apart; the log's id still can.
	fs.copyFileSync(path.join(dir, sums, 'events.jsonl'), log);
	assert.throws(() => loadSession(upper, {dir}), {message: /belongs to session/});
});
