/**
 * One writer per session. After a dropped SSH connection the old gmpo may still be running when the user resumes
 * in a new shell; two writers would interleave lines and break the log's sequence.
 *
 * The lock is a directory `.lock` holding one file named after its owner (`owner-<pid>-<nonce>`). It is put in place
 * whole: the owner file is written in a staging directory, which is then renamed to `.lock`. rename(2) onto an
 * empty or absent directory succeeds, onto a non-empty one fails, and the kernel serialises renames in a folder, so
 * of any number of processes renaming at once exactly one ends up holding the lock. A lock whose owner is gone is
 * taken over by removing that owner's file only (the name is unique to one acquisition, so a new owner's file is
 * never removed by mistake) and renaming again. A delete-then-create takeover, by contrast, let two processes that
 * both saw the same stale lock both hold it (10 times in 100 trials; bench/lock-stress.ts measures it).
 *
 * An owner is gone when its pid is not running, or (Linux) when the process with that pid started at another time
 * than the owner: the pid was reused. `.lock` as a plain file holding a pid is the format of earlier versions; it is
 * honoured while that process runs and taken over like any stale lock.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';

/** Name of the lock inside a session folder. */
export const lockName = '.lock';

/** Who holds (or held) a lock. */
export type LockOwner = {
	/** Process id. */
	pid: number;
	/** Start time of the process (Linux: clock ticks since boot, from /proc), to tell a reused pid apart. */
	start?: string;
};

/** The process taking locks; tests give several of them one process, with their own liveness. */
export type Locker = {
	/** Who is taking the lock. */
	self: LockOwner;
	/** Whether an owner is still running. */
	alive(owner: LockOwner): boolean;
	/** Called between the steps of a takeover; tests use it to interleave two lockers deterministically. */
	step?(name: 'staged' | 'occupied' | 'cleared'): void;
};

/** What occupies `.lock`: owners of a lock directory (their file names), an old-style pid file, or nothing. */
type Occupant = {kind: 'none'} | {kind: 'dir'; owners: {file: string; owner?: LockOwner}[]} | {kind: 'file'; owner?: LockOwner};

/** Start time of a process, when the system says (Linux); undefined elsewhere or when it is gone. */
export function processStart(pid: number): string | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		// Field 22 (starttime); the command name in field 2 may hold spaces and parentheses, so count from its end.
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function pidRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: the process exists but belongs to someone else.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Lock keys (`pid:path`) held by lockers of this process: a lock of ours not listed here was left by a dead process. */
const held = new Set<string>();

/** The locker of this process. */
export function processLocker(): Locker {
	const self = {pid: process.pid, start: processStart(process.pid)};
	return {
		self,
		alive(owner) {
			// Our own pid, but not a lock we hold: an earlier process had it (a container restart gives pids again).
			if (owner.pid === self.pid) return false;
			if (!pidRunning(owner.pid)) return false;
			const start = owner.start === undefined ? undefined : processStart(owner.pid);
			return start === undefined || start === owner.start;
		},
	};
}

function parseOwner(pidText: string | undefined, start?: unknown): LockOwner | undefined {
	const pid = Number(pidText);
	if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
	return {pid, ...(typeof start === 'string' ? {start} : {})};
}

function code(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException).code;
}

function readOccupant(lock: string): Occupant {
	let entries: string[];
	try {
		entries = fs.readdirSync(lock);
	} catch (error) {
		if (code(error) === 'ENOENT') return {kind: 'none'};
		if (code(error) !== 'ENOTDIR') throw error;
		try {
			return {kind: 'file', owner: parseOwner(fs.readFileSync(lock, 'utf8').trim())};
		} catch (inner) {
			if (code(inner) === 'ENOENT' || code(inner) === 'EISDIR') return {kind: 'none'};
			throw inner;
		}
	}
	const owners = entries.map(file => {
		const m = /^owner-(\d+)-/.exec(file);
		let start: unknown;
		try {
			start = (JSON.parse(fs.readFileSync(path.join(lock, file), 'utf8')) as {start?: unknown}).start;
		} catch {
			// No start time to compare: the pid alone decides.
		}
		return {file, owner: m ? parseOwner(m[1], start) : undefined};
	});
	return {kind: 'dir', owners};
}

/** The live owner of a session's lock, if any (for listing and `sessions rm`). */
export function lockHolder(dir: string, locker: Locker = processLocker()): LockOwner | undefined {
	const occupant = readOccupant(path.join(dir, lockName));
	if (occupant.kind === 'none') return undefined;
	const owners = occupant.kind === 'file' ? [occupant.owner] : occupant.owners.map(o => o.owner);
	const key = (o: LockOwner) => `${o.pid}:${path.join(dir, lockName)}`;
	return owners.find((o): o is LockOwner => o !== undefined && (held.has(key(o)) || locker.alive(o)));
}

/** Removes what was judged stale, by name: never more (a new owner has another name). */
function clear(lock: string, occupant: Occupant): void {
	const ignore = (fn: () => void) => {
		try {
			fn();
		} catch (error) {
			// Gone already, or replaced by a new owner's directory: someone else took over first.
			if (!['ENOENT', 'EISDIR', 'ENOTDIR', 'EPERM'].includes(code(error) ?? '')) throw error;
		}
	};
	if (occupant.kind === 'file') ignore(() => fs.unlinkSync(lock));
	if (occupant.kind === 'dir') for (const o of occupant.owners) ignore(() => fs.unlinkSync(path.join(lock, o.file)));
}

/** Removes staging folders of processes that died while taking a lock. */
function sweepStaging(dir: string, locker: Locker): void {
	for (const name of fs.readdirSync(dir)) {
		const m = /^\.lock-(\d+)-[0-9a-f]+\.tmp$/.exec(name);
		if (m && Number(m[1]) !== locker.self.pid && !locker.alive({pid: Number(m[1])})) fs.rmSync(path.join(dir, name), {recursive: true, force: true});
	}
}

/** Takes the session's lock or throws a UserError naming the process holding it. Returns the release function. */
export function acquireLock(dir: string, locker: Locker = processLocker()): () => void {
	const lock = path.join(dir, lockName);
	const key = `${locker.self.pid}:${lock}`;
	if (held.has(key)) throw new UserError('the session is already open in this process', {file: lock});
	sweepStaging(dir, locker);
	const nonce = crypto.randomBytes(6).toString('hex');
	const ownerFile = `owner-${locker.self.pid}-${nonce}`;
	const staging = path.join(dir, `.lock-${locker.self.pid}-${nonce}.tmp`);
	fs.mkdirSync(staging);
	let taken = false;
	try {
		fs.writeFileSync(path.join(staging, ownerFile), `${JSON.stringify(locker.self)}\n`);
		locker.step?.('staged');
		// Each pass either takes the lock, meets a live owner, or clears a stale one; a pass only repeats when
		// another process changed the lock in between, so a few suffice.
		for (let attempt = 0; attempt < 8; attempt++) {
			try {
				fs.renameSync(staging, lock);
				taken = true;
				break;
			} catch (error) {
				if (!['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(code(error) ?? '')) throw error;
			}
			const occupant = readOccupant(lock);
			locker.step?.('occupied');
			const owners = occupant.kind === 'none' ? [] : occupant.kind === 'file' ? [occupant.owner] : occupant.owners.map(o => o.owner);
			const live = owners.find((o): o is LockOwner => o !== undefined && locker.alive(o));
			if (live) {
				throw new UserError(`the session is open in another gmpo process (pid ${live.pid}); quit that gmpo first (every decision it took is saved)`, {
					file: lock,
				});
			}
			clear(lock, occupant);
			locker.step?.('cleared');
		}
	} finally {
		if (!taken) fs.rmSync(staging, {recursive: true, force: true});
	}
	if (!taken) throw new UserError('could not lock the session: other processes kept taking it over', {file: lock});
	held.add(key);
	let released = false;
	return () => {
		if (released) return;
		released = true;
		held.delete(key);
		try {
			fs.unlinkSync(path.join(lock, ownerFile));
			// Empty now: remove it, unless a new owner has already renamed its own directory into place.
			fs.rmdirSync(lock);
		} catch {
			// Gone already, or taken over: nothing of ours is left to release.
		}
	};
}
