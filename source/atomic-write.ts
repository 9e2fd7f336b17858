/**
 * The one way gmpo replaces a file: write a temporary file beside it, fsync it, rename it over the target, fsync the
 * folder. A reader sees the old file or the new one, never half of one, and after a crash (of the process or of the
 * machine) the new file is either complete or absent.
 *
 * Why not the `write-file-atomic` package: its current release needs Node 22 (this package supports Node 20), it
 * does not fsync the folder (the rename itself is then not durable), and it hooks process signals through
 * signal-exit while it writes, which the TUI's hang-up handling must not share. `atomically` (already installed
 * with conf) busy-waits its synchronous retries. What is needed here is eight calls of node:fs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** What a file is written from: text, bytes, or chunks of bytes written in order (large files need no copy). */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/** Makes a new directory entry (a created file, a rename) durable by syncing its folder. */
export function syncDir(dir: string): void {
	let fd: number | undefined;
	try {
		fd = fs.openSync(dir, 'r');
		fs.fsyncSync(fd);
	} catch {
		// Some file systems cannot sync a directory; the data itself was synced.
	} finally {
		if (fd !== undefined) fs.closeSync(fd);
	}
}

function writeAll(fd: number, bytes: Uint8Array): void {
	let written = 0;
	while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Replaces `file` with `data` atomically and durably. The temporary name is unique (pid and random suffix), so two
 * writers never write into the same temporary file; on failure it is removed and the error (with its code, e.g.
 * EACCES or ENOSPC) is thrown for the caller to report.
 */
export function writeFileAtomic(file: string, data: FileData): void {
	writeFileAtomicWith(file, fd => {
		if (typeof data === 'string') writeAll(fd, Buffer.from(data, 'utf8'));
		else if (data instanceof Uint8Array) writeAll(fd, data);
		else for (const chunk of data) writeAll(fd, chunk);
	});
}

/**
 * Replaces `file` atomically and durably with what `write` writes into the open temporary file: for a writer that
 * produces its bytes as it goes (tensors converted one at a time) rather than holding them all at once.
 */
export function writeFileAtomicWith(file: string, write: (fd: number) => void): void {
	const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
	let fd: number | undefined;
	try {
		fd = fs.openSync(tmp, 'wx');
		write(fd);
		fs.fsyncSync(fd);
		fs.closeSync(fd);
		fd = undefined;
		fs.renameSync(tmp, file);
	} catch (error) {
		try {
			if (fd !== undefined) fs.closeSync(fd);
			fs.rmSync(tmp, {force: true});
		} catch {
			// The error that matters is the first one.
		}
		throw error;
	}
	syncDir(path.dirname(file));
}
