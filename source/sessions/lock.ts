/**
 * One writer per session. After a dropped SSH connection the old gmpo may still be running when the user resumes
 * in a new shell; two writers would interleave lines and break the log's sequence. A lock file holding the
 * writer's pid prevents that; a lock whose process is gone is stale and taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';

/** Name of the lock file inside a session folder. */
export const lockName = '.lock';

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: the process exists but belongs to someone else.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Lock files this process holds: its own pid in a lock file not listed here is left by an earlier process. */
const held = new Set<string>();

/** Takes the session's lock or throws a UserError naming the process holding it. Returns the release function. */
export function acquireLock(dir: string): () => void {
	const file = path.join(dir, lockName);
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			fs.writeFileSync(file, `${process.pid}\n`, {flag: 'wx'});
			held.add(file);
			let released = false;
			return () => {
				if (released) return;
				released = true;
				held.delete(file);
				try {
					if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
				} catch {
					// Already gone: nothing to release.
				}
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			if (held.has(file)) throw new UserError('the session is already open in this process', {file});
			let pid: number;
			try {
				pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
			} catch {
				continue; // released between our two calls: try again
			}
			if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
				throw new UserError(
					`the session is open in another gmpo process (pid ${pid}); close it, or delete this lock file if that process is not gmpo`,
					{file},
				);
			}
			// Stale: the writer died (a container restart can even give us its pid). Take it over.
			fs.rmSync(file, {force: true});
		}
	}
	throw new UserError('could not lock the session', {file});
}
