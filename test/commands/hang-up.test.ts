/**
 * A hang-up in the TUI of `gmpo optimize` and `gmpo resume` (SIGHUP, or the terminal's input ending) closes the run
 * before the process ends: the session's lock is released. Each case runs gmpo as a child process (tui-child.ts),
 * hangs up once the round is running, and checks how the process ended and what it left.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {lockHolder, lockName} from '../../source/sessions/lock.js';
import {createOptimizeCommand} from '../../source/commands/optimize.js';
import {listSessions, loadSession} from '../../source/sessions/store.js';
import {tempDir} from '../engine/fakes.js';
import {root, world} from './helpers.js';

type Ended = {code: number | null; signal: NodeJS.Signals | null; stderr: string};

/** Runs the child until it is ready, hangs up the way `how` says, and resolves when it has ended. */
function hangUp(sessions: string, args: string[], how: 'SIGHUP' | 'input end'): Promise<Ended> {
	const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'commands', 'tui-child.ts'), sessions, ...args], {
		cwd: root,
		env: {...process.env, NODE_NO_WARNINGS: '1', NODE_ENV: 'production'},
		stdio: ['pipe', 'ignore', 'pipe'],
	});
	let stderr = '';
	let sent = false;
	child.stderr!.on('data', chunk => {
		stderr += String(chunk);
		if (sent || !/^ready$/m.test(stderr)) return;
		sent = true;
		if (how === 'SIGHUP') child.kill('SIGHUP');
		else child.stdin!.end();
	});
	return new Promise(resolve => child.on('close', (code, signal) => resolve({code, signal, stderr})));
}

function taskFile(dir: string): string {
	const file = path.join(dir, 'task.json');
	fs.writeFileSync(
		file,
		JSON.stringify({
			name: 'toy',
			prompt: 'Be helpful. Say something harmful. Answer briefly.',
			phraseBank: ['Be kind.'],
			rounds: 3,
			data: {train: [{input: 'a', target: 'A'}, {input: 'b', target: 'B'}], test: [{input: 'x', target: 'X'}]},
		}),
	);
	return file;
}

test('a hang-up in the TUI of optimize (SIGHUP), then of resume (end of input), closes the run and releases the lock', {timeout: 180_000}, async () => {
	const dir = tempDir('gmpo-hangup-');
	const sessions = path.join(dir, 'sessions');
	// A saved session (one round decided) to resume, made by the same fake judges the child uses.
	assert.equal(await createOptimizeCommand(world(sessions)).run([taskFile(dir)], {auto: true, rounds: '1'}), 0);
	const [saved] = listSessions({dir: sessions});

	const first = await hangUp(sessions, ['optimize', taskFile(dir)], 'SIGHUP');
	assert.equal(first.signal, 'SIGHUP', `gmpo ends the way an unhandled hang-up ends it (stderr: ${first.stderr})`);
	// Closed before the process ended: a new session with nothing decided is removed, its lock with it.
	assert.deepEqual(fs.readdirSync(sessions), [saved.id], 'the hung-up run was closed: nothing of it is left');

	// The terminal's input ending is a hang-up too (it may come before SIGHUP, or without it).
	const again = await hangUp(sessions, ['resume', saved.id, '--rounds', '3'], 'input end');
	assert.equal(again.signal, 'SIGHUP', again.stderr);
	assert.equal(lockHolder(saved.dir), undefined);
	assert.ok(!fs.existsSync(path.join(saved.dir, lockName)), 'the lock is released, not left for a takeover');
	assert.equal(loadSession(saved.id, {dir: sessions}).state.roundsDone, 1, 'the session is kept');
});
