/**
 * Helpers for the bad-input tests of sessions: a command run the way runCli runs it (a UserError becomes one line
 * "gmpo: ..." on stderr and exit code 2, anything else is a bug and is thrown), the bytes of a folder (to check a
 * session is unchanged), and a small tmpfs to make real ENOSPC and EROFS failures where the test may mount one.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {isUserError} from '../../source/errors.js';
import type {Command, Flags} from '../../source/commands/types.js';
import {tempDir} from '../engine/fakes.js';

/** What a command run ended with. */
export type Outcome = {code: number; stderr: string};

/** Runs a command as runCli does; `stderr` is what the command itself wrote there. */
export async function runCommand(command: Command, args: string[], flags: Flags, stderr: {text: string}): Promise<Outcome> {
	try {
		const code = await command.run(args, flags);
		return {code, stderr: stderr.text};
	} catch (error) {
		if (!isUserError(error)) throw error;
		return {code: 2, stderr: `${stderr.text}gmpo: ${error.line}\n`};
	}
}

/**
 * Exit code 2, one error line (naming what is at fault) and no stack trace. `alone`: nothing else on stderr either
 * (false for a failure during a run, after its progress lines).
 */
export function assertRefused(name: string, outcome: Outcome, expected: RegExp, options: {alone?: boolean} = {}): void {
	const where = `${name}: stderr was\n${outcome.stderr}`;
	assert.equal(outcome.code, 2, `${name}: exit code 2. ${where}`);
	assert.doesNotMatch(outcome.stderr, /^\s+at /m, `${name}: no stack trace`);
	const lines = outcome.stderr.trimEnd().split('\n');
	assert.equal(lines.filter(l => l.startsWith('gmpo: ')).length, 1, `${name}: one error line. ${where}`);
	if (options.alone !== false) assert.equal(lines.length, 1, `${name}: one line. ${where}`);
	assert.match(lines.at(-1)!, expected, where);
}

/** Every file under a folder with its bytes (folders as entries too, so a new empty folder shows). */
export function snapshot(dir: string): Map<string, string> {
	const out = new Map<string, string>();
	const walk = (d: string) => {
		for (const e of fs.readdirSync(d, {withFileTypes: true})) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) {
				out.set(`${path.relative(dir, p)}/`, '');
				walk(p);
			} else out.set(path.relative(dir, p), fs.readFileSync(p, 'base64'));
		}
	};
	walk(dir);
	return out;
}

/** Asserts a folder holds exactly what a snapshot holds. */
export function assertUnchanged(name: string, dir: string, before: Map<string, string>): void {
	assert.deepEqual([...snapshot(dir).entries()].sort(), [...before.entries()].sort(), `${name}: the folder is unchanged`);
}

/** A mounted tmpfs and how to use it. */
export type Tmpfs = {
	/** The mount point. */
	dir: string;
	/** Fills the file system; returns the filler file (remove it to free the space). */
	fill(): string;
	/** Remounts read-only (true) or read-write (false). */
	readOnly(on: boolean): void;
	/** Unmounts and removes the mount point. */
	close(): void;
};

/**
 * Mounts a tmpfs of `kb` KiB in a temp folder, or says why it cannot (not Linux, not root, no mount permission):
 * then the caller skips with that reason.
 */
export function mountTmpfs(kb: number): Tmpfs | string {
	if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
	if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
	const dir = tempDir('gmpo-tmpfs-');
	const mount = (...args: string[]) => spawnSync('mount', args, {encoding: 'utf8'});
	const result = mount('-t', 'tmpfs', '-o', `size=${kb}k,mode=0755`, 'tmpfs', dir);
	if (result.status !== 0) return `cannot mount a tmpfs here: ${(result.stderr || String(result.error)).trim()}`;
	return {
		dir,
		fill() {
			const file = path.join(dir, 'filler');
			const fd = fs.openSync(file, 'w');
			const block = Buffer.alloc(4096, 1);
			try {
				for (;;) fs.writeSync(fd, block);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
			} finally {
				fs.closeSync(fd);
			}
			return file;
		},
		readOnly(on) {
			const r = mount('-o', `remount,${on ? 'ro' : 'rw'}`, dir);
			assert.equal(r.status, 0, r.stderr);
		},
		close() {
			// A file still open there (a failed test that did not close its session) keeps it busy: detach it lazily.
			if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
			fs.rmSync(dir, {recursive: true, force: true});
		},
	};
}
