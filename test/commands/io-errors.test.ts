/**
 * File-system failures around sessions (issue 13, item 5): a sessions folder that is a file, under a file, in /proc,
 * not writable; a log or task snapshot that is a folder; a full disk; a read-only mount. Each gives exit code 2 and
 * one line naming the file and the reason, never a stack trace, and leaves the sessions already saved unchanged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createExportCommand} from '../../source/commands/export.js';
import {createOptimizeCommand, createResumeCommand} from '../../source/commands/optimize.js';
import {createSessionsCommand} from '../../source/commands/sessions.js';
import {autoDecide, Engine} from '../../source/engine/index.js';
import {isUserError} from '../../source/errors.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {loadSession, openSession} from '../../source/sessions/store.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from '../engine/fakes.js';
import {assertRefused, assertUnchanged, mountTmpfs, runCommand, snapshot} from '../sessions/bad-input.js';
import {runCli, world} from './helpers.js';

const task = {name: 't', prompt: 'Be helpful. Say something harmful. Answer briefly.', data: {train: [{input: 'a', target: 'A'}, {input: 'b', target: 'B'}], test: [{input: 'c', target: 'C'}]}};

function taskFile(dir: string): string {
	const file = path.join(dir, 'task.json');
	fs.writeFileSync(file, JSON.stringify(task));
	return file;
}

/** A saved session with one decided round, in `sessions`. */
async function savedSession(sessions: string): Promise<string> {
	const t = makeTask({rounds: 1});
	const session = makeSession(t, {dir: sessions});
	await new Engine({session, judges: [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})], generator: createOfflineGenerator({seed: 1, phraseBank: t.phraseBank}), decide: autoDecide}).run();
	session.close();
	return session.id;
}

function commands(sessions: string) {
	const deps = world(sessions);
	return {deps, optimize: createOptimizeCommand(deps), resume: createResumeCommand(deps), exporter: createExportCommand(deps), list: createSessionsCommand(deps)};
}

test('a sessions folder that is a file, lies under a file, or is in /proc: one line, exit 2, nothing made', async () => {
	const dir = tempDir('gmpo-io-');
	const file = path.join(dir, 'a-file');
	fs.writeFileSync(file, 'x');
	const tf = taskFile(dir);
	const cases: [string, string, RegExp][] = [
		['sessions folder is a file', file, /^gmpo: \S+a-file: cannot create the sessions folder: it is a file, not a folder$/],
		['sessions folder under a file', path.join(file, 'sessions'), /^gmpo: \S+a-file\/sessions: cannot create the sessions folder: a part of the path is a file, not a folder \(ENOTDIR\)$/],
	];
	if (process.platform === 'linux') cases.push(['sessions folder in /proc', '/proc/gmpo-nope', /^gmpo: \/proc\/gmpo-nope: cannot create the sessions folder: the file system there takes no new folders \(ENOENT\)$/]);
	for (const [name, sessions, expected] of cases) {
		const {deps, optimize} = commands(sessions);
		assertRefused(name, await runCommand(optimize, [tf], {auto: true}, deps.stderr), expected);
	}
	assert.deepEqual(fs.readdirSync(dir).sort(), ['a-file', 'task.json']);
	const {deps, list} = commands(file);
	assertRefused('listing a sessions folder that is a file', await runCommand(list, [], {}, deps.stderr), /^gmpo: \S+a-file: cannot list the sessions folder: a part of the path is a file, not a folder \(ENOTDIR\)$/);
});

test('events.jsonl or task.json that is a folder: resume, export and listing say so in one line', async () => {
	const sessions = path.join(tempDir('gmpo-io-'), 'sessions');
	const id = await savedSession(sessions);
	for (const name of ['events.jsonl', 'task.json']) {
		const copy = path.join(sessions, `${name.split('.')[0]}-dir`);
		fs.cpSync(path.join(sessions, id), copy, {recursive: true});
		fs.rmSync(path.join(copy, name));
		fs.mkdirSync(path.join(copy, name));
	}
	const before = snapshot(sessions);
	const {deps, resume, exporter, list} = commands(sessions);
	const what = {events: 'read the event log', task: 'read the task snapshot'};
	for (const [kind, file] of [['events', 'events.jsonl'], ['task', 'task.json']] as const) {
		const expected = new RegExp(`^gmpo: \\S+${kind}-dir/${file.replace('.', '\\.')}: cannot ${what[kind]}: it is a folder, not a file \\(EISDIR\\)$`);
		for (const [name, command] of [['resume', resume], ['export', exporter]] as const) {
			deps.stderr.text = '';
			assertRefused(`${name} with ${file} a folder`, await runCommand(command, [`${kind}-dir`], {auto: true}, deps.stderr), expected);
		}
	}
	deps.stderr.text = '';
	deps.stdout.text = '';
	assert.equal((await runCommand(list, [], {json: true}, deps.stderr)).code, 0, 'the listing lists the others');
	const rows = JSON.parse(deps.stdout.text) as {id: string; error?: string}[];
	assert.match(rows.find(r => r.id === 'events-dir')!.error!, /it is a folder, not a file \(EISDIR\)/);
	assertUnchanged('sessions', sessions, before);
});

test('a sessions folder gmpo may not write in (EACCES): one line through the real CLI, before any judge is loaded', {timeout: 120_000}, async t => {
	const dir = tempDir('gmpo-io-');
	const sessions = path.join(dir, 'sessions');
	const id = await savedSession(sessions);
	const config = path.join(dir, 'config');
	const tmp = path.join(dir, 'tmp');
	for (const d of [config, tmp]) {
		fs.mkdirSync(d);
		// The child (nobody) keeps its config and its tsx cache here: the test's own TMPDIR may be root's alone.
		fs.chmodSync(d, 0o777);
	}
	fs.chmodSync(dir, 0o755);
	const tf = taskFile(dir);
	fs.chmodSync(tf, 0o644);
	// Root may write anywhere: run the CLI as nobody then.
	const asUser = process.getuid?.() === 0 ? {uid: 65534, gid: 65534} : {};
	if (process.platform === 'win32') return t.skip('POSIX permissions');
	const before = snapshot(sessions);
	fs.chmodSync(sessions, 0o555);
	fs.chmodSync(path.join(sessions, id), 0o555);
	try {
		const env = {GMPO_SESSIONS_DIR: sessions, GMPO_CONFIG_DIR: config, TMPDIR: tmp};
		const optimize = await runCli(['optimize', tf, '--auto'], env, asUser);
		assertRefused('optimize', {code: optimize.code ?? -1, stderr: optimize.stderr}, /^gmpo: \S+sessions: cannot write in the sessions folder: permission denied \(EACCES\)$/);
		const resume = await runCli(['resume', id, '--auto'], env, asUser);
		assertRefused('resume', {code: resume.code ?? -1, stderr: resume.stderr}, new RegExp(`^gmpo: \\S+${id}: cannot lock the session: permission denied \\(EACCES\\)$`));
	} finally {
		fs.chmodSync(sessions, 0o755);
		fs.chmodSync(path.join(sessions, id), 0o755);
	}
	assertUnchanged('sessions', sessions, before);
});

test('a full disk: no half-made session at creation; mid-run the log stays whole and the session resumes once there is space', async t => {
	const fsys = mountTmpfs(256);
	if (typeof fsys === 'string') return t.skip(fsys);
	try {
		const sessions = path.join(fsys.dir, 'sessions');
		const id = await savedSession(sessions);
		const before = snapshot(sessions);
		const filler = fsys.fill();
		const {deps, optimize} = commands(sessions);
		const created = await runCommand(optimize, [taskFile(tempDir('gmpo-io-'))], {auto: true}, deps.stderr);
		assertRefused('optimize on a full disk', created, /^gmpo: \S+: cannot (create the session folder|lock the session|write the task snapshot|write the session log): no space left on the device \(ENOSPC\)$/);
		assertUnchanged('sessions after a failed creation', sessions, before);

		// Space for the lock and no more: the run starts, and its first line does not fit.
		fs.rmSync(filler);
		const session = openSession(id, {dir: sessions});
		fsys.fill();
		const judges = [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})];
		const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: []}), decide: autoDecide, limits: {rounds: 3}});
		await assert.rejects(engine.run(), (error: unknown) => {
			assert.ok(isUserError(error), String(error));
			assert.equal(error.line, `${session.eventsFile}: cannot write the session log: no space left on the device (ENOSPC)`);
			return true;
		});
		const inMemory = structuredClone(session.state);
		assert.throws(() => session.append({type: 'note', text: 'x'}), {message: /no space left/}, 'a session whose write failed takes nothing more');
		session.close();
		fs.rmSync(filler);
		// Whole lines only: the log reads back without a warning, to the state the session had in memory.
		const saved = loadSession(id, {dir: sessions});
		assert.deepEqual(saved.warnings, []);
		assert.deepEqual(saved.state, inMemory);
		const log = fs.readFileSync(path.join(sessions, id, 'events.jsonl'), 'base64');
		assert.ok(Buffer.from(log, 'base64').toString().startsWith(Buffer.from(before.get(`${id}/events.jsonl`)!, 'base64').toString()));
		const resumed = openSession(id, {dir: sessions});
		const result = await new Engine({session: resumed, judges, generator: createOfflineGenerator({seed: 1, phraseBank: []}), decide: autoDecide, limits: {rounds: 2}}).run();
		resumed.close();
		assert.equal(result.rounds, 2);
	} finally {
		fsys.close();
	}
});

test('a read-only mount: resume, optimize and export say EROFS in one line and change nothing', async t => {
	const fsys = mountTmpfs(512);
	if (typeof fsys === 'string') return t.skip(fsys);
	try {
		const sessions = path.join(fsys.dir, 'sessions');
		const id = await savedSession(sessions);
		const before = snapshot(sessions);
		fsys.readOnly(true);
		const {deps, optimize, resume, exporter} = commands(sessions);
		const cases: [string, Promise<{code: number; stderr: string}>, RegExp][] = [
			['resume', runCommand(resume, [id], {auto: true}, deps.stderr), new RegExp(`^gmpo: \\S+${id}: cannot lock the session: the file system is read-only \\(EROFS\\)$`)],
		];
		for (const [name, outcome, expected] of cases) assertRefused(name, await outcome, expected);
		deps.stderr.text = '';
		assertRefused('optimize', await runCommand(optimize, [taskFile(tempDir('gmpo-io-'))], {auto: true}, deps.stderr), /^gmpo: \S+sessions: cannot write in the sessions folder: the file system is read-only \(EROFS\)$/);
		deps.stderr.text = '';
		assertRefused('export', await runCommand(exporter, [id], {}, deps.stderr), new RegExp(`^gmpo: \\S+${id}/export: cannot create the export folder: the file system is read-only \\(EROFS\\)$`));
		assert.equal(loadSession(id, {dir: sessions}).state.roundsDone, 1, 'a read-only session can still be read');
		fsys.readOnly(false);
		assertUnchanged('sessions', sessions, before);
	} finally {
		fsys.close();
	}
});

test('GMPO_SESSIONS_DIR=/proc/nope through the real CLI: exit 2 at once, one line, no spinning', {skip: process.platform !== 'linux' && 'Linux /proc', timeout: 120_000}, async () => {
	const dir = tempDir('gmpo-io-');
	const result = await runCli(['optimize', taskFile(dir), '--auto'], {GMPO_SESSIONS_DIR: '/proc/gmpo-nope', GMPO_CONFIG_DIR: dir});
	assertRefused('/proc', {code: result.code ?? -1, stderr: result.stderr}, /^gmpo: \/proc\/gmpo-nope: cannot create the sessions folder: the file system there takes no new folders \(ENOENT\)$/);
});
