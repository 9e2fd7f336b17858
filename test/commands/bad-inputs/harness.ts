/**
 * The bad-input corpus's harness: a case is a command line with the files it needs; it runs through the CLI's own
 * dispatcher (commands/index.ts main: the registry, the flag checks, the command, the UserError-to-one-line rule) with
 * captured streams and the outside world the case asks for (fake judges, or the real judge loader and worker pool),
 * and its outcome is judged the way a user would: exit code, one line on stderr naming what is at fault, no stack
 * trace, and the saved sessions byte for byte as they were.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import '../../../source/commands/all.js';
import {main} from '../../../source/commands/index.js';
import {openBundledJudges, openOrtPool, type CommandDeps} from '../../../source/commands/deps.js';
import {capture, fakeJudges} from '../helpers.js';

/** One bad input. */
export type Case = {
	/** What is wrong, in a few words (unique in the corpus). */
	name: string;
	/** The command line, without `gmpo`. */
	argv: string[];
	/** The error line after "gmpo: "; it must name the file, field or flag at fault. */
	line: RegExp;
	/** Whether the error line is all there is on stderr (false for a failure during a run, after its notes). */
	alone?: boolean;
	/** Exit code (default 2, a user mistake). */
	code?: number;
	/** Judges: fake ones (default; the task or the flags name them), or the real loader with the worker pool. */
	judges?: 'fake' | 'real';
	/** Environment of the command (default: none, so no API key). */
	env?: Record<string, string>;
	/** The sessions folder (default: the corpus's, with its saved sessions). */
	sessionsDir?: string;
	/** Runs just before the case (sets what it needs outside its own files, such as the settings folder). */
	before?: () => void;
	/** Runs after the case, whatever happened (restores what the case changed outside its own files). */
	cleanup?: () => void;
};

/** What a case did, and what was wrong with that. */
export type Outcome = {
	name: string;
	code: number;
	stderr: string;
	/** A bug's error escaped the dispatcher (the real CLI prints its stack), or stderr holds a stack. */
	stack: boolean;
	/** The exit code was not the expected one. */
	wrongExit: boolean;
	/** A saved session changed, or a session was left behind. */
	damaged: boolean;
	/** Not exactly one error line matching the case's line (or more than that line alone). */
	badLine: boolean;
};

/** The saved sessions to check a case against, and the folder they are in. */
export type Sessions = {dir: string};

/** Runs one case through the dispatcher. */
export async function runCase(c: Case, sessions: Sessions): Promise<Outcome> {
	const dir = c.sessionsDir ?? sessions.dir;
	const watched = [...new Set([sessions.dir, dir])];
	const before = watched.map(look);
	const io = {stdout: capture(), stderr: capture()};
	const deps: Partial<CommandDeps> = {
		openJudges: c.judges === 'real' ? openBundledJudges : fakeJudges(),
		openPool: c.judges === 'real' ? openOrtPool : () => Promise.reject(new Error('bug: a fake-judge case opened a worker pool')),
		stdinIsTTY: false,
		env: c.env ?? {},
		sessionsDir: dir,
		signals: [],
	};
	let code: number;
	let stack = false;
	try {
		c.before?.();
		code = await main(c.argv, io, deps);
	} catch (error) {
		// What the real CLI would do with it: print the stack and exit 1.
		stack = true;
		code = 1;
		io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
	} finally {
		c.cleanup?.();
	}
	const stderr = io.stderr.text;
	stack ||= /^\s+at /m.test(stderr);
	const damaged = watched.some((d, i) => !sameEntries(before[i]!, look(d)));
	const lines = stderr.trimEnd().split('\n');
	const errors = lines.filter(l => l.startsWith('gmpo: '));
	const alone = c.alone ?? true;
	const badLine = errors.length !== 1 || (alone && lines.length !== 1) || !c.line.test(errors[0]!.slice('gmpo: '.length));
	return {name: c.name, code, stderr, stack, wrongExit: code !== (c.code ?? 2), damaged, badLine};
}

/**
 * Everything in a sessions folder, links as links (never followed: a case links a log to /dev/zero); nothing when it
 * is not a folder one can list.
 */
function look(dir: string): Map<string, string> {
	const out = new Map<string, string>();
	const walk = (d: string) => {
		for (const e of fs.readdirSync(d, {withFileTypes: true})) {
			const p = path.join(d, e.name);
			const key = path.relative(dir, p);
			if (e.isSymbolicLink()) out.set(key, `link to ${fs.readlinkSync(p)}`);
			else if (e.isDirectory()) {
				out.set(`${key}/`, '');
				walk(p);
			} else if (e.isFile()) out.set(key, fs.readFileSync(p, 'base64'));
			else out.set(key, 'special');
		}
	};
	try {
		if (fs.statSync(dir).isDirectory()) walk(dir);
	} catch {
		// Not a folder one can list (a case's sessions folder may be /dev/null): nothing in it.
	}
	return out;
}

function sameEntries(a: Map<string, string>, b: Map<string, string>): boolean {
	return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** Asserts a case's outcome, with its stderr in every message. */
export function assertOutcome(c: Case, o: Outcome): void {
	const said = `${c.name}: gmpo ${c.argv.join(' ')}\nstderr was:\n${o.stderr}`;
	assert.ok(!o.stack, `no stack trace. ${said}`);
	assert.equal(o.code, c.code ?? 2, `exit code ${c.code ?? 2}. ${said}`);
	assert.ok(!o.damaged, `the saved sessions are unchanged and none is left behind. ${said}`);
	assert.ok(!o.badLine, `one line matching ${c.line}${c.alone === false ? '' : ', alone'}. ${said}`);
}

/** The totals over a corpus. */
export function counts(outcomes: readonly Outcome[]): {cases: number; stackTraces: number; wrongExits: number; damagedSessions: number; badLines: number} {
	return {
		cases: outcomes.length,
		stackTraces: outcomes.filter(o => o.stack).length,
		wrongExits: outcomes.filter(o => o.wrongExit).length,
		damagedSessions: outcomes.filter(o => o.damaged).length,
		badLines: outcomes.filter(o => o.badLine).length,
	};
}

/** Files for the cases, in one folder. */
export class Files {
	constructor(readonly dir: string) {}

	/** Writes `content` at `name` (folders made); returns the path. */
	write(name: string, content: string | Uint8Array): string {
		const file = path.join(this.dir, name);
		fs.mkdirSync(path.dirname(file), {recursive: true});
		fs.writeFileSync(file, content);
		return file;
	}

	/** A JSON file of `value`. */
	json(name: string, value: unknown): string {
		return this.write(name, JSON.stringify(value, null, 2));
	}

	/** A folder; returns its path. */
	folder(name: string): string {
		const dir = path.join(this.dir, name);
		fs.mkdirSync(dir, {recursive: true});
		return dir;
	}

	/** A path in the folder (nothing written). */
	path(name: string): string {
		return path.join(this.dir, name);
	}
}
