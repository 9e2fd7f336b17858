/**
 * The bad-input corpus of issue 13 ("done when"): task files, judge folders, session folders, command lines,
 * settings, generator replies and I/O faults. Every case runs through the CLI's own dispatcher in-process
 * (commands/index.ts main, with captured streams; bad-inputs/harness.ts) and must end with exit code 2, exactly one
 * line on stderr naming the file, field or flag (alone, unless the run had started and printed its notes), no stack
 * trace, and every saved session byte for byte as it was, none left behind. A few faults need a real process (stdout
 * on a full device, a file only root may read) and run the CLI as a child process. GMPO_CORPUS_REPORT=FILE appends one
 * line per case to FILE (its marks and its last stderr line): how the counts below were taken.
 *
 * Counts on this machine (root, tmpfs mounts allowed), `npm test -- bad-inputs`:
 *   cases: 294 (task files 91, judge folders 48, session folders 30, command lines 62, settings 25, generator replies
 *   19, I/O faults 19), besides the 30 + 28 of cli-errors, bad-flags, bad-messages, io-errors and probe-bad-sessions.sh.
 *   Before the fixes that came with this corpus (same cases on the code it started from): 3 stack traces (`config set`
 *   on a read-only or a full disk, stdout on /dev/full); 12 wrong exits (4 never ended: a named pipe as task file
 *   hung, a settings folder under /proc spun, a session log or snapshot linked to /dev/zero was read until memory ran
 *   out; 8 exited 0 or 1: a task file that is not UTF-8 ran with U+FFFD in its prompt, `--rounds` without a value
 *   (twice) ran the default rounds, an empty --prompt file was scored, a settings file that is a list was read as
 *   empty, the stack traces above); 4 damaged
 *   sessions (an export on a full disk left its folder in the session; three of the runs above left a session);
 *   71 lines that named the right thing but said it badly (raw zod or errno messages, the wrong fault).
 *   After: 0 stack traces, 0 wrong exit codes, 0 damaged sessions, 0 unclear lines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {autoDecide, Engine} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {FakeJudge, makeSession, makeTask, toyRules} from '../engine/fakes.js';
import {freePort} from '../generators/chat-server.js';
import {tempDir} from '../helpers/temp.js';
import {mountTmpfs} from '../sessions/bad-input.js';
import {assertOutcome, counts, Files, runCase, type Case, type Outcome} from './bad-inputs/harness.js';
import {configCases, flagCases} from './bad-inputs/flag-cases.js';
import {generatorCases} from './bad-inputs/generator-cases.js';
import {ioCases, tmpfsCases} from './bad-inputs/io-cases.js';
import {judgeCases} from './bad-inputs/judge-cases.js';
import {sessionCases} from './bad-inputs/session-cases.js';
import {taskCases, validTask} from './bad-inputs/task-cases.js';
import {root as repo, runCli} from './helpers.js';

const root = tempDir('gmpo-bad-inputs-');
after(() => fs.rmSync(root, {recursive: true, force: true}));
// The settings and the graph cache of every in-process case live here (config.ts and the cache read the environment).
process.env.GMPO_CONFIG_DIR = path.join(root, 'config');
process.env.GMPO_CACHE_DIR = path.join(root, 'cache');
const files = new Files(root);
const sessions = {dir: path.join(root, 'sessions')};
const outcomes: Outcome[] = [];
const taskFile = files.json('task.json', validTask);
let good = '';
let other = '';

/** A saved session with one decided round (judges a and b), in `dir`. */
async function savedSession(dir: string, fields: Record<string, unknown> = {}): Promise<string> {
	const task = makeTask({rounds: 1, ...fields});
	const session = makeSession(task, {dir, judges: ['a', 'b']});
	await new Engine({session, judges: [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules})], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide}).run();
	session.close();
	return session.id;
}

before(async () => {
	good = await savedSession(sessions.dir);
	other = await savedSession(path.join(root, 'other-sessions'), {name: 'other', prompt: 'Add the numbers. Show your work.'});
});

async function run(t: {test: (name: string, fn: () => Promise<void>) => Promise<unknown>}, cases: Case[]) {
	for (const c of cases) {
		await t.test(c.name, async () => {
			const o = await runCase(c, sessions);
			outcomes.push(o);
			if (process.env.GMPO_CORPUS_REPORT) {
				const marks = `${o.stack ? 'STACK ' : ''}${o.wrongExit ? `EXIT${o.code} ` : ''}${o.damaged ? 'DAMAGED ' : ''}${o.badLine ? 'LINE ' : ''}`;
				fs.appendFileSync(process.env.GMPO_CORPUS_REPORT, `${marks}| ${c.name} | ${o.stderr.trimEnd().split('\n').at(-1)?.slice(0, 300)}\n`);
			}
			assertOutcome(c, o);
		});
	}
}

test('task files', async t => run(t, taskCases(files)));

test('judge folders', async t => run(t, judgeCases(files, await freePort())));

test('session folders', async t => run(t, sessionCases(files, sessions.dir, good, path.join(root, 'other-sessions', other), taskFile)));

test('command lines of every command', async t => run(t, flagCases(files, taskFile, good)));

test('settings', async t => run(t, configCases(files, taskFile)));

test('generator replies', async t => {
	const {cases, servers} = await generatorCases(taskFile, await freePort());
	try {
		await run(t, cases);
	} finally {
		await Promise.all(servers.map(s => s.close()));
	}
});

test('I/O faults', async t => run(t, ioCases(files, taskFile, good)));

test('I/O faults on a read-only or full file system', async t => {
	const fsys = mountTmpfs(512);
	if (typeof fsys === 'string') return t.skip(fsys);
	try {
		const dir = path.join(fsys.dir, 'sessions');
		fs.cpSync(path.join(sessions.dir, good), path.join(dir, good), {recursive: true});
		const settings = path.join(fsys.dir, 'settings');
		fs.mkdirSync(settings);
		await run(t, tmpfsCases(fsys, taskFile, dir, good, settings));
	} finally {
		fsys.close();
	}
});

test('through the real CLI: stdout on a full device, and a task file only root may read', {timeout: 120_000}, async t => {
	if (process.platform !== 'linux') return t.skip('Linux devices');
	// Writing the help to /dev/full fails with ENOSPC: one line on stderr, exit 2, no "Unhandled 'error' event".
	const full = fs.openSync('/dev/full', 'w');
	const {spawn} = await import('node:child_process');
	const child = spawn(process.execPath, ['--import', 'tsx', 'cli.tsx', 'config', 'list'], {cwd: repo, env: {...process.env, NODE_NO_WARNINGS: '1'}, stdio: ['ignore', full, 'pipe']});
	let stderr = '';
	child.stderr!.on('data', chunk => (stderr += chunk));
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	fs.closeSync(full);
	outcomes.push({name: 'io: stdout on /dev/full', code: code ?? -1, stderr, stack: /^\s+at /m.test(stderr), wrongExit: code !== 2, damaged: false, badLine: !/^gmpo: stdout: cannot write the output: no space left on the device \(ENOSPC\)\n$/.test(stderr)});
	assert.equal(stderr, 'gmpo: stdout: cannot write the output: no space left on the device (ENOSPC)\n');
	assert.equal(code, 2);

	if (process.getuid?.() !== 0) return;
	const secret = files.write('secret/task.json', JSON.stringify(validTask));
	fs.chmodSync(secret, 0o600);
	fs.chmodSync(path.dirname(secret), 0o755);
	fs.chmodSync(root, 0o755);
	const tmp = files.folder('nobody-tmp');
	fs.chmodSync(tmp, 0o777);
	const result = await runCli(['optimize', secret, '--auto'], {GMPO_SESSIONS_DIR: path.join(tmp, 'sessions'), GMPO_CONFIG_DIR: path.join(tmp, 'config'), TMPDIR: tmp}, {uid: 65534, gid: 65534});
	const line = `gmpo: ${secret}: cannot read: permission denied (EACCES)\n`;
	outcomes.push({name: 'io: a task file only root may read', code: result.code ?? -1, stderr: result.stderr, stack: /^\s+at /m.test(result.stderr), wrongExit: result.code !== 2, damaged: fs.existsSync(path.join(tmp, 'sessions')) && fs.readdirSync(path.join(tmp, 'sessions')).length > 0, badLine: result.stderr !== line});
	assert.equal(result.stderr, line);
	assert.equal(result.code, 2);
});

test('what looks odd but is fine is accepted: a UTF-8 byte-order mark, CRLF line ends', async () => {
	const bom = files.write('odd/bom.json', `\ufeff${JSON.stringify({...validTask, rounds: 1})}`);
	const crlf = files.write('odd/crlf.yaml', 'name: t\r\nprompt: Be helpful. Answer briefly.\r\njudges: [a, b]\r\nrounds: 1\r\ndata:\r\n  train: [{input: a, target: A}]\r\n  test: [{input: c, target: C}]\r\n');
	const dir = path.join(root, 'odd-sessions');
	for (const file of [bom, crlf]) {
		const o = await runCase({name: file, argv: ['optimize', file, '--auto'], line: /^$/, code: 0, sessionsDir: dir}, {dir});
		assert.equal(o.code, 0, `${file}: ${o.stderr}`);
	}
	assert.equal(fs.readdirSync(dir).filter(e => !e.startsWith('.')).length, 2, 'both ran and were kept');
});

test('the corpus holds at least 150 bad inputs, and none gave a stack trace, a wrong exit or a damaged session', () => {
	const c = counts(outcomes);
	if (process.env.GMPO_CORPUS_REPORT) fs.appendFileSync(process.env.GMPO_CORPUS_REPORT, `corpus: ${JSON.stringify(c)}\n`);
	assert.equal(new Set(outcomes.map(o => o.name)).size, outcomes.length, 'every case has its own name');
	assert.ok(c.cases >= 150, `${c.cases} cases`);
	assert.deepEqual({stackTraces: c.stackTraces, wrongExits: c.wrongExits, damagedSessions: c.damagedSessions, badLines: c.badLines}, {stackTraces: 0, wrongExits: 0, damagedSessions: 0, badLines: 0});
});
