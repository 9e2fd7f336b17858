/**
 * `gmpo export <id> [--out DIR]`: the session's final prompt (prompt.txt), report.md with one SVG chart per judge
 * beside it, and a self-contained report.html. The session is only read. Default folder: <session>/export.
 */
import fs from 'node:fs';
import path from 'node:path';
import {buildReport, chartFile} from '../engine/report.js';
import {UserError} from '../errors.js';
import {loadSession} from '../sessions/store.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {stringFlag} from './flags.js';
import type {Command} from './types.js';

/** What a failed file-system call means, in words (the code alone, EROFS or EACCES, is for the curious). */
export function ioProblem(error: unknown): string {
	const code = (error as NodeJS.ErrnoException).code;
	const words: Record<string, string> = {
		EROFS: 'the file system is read-only',
		EACCES: 'permission denied',
		EPERM: 'not permitted',
		ENOSPC: 'no space left on the device',
		EDQUOT: 'disk quota exceeded',
		ENOTDIR: 'a part of the path is a file, not a folder',
		EISDIR: 'is a folder, not a file',
		EEXIST: 'already exists and is not a folder',
		// mkdir says ENOENT, though the parent exists, where folders cannot be made at all (/proc).
		ENOENT: 'folders cannot be created there',
	};
	return code && words[code] ? `${words[code]} (${code})` : (error as Error).message;
}

/**
 * Makes `dir` and its missing parents one level at a time, so a failure names the real cause: recursive mkdir
 * reports ENOENT for a read-only or forbidden parent, and loops forever under /proc.
 */
function makeFolder(dir: string): void {
	const missing: string[] = [];
	let at = dir;
	while (!fs.existsSync(at)) {
		missing.unshift(at);
		const parent = path.dirname(at);
		if (parent === at) break;
		at = parent;
	}
	if (fs.existsSync(at) && !fs.statSync(at).isDirectory()) throw new UserError(`cannot write there: ${at} is a file, not a folder`, {field: '--out'});
	for (const level of missing) {
		try {
			fs.mkdirSync(level);
		} catch (error) {
			throw new UserError(`cannot create the folder ${level}: ${ioProblem(error)}`, {field: '--out'});
		}
	}
}

/** Writes a file through a temporary name, so a reader never sees half a report. */
function writeAtomic(file: string, text: string): void {
	const tmp = `${file}.tmp-${process.pid}`;
	try {
		fs.writeFileSync(tmp, text);
		fs.renameSync(tmp, file);
	} catch (error) {
		try {
			fs.rmSync(tmp, {force: true});
		} catch {
			// Nothing was left behind, or nothing can be removed there either; the error below says why.
		}
		throw new UserError(`cannot write ${path.basename(file)}: ${ioProblem(error)}`, {file: path.dirname(file), field: '--out'});
	}
}

/** The export command with the given outside world. */
export function createExportCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'export',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const [id] = args;
			const {state, warnings} = loadSession(id, {dir: deps.sessionsDir});
			for (const w of warnings) deps.stderr.write(`note: ${w}\n`);
			const out = path.resolve(stringFlag(flags, 'out', '--out') ?? path.join(deps.sessionsDir, id, 'export'));
			makeFolder(out);
			const report = buildReport(state);
			const files = {
				prompt: path.join(out, 'prompt.txt'),
				markdown: path.join(out, 'report.md'),
				html: path.join(out, 'report.html'),
				charts: Object.keys(report.charts).map(j => path.join(out, chartFile(j))),
			};
			writeAtomic(files.prompt, `${report.prompt}\n`);
			writeAtomic(files.markdown, report.markdown);
			writeAtomic(files.html, report.html);
			for (const [judge, svg] of Object.entries(report.charts)) writeAtomic(path.join(out, chartFile(judge)), svg);
			deps.stdout.write(flags.json === true ? `${JSON.stringify({session: id, ...files}, null, 2)}\n` : `wrote ${files.prompt}, ${files.markdown} and ${files.html}\n`);
			return 0;
		},
	};
}

export const exportCommand = createExportCommand();
