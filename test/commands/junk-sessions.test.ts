/**
 * No junk sessions (issue 13, item 9): a failed optimize leaves no folder, a failed resume leaves the session as it
 * was (no restart of the same round at each try), q on the loading screen saves nothing, a session a killed run
 * left before its first decision is neither listed nor kept, and `gmpo sessions rm` removes a session unless a
 * running gmpo has it open.
 */
import '../helpers/terminal-not-ci.js';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';
import {runFlags} from '../../source/commands/flags.js';
import {createOptimizeCommand, createResumeCommand} from '../../source/commands/optimize.js';
import {createSessionsCommand, createSessionsRmCommand} from '../../source/commands/sessions.js';
import {launcher} from '../../source/commands/interactive.js';
import {UserError} from '../../source/errors.js';
import {lockName} from '../../source/sessions/lock.js';
import {newSession, listSessions, loadSession} from '../../source/sessions/store.js';
import {runTui} from '../../source/ui/run-tui.js';
import {makeTheme} from '../../source/ui/theme.js';
import {FakeJudge, makeTask, tempDir, toyRules} from '../engine/fakes.js';
import {assertRefused, assertUnchanged, runCommand, snapshot} from '../sessions/bad-input.js';
import {waitFor} from '../ui/helpers.js';
import {root, toyTaskFile, world} from './helpers.js';

const taskFile = toyTaskFile;

/** Judges a and b that refuse to attribute (a model that cannot run): the round fails before any decision. */
const failing = async (names: string[] | undefined) => ({
	judges: (names ?? ['a', 'b']).map(n => new FakeJudge(n, {rules: toyRules, fail: new UserError('the model cannot run', {field: `judge "${n}"`})})),
	close: async () => {},
});

/** Entries of a sessions folder, hidden ones included. */
const entries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

test('a failed optimize leaves no session folder; a failed resume leaves the session byte for byte as it was', async () => {
	const dir = tempDir('gmpo-junk-');
	const sessions = path.join(dir, 'sessions');
	const bad = world(sessions, {openJudges: failing});
	assertRefused('optimize', await runCommand(createOptimizeCommand(bad), [taskFile(dir)], {auto: true}, bad.stderr), /^gmpo: judge "a": the model cannot run$/, {alone: false});
	assert.deepEqual(entries(sessions), [], 'nothing left, not even hidden');

	const good = world(sessions);
	assert.equal(await createOptimizeCommand(good).run([taskFile(dir)], {auto: true}), 0);
	const [saved] = listSessions({dir: sessions});
	assert.equal(saved.rounds, 1);
	assert.ok(!fs.existsSync(path.join(saved.dir, '.pending')), 'decided: kept');
	const before = snapshot(sessions);
	for (let attempt = 1; attempt <= 3; attempt++) {
		const retry = world(sessions, {openJudges: failing});
		const outcome = await runCommand(createResumeCommand(retry), [saved.id], {auto: true, rounds: '1'}, retry.stderr);
		assertRefused(`resume #${attempt}`, outcome, /^gmpo: judge "a": the model cannot run$/, {alone: false});
		assertUnchanged(`resume #${attempt}`, sessions, before);
	}
	const resumed = world(sessions);
	assert.equal(await createResumeCommand(resumed).run([saved.id], {auto: true, rounds: '1'}), 0, 'and it still resumes');
	assert.equal(loadSession(saved.id, {dir: sessions}).state.roundsDone, 2);
});

test('q on the loading screen saves no session and says nothing is saved', async () => {
	const dir = tempDir('gmpo-junk-');
	const sessions = path.join(dir, 'sessions');
	const deps = world(sessions);
	const open = launcher(runFlags({}), deps);
	let gate!: () => void;
	const opened = new Promise<void>(resolve => (gate = resolve));
	const stdin = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined}) as unknown as NodeJS.ReadStream;
	let screen = '';
	const stdout = Object.assign(new PassThrough(), {isTTY: true, columns: 80, rows: 24}) as unknown as NodeJS.WriteStream;
	stdout.on('data', chunk => (screen += String(chunk)));
	let said = '';
	const stderr = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.WriteStream;
	stderr.on('data', chunk => (said += String(chunk)));
	const ended = runTui({
		// The run opens only once q was pressed: the session is made after the user has left.
		launch: async (choice, opening) => {
			await opened;
			return open(choice, opening);
		},
		start: {kind: 'task', file: taskFile(dir)},
		picker: {sessions: () => [], examples: [], sessionsDir: 'sessions'},
		theme: makeTheme({color: false, unicode: true}),
		stdin,
		stdout,
		stderr,
		signals: [],
	});
	await waitFor(() => /opening/.test(screen), 'the loading screen');
	stdin.write('q');
	// Ink shows the cursor again when the app is left: only then may the run finish opening.
	await waitFor(() => screen.includes('\u001B[?25h'), 'the app to leave');
	gate();
	assert.equal(await ended, 0);
	assert.doesNotMatch(said, /saved/, 'nothing is saved, and nothing claims it is');
	assert.deepEqual(entries(sessions), [], 'no session folder');
});

test('a session a killed run left before its first decision is not listed, and the next run removes it', () => {
	const dir = tempDir('gmpo-junk-');
	const task = makeTask();
	const kept = newSession({task, segments: [{id: 's1', text: 'Be kind.'}]}, {dir});
	kept.append({type: 'note', text: 'kept'});
	kept.close();
	// What a run killed during its first round leaves: a pending session whose lock has no live owner.
	const left = newSession({task, segments: [{id: 's1', text: 'Be kind.'}], pending: true}, {dir});
	left.append({type: 'round_started', round: 1});
	fs.cpSync(left.dir, path.join(dir, 'killed'), {recursive: true, filter: from => !from.includes(lockName)});
	left.close();
	assert.ok(!fs.existsSync(left.dir), 'closed while pending: removed');
	const log = path.join(dir, 'killed', 'events.jsonl');
	fs.writeFileSync(log, fs.readFileSync(log, 'utf8').replace(`"id":"${left.id}"`, '"id":"killed"'));
	fs.mkdirSync(path.join(dir, 'killed', lockName));
	fs.writeFileSync(path.join(dir, 'killed', lockName, 'owner-999999999-00000000'), '{}\n');
	assert.deepEqual(listSessions({dir}).map(s => s.id), [kept.id], 'the pending one is not listed');
	assert.equal(loadSession('killed', {dir}).state.inProgress, 1, 'it can still be read (and resumed) by its id');
	newSession({task, segments: [{id: 's1', text: 'Be kind.'}]}, {dir}).close();
	assert.ok(!fs.existsSync(path.join(dir, 'killed')), 'swept by the next creation');
	assert.ok(fs.existsSync(kept.dir), 'a session with something decided is never swept');
});

test('gmpo sessions rm removes a session; refuses one a running gmpo has open, an unknown id and a bad id', async () => {
	const dir = tempDir('gmpo-junk-');
	const sessions = path.join(dir, 'sessions');
	const deps = world(sessions);
	assert.equal(await createOptimizeCommand(deps).run([taskFile(dir)], {auto: true}), 0);
	assert.equal(await createOptimizeCommand(world(sessions)).run([taskFile(dir)], {auto: true}), 0);
	const [first, second] = listSessions({dir: sessions});
	const rm = (args: string[]) => {
		const w = world(sessions);
		return runCommand(createSessionsRmCommand(w), args, {}, w.stderr).then(outcome => ({...outcome, stdout: w.stdout.text}));
	};

	const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'lock-worker.ts')], {cwd: root, stdio: ['pipe', 'pipe', 'inherit']});
	try {
		const lines = readline.createInterface({input: child.stdout!})[Symbol.asyncIterator]();
		child.stdin!.write(`${JSON.stringify({take: second.dir, at: 0})}\n`);
		assert.equal((JSON.parse((await lines.next()).value as string) as {held: boolean}).held, true);
		const before = snapshot(sessions);
		assertRefused('rm of an open session', await rm([second.id]), new RegExp(`^gmpo: \\S+${second.id}/\\.lock: the session is open in another gmpo process \\(pid ${child.pid}\\); quit that gmpo first`));
		assertRefused('rm of an unknown session', await rm(['20000101-000000-000000']), /^gmpo: session: no session "20000101-000000-000000" in \S+$/);
		assertRefused('rm of a bad id', await rm(['../etc']), /^gmpo: session: "\.\.\/etc" is not a session id$/);
		assertUnchanged('rm refused', sessions, before);
	} finally {
		child.kill('SIGKILL');
		await once(child, 'close');
	}
	const removed = await rm([first.id]);
	assert.equal(removed.code, 0);
	assert.equal(removed.stdout, `removed session ${first.id}\n`);
	assert.deepEqual(entries(sessions), [second.id]);
	const list = world(sessions);
	await createSessionsCommand(list).run([], {json: true});
	assert.deepEqual((JSON.parse(list.stdout.text) as {id: string}[]).map(r => r.id), [second.id]);
	assert.equal((await rm([second.id])).code, 0, 'once its gmpo is gone, it can be removed');
	assert.deepEqual(entries(sessions), []);
});
