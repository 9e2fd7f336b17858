/**
 * File fingerprints for the graph cache key. Hashing a 5 GB weights file on every open would cost seconds, so a file
 * over SAMPLE_ABOVE bytes is fingerprinted by its size, its modification time and a SHA-256 of samples: the first and
 * last MiB and 64 blocks of 64 KiB spread evenly between them. Any rewrite of the file changes its modification
 * time; a file copied elsewhere (new mtime, same bytes) is rebuilt once, which costs time, never correctness.
 * Smaller files are hashed whole.
 */
import {createHash} from 'node:crypto';
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';

/** Files up to this size are hashed whole. */
const SAMPLE_ABOVE = 64 << 20;
const EDGE = 1 << 20;
const BLOCKS = 64;
const BLOCK = 64 << 10;

/** A file's identity for caching. */
export type Fingerprint = {
	/** Absolute path. */
	file: string;
	/** Size in bytes. */
	size: number;
	/** Modification time in ms, for sampled files only (0 when the whole file is hashed). */
	mtimeMs: number;
	/** SHA-256 (hex) of the whole file, or of the samples. */
	sha256: string;
	/** Whether the hash covers samples only. */
	sampled: boolean;
};

function readAt(fd: number, position: number, length: number): Uint8Array {
	const buffer = new Uint8Array(length);
	let done = 0;
	while (done < length) {
		const n = readSync(fd, buffer, done, length - done, position + done);
		if (n === 0) {
			break;
		}
		done += n;
	}
	return buffer.subarray(0, done);
}

/** The fingerprint of `file` (see the header). */
export function fingerprint(file: string): Fingerprint {
	const fd = openSync(file, 'r');
	try {
		const stat = fstatSync(fd);
		const hash = createHash('sha256');
		const sampled = stat.size > SAMPLE_ABOVE;
		if (!sampled) {
			for (let at = 0; at < stat.size; at += 1 << 24) {
				hash.update(readAt(fd, at, Math.min(1 << 24, stat.size - at)));
			}
		} else {
			hash.update(readAt(fd, 0, EDGE));
			const span = stat.size - 2 * EDGE - BLOCK;
			for (let i = 0; i < BLOCKS; i++) {
				hash.update(readAt(fd, EDGE + Math.floor((span * i) / (BLOCKS - 1)), BLOCK));
			}
			hash.update(readAt(fd, stat.size - EDGE, EDGE));
		}
		return {file, size: stat.size, mtimeMs: sampled ? Math.floor(stat.mtimeMs) : 0, sha256: hash.digest('hex'), sampled};
	} finally {
		closeSync(fd);
	}
}

/**
 * The part of fingerprints that goes into a cache key. Paths are in it: a cached graph may reference the weights in
 * place, in the folder it was built from, so the same model in another folder gets an entry of its own.
 */
export function fingerprintKey(prints: readonly Fingerprint[]): string {
	return prints.map(p => `${p.file}:${p.size}:${p.mtimeMs}:${p.sha256}`).join('|');
}
