/**
 * The session lock can never be held twice. Two lockers (with their own pids and liveness, in one process) take a
 * stale lock, and one of them stops at each step of its takeover while the other runs its whole takeover: every
 * interleaving of the steps that matter is tried, deterministically, and exactly one must end up holding the lock.
 * bench/lock-stress.ts runs the same race with real processes (1,000 trials).
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {once} from 'node:events';
import readline from 'node:readline';
import {isUserError, UserError} from '../../source/errors.js';
import {acquireLock, lockHolder, lockName, type Locker} from '../../source/sessions/lock.js';
import {tempDir} from './fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');
const DEAD = 999_999_999;

/** Lockers with made-up pids; a pid is alive while it is in `running`. */
function lockers(running: Set<number>) {
	return (pid: number, step?: Locker['step']): Locker => ({self: {pid}, alive: o => running.has(o.pid), step});
}

function staleLock(dir: string, kind: 'dir' | 'file'): void {
	const lock = path.join(dir, lockName);
	if (kind === 'file') return fs.writeFileSync(lock, `${DEAD}\n`);
	fs.mkdirSync(lock);
	fs.writeFileSync(path.join(lock, `owner-${DEAD}-00000000`), '{}\n');
}

type Attempt = {release?: () => void; refused?: UserError};

function attempt(dir: string, locker: Locker): Attempt {
	try {
		return {release: acquireLock(dir, locker)};
	} catch (error) {
		if (isUserError(error)) return {refused: error};
		throw error;
	}
}

for (const kind of ['dir', 'file'] as const) {
	test(`a stale lock (${kind === 'dir' ? 'lock directory' : 'pid file of earlier versions'}) taken by two at once: exactly one holds it, whatever the interleaving`, () => {
		const running = new Set([1001, 1002]);
		const make = lockers(running);
		let cases = 0;
		for (const step of ['staged', 'occupied', 'cleared'] as const) {
			for (let occurrence = 1; occurrence <= 2; occurrence++) {
				const dir = tempDir();
				staleLock(dir, kind);
				let b: Attempt | undefined;
				let seen = 0;
				// A stops at the n-th time it reaches `step`; B takes the lock from start to end right there.
				const a = attempt(
					dir,
					make(1001, name => {
						if (name === step && ++seen === occurrence && !b) b = attempt(dir, make(1002));
					}),
				);
				if (!b) continue; // A never reached that step a second time
				cases++;
				const holders = [a, b].filter(x => x.release);
				assert.equal(holders.length, 1, `A stopped at ${step} #${occurrence}: ${holders.length} holders`);
				const refused = [a, b].find(x => x.refused)!.refused!;
				assert.match(refused.message, /open in another gmpo process \(pid 100[12]\)/);
				assert.doesNotMatch(refused.message, /delete/);
				assert.equal(lockHolder(dir, make(1003))?.pid, a.release ? 1001 : 1002);
				holders[0].release!();
				assert.equal(lockHolder(dir, make(1003)), undefined);
				assert.ok(!fs.existsSync(path.join(dir, lockName)), 'released: nothing left');
				assert.deepEqual(fs.readdirSync(dir), [], 'no staging folder left');
			}
		}
		assert.ok(cases >= 3, `${cases} interleavings tried`);
	});
}

test('a live owner is never taken over; a released lock is free again; the same locker cannot take it twice', () => {
	const running = new Set([1001, 1002]);
	const make = lockers(running);
	const dir = tempDir();
	const release = acquireLock(dir, make(1001));
	assert.throws(() => acquireLock(dir, make(1001)), {message: /already open in this process/});
	assert.throws(() => acquireLock(dir, make(1002)), {message: /pid 1001/});
	running.delete(1001);
	const second = acquireLock(dir, make(1002));
	assert.equal(lockHolder(dir, make(1003))?.pid, 1002);
	release(); // the first owner's release must not free the lock the second one holds now
	assert.equal(lockHolder(dir, make(1003))?.pid, 1002);
	second();
	acquireLock(dir, make(1001))();
});

test('a lock held by a live process is refused, and taken over once that process is killed', async () => {
	const dir = tempDir();
	const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'lock-worker.ts')], {cwd: root, stdio: ['pipe', 'pipe', 'inherit']});
	try {
		const lines = readline.createInterface({input: child.stdout!})[Symbol.asyncIterator]();
		child.stdin!.write(`${JSON.stringify({take: dir, at: 0})}\n`);
		const reply = JSON.parse((await lines.next()).value as string) as {held: boolean; pid: number};
		assert.equal(reply.held, true);
		assert.throws(() => acquireLock(dir), (error: unknown) => {
			assert.ok(isUserError(error));
			assert.equal(error.file, path.join(dir, lockName));
			assert.match(error.message, new RegExp(`pid ${child.pid}\\); quit that gmpo first`));
			return true;
		});
		assert.equal(lockHolder(dir)?.pid, child.pid);
	} finally {
		child.kill('SIGKILL');
		await once(child, 'close');
	}
	assert.equal(lockHolder(dir), undefined, 'a dead owner holds nothing');
	const release = acquireLock(dir);
	assert.equal(lockHolder(dir)?.pid, process.pid);
	release();
	assert.deepEqual(fs.readdirSync(dir), []);
});

test('staging folders left by processes that died while taking the lock are removed', () => {
	const dir = tempDir();
	fs.mkdirSync(path.join(dir, `.lock-${DEAD}-abcdef.tmp`));
	fs.writeFileSync(path.join(dir, `.lock-${DEAD}-abcdef.tmp`, `owner-${DEAD}-abcdef`), '{}');
	acquireLock(dir)();
	assert.deepEqual(fs.readdirSync(dir), []);
});
