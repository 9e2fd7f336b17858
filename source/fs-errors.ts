/**
 * File-system failures a user can cause or fix (a folder without write permission, a read-only mount, a full disk,
 * a file where a folder should be) as one clear line: what gmpo tried, why the system refused, and the code to look
 * up. Anything else stays an error with its stack: it is a bug.
 */
import fs from 'node:fs';
import path from 'node:path';
import {UserError} from './errors.js';

/** Why the system refused, by error code, in words. */
const reasons: Record<string, string> = {
	EACCES: 'permission denied',
	EPERM: 'operation not permitted',
	EROFS: 'the file system is read-only',
	ENOSPC: 'no space left on the device',
	EDQUOT: 'the disk quota is used up',
	EFBIG: 'the file is too large',
	ENOTDIR: 'a part of the path is a file, not a folder',
	EISDIR: 'it is a folder, not a file',
	EEXIST: 'a file is in the way',
	ENOENT: 'no such file or folder',
	ELOOP: 'too many symbolic links',
	ENAMETOOLONG: 'the path is too long',
	EIO: 'input/output error',
	EMFILE: 'too many open files',
	ENFILE: 'too many open files',
	EBUSY: 'the file is busy',
	ENXIO: 'no such device',
	ENODEV: 'no such device',
};

/** The error's system code when it is a file-system failure gmpo can explain, else undefined. */
export function ioCode(error: unknown): string | undefined {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return typeof code === 'string' && code in reasons ? code : undefined;
}

/**
 * A file-system failure as a UserError "cannot <action>: <reason> (<CODE>)" naming the file; any other error is
 * returned unchanged (for the caller to rethrow).
 */
export function ioError(error: unknown, action: string, file: string): unknown {
	const code = ioCode(error);
	if (code === undefined) return error;
	return new UserError(`cannot ${action}: ${reasons[code]} (${code})`, {file});
}

/**
 * Creates a folder and its missing parents, one level at a time. Node's recursive mkdir loops forever (at 100% CPU,
 * deaf to signals) where mkdir fails with ENOENT under an existing parent, as in /proc; here every failure is
 * thrown once, as a UserError naming the folder.
 */
export function makeDirs(dir: string, what = 'the folder'): void {
	const missing: string[] = [];
	for (let d = path.resolve(dir); ; d = path.dirname(d)) {
		let stat: fs.Stats | undefined;
		try {
			stat = fs.statSync(d);
		} catch (error) {
			if (ioCode(error) !== 'ENOENT') throw ioError(error, `create ${what}`, dir);
		}
		if (stat) {
			if (!stat.isDirectory()) throw new UserError(`cannot create ${what}: ${d === path.resolve(dir) ? 'it is a file, not a folder' : `${d} is a file, not a folder`}`, {file: dir});
			break;
		}
		missing.push(d);
		if (path.dirname(d) === d) break;
	}
	for (const d of missing.reverse()) {
		try {
			fs.mkdirSync(d);
		} catch (error) {
			// Made meanwhile by someone else: as good.
			if (ioCode(error) === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
			// ENOENT although the parent exists: a file system that takes no new folders there (/proc, /sys).
			if (ioCode(error) === 'ENOENT') throw new UserError(`cannot create ${what}: the file system there takes no new folders (ENOENT)`, {file: dir});
			throw ioError(error, `create ${what}`, dir);
		}
	}
}

/**
 * Refuses a path that is neither a regular file nor a folder: a named pipe nobody writes to blocks a read (and every
 * signal) forever, and a device such as /dev/zero never ends. A path that cannot be looked at is left to the read
 * that follows, which says why. `shown` is how the message names the file (default: as given).
 */
export function refuseSpecialFile(file: string, action: string, shown = file): void {
	let stat: fs.Stats;
	try {
		stat = fs.statSync(file);
	} catch {
		return;
	}
	if (stat.isFile() || stat.isDirectory()) return;
	const kind = stat.isFIFO() ? 'a named pipe' : stat.isSocket() ? 'a socket' : 'a device';
	throw new UserError(`cannot ${action}: it is ${kind}, not a regular file`, {file: shown});
}
