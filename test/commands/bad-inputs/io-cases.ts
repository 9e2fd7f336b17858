/**
 * I/O faults: folders that are devices, links that loop, places that take no folders (/proc), files that cannot be
 * read (/proc/self/mem) or never end (/dev/zero); and, on a small tmpfs (where the test may mount one), a read-only
 * file system and a full disk under the sessions and the settings. Each is refused in one line naming the path and
 * the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Tmpfs} from '../../sessions/bad-input.js';
import type {Case, Files} from './harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `task`: a task file that runs; `session`: a saved session's id in the corpus's sessions folder. */
export function ioCases(f: Files, task: string, session: string): Case[] {
	const cases: Case[] = [];
	const add = (name: string, argv: string[], line: RegExp, extra: Partial<Case> = {}) => cases.push({name: `io: ${name}`, argv, line, ...extra});
	const run = ['optimize', task, '--auto'];
	add('sessions folder /dev/null', run, /^\/dev\/null: cannot create the sessions folder: it is a file, not a folder$/, {sessionsDir: '/dev/null'});
	const loop = f.path('io/loop');
	fs.mkdirSync(path.dirname(loop), {recursive: true});
	fs.symlinkSync(loop, loop);
	add('sessions folder a link to itself', run, new RegExp(`^${escape(loop)}: cannot create the sessions folder: too many symbolic links \\(ELOOP\\)$`), {sessionsDir: loop});
	add('sessions folder under /proc/self', run, /^\/proc\/self\/gmpo-sessions: cannot create the sessions folder: the file system there takes no new folders \(ENOENT\)$/, {sessionsDir: '/proc/self/gmpo-sessions'});
	add('listing a sessions folder that is /dev/null', ['sessions'], /^\/dev\/null: cannot list the sessions folder: .+$/, {sessionsDir: '/dev/null'});
	add('sessions folder in /sys', run, /^\/sys\/gmpo-sessions: cannot create the sessions folder: .+$/, {sessionsDir: '/sys/gmpo-sessions'});
	add('export into /dev/full', ['export', session, '--out', '/dev/full'], /^\/dev\/full: cannot create the export folder: it is a file, not a folder$/);
	add('export under /proc/self', ['export', session, '--out', '/proc/self/gmpo-export'], /^\/proc\/self\/gmpo-export: cannot create the export folder: the file system there takes no new folders \(ENOENT\)$/);
	add('eval --prompt /proc/self/mem', ['eval', task, '--prompt', '/proc/self/mem'], /^\/proc\/self\/mem: cannot read: input\/output error \(EIO\)$/);
	add('score --prompt /dev/zero', ['score', task, '--prompt', '/dev/zero'], /^\/dev\/zero: cannot read: it is a device, not a regular file$/);
	add('a task from /proc/self/status', ['optimize', '/proc/self/status', '--auto'], /^\/proc\/self\/status: name: missing \(expected string\)$/);
	return cases;
}

/** Cases on a mounted tmpfs: `sessions` holds a saved session `session`; `settings` is a settings folder there. */
export function tmpfsCases(fsys: Tmpfs, task: string, sessions: string, session: string, settings: string): Case[] {
	const cases: Case[] = [];
	const home = process.env.GMPO_CONFIG_DIR;
	const readOnly = {before: () => fsys.readOnly(true), cleanup: () => fsys.readOnly(false)};
	let filler: string | undefined;
	const full = {
		before: () => {
			filler = fsys.fill();
		},
		cleanup: () => {
			if (filler) fs.rmSync(filler);
		},
	};
	const inSettings = (state: {before: () => void; cleanup: () => void}) => ({
		before: () => {
			process.env.GMPO_CONFIG_DIR = settings;
			state.before();
		},
		cleanup: () => {
			state.cleanup();
			process.env.GMPO_CONFIG_DIR = home;
		},
	});
	const dir = escape(path.join(sessions, session));
	const add = (name: string, argv: string[], line: RegExp, extra: Partial<Case>) => cases.push({name: `io: ${name}`, argv, line, sessionsDir: sessions, ...extra});
	add('read-only: sessions rm', ['sessions', 'rm', session], new RegExp(`^${dir}: cannot (lock|remove) the session: the file system is read-only \\(EROFS\\)$`), readOnly);
	add('read-only: export', ['export', session], new RegExp(`^${dir}/export: cannot create the export folder: the file system is read-only \\(EROFS\\)$`), readOnly);
	add('read-only: config set', ['config', 'set', 'defaults.rounds', '3'], new RegExp(`^${escape(settings)}/config\\.json: cannot write the settings: the file system is read-only \\(EROFS\\)$`), inSettings(readOnly));
	add('full disk: export', ['export', session], new RegExp(`^${dir}/export\\S*: cannot (create the export folder|write the export): no space left on the device \\(ENOSPC\\)$`), full);
	add('full disk: resume', ['resume', session, '--auto'], new RegExp(`^${dir}: cannot lock the session: no space left on the device \\(ENOSPC\\)$`), full);
	add('full disk: optimize', ['optimize', task, '--auto'], new RegExp(`^${escape(sessions)}\\S*: cannot \\S+( \\S+)* the session\\S*( \\S+)*: no space left on the device \\(ENOSPC\\)$`), full);
	add('full disk: config set', ['config', 'set', 'defaults.rounds', '3'], new RegExp(`^${escape(settings)}/config\\.json: cannot write the settings: no space left on the device \\(ENOSPC\\)$`), inSettings(full));
	return cases;
}
