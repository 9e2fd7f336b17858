/**
 * Session folders: `sessions/<id>/task.json` (the task snapshot, written once) and `events.jsonl` (the append-only
 * log). Create, open (replay, then append), read-only load, and list. Secrets are stripped from everything written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from '../atomic-write.js';
import {UserError} from '../errors.js';
import {ioCode, ioError, makeDirs} from '../fs-errors.js';
import type {Task} from '../core/task.js';
import type {Segment} from '../core/types.js';
import {acquireLock} from './lock.js';
import {readLog, syncDir, writeLine} from './log-file.js';

export {Session} from './session.js';
import {redact} from './redact.js';
import {checkBinding, readSnapshot, snapshotName, snapshotText} from './snapshot.js';
import {applyEvent, initialState, ReplayError, type SessionState} from './replay.js';
import {keeperEvents, pendingName, Session} from './session.js';
import {eventSchema, schemaVersion, type SessionEvent} from './schema.js';

/** Where sessions live and what must never be written. */
export type StoreOptions = {
	/** The sessions folder (default: `sessions/` of the current working directory). */
	dir?: string;
	/** Secret values (the resolved API key) masked wherever they would be written. */
	secrets?: string[];
	/** Called with each warning (a dropped cut-off line), besides collecting it in `warnings`. */
	onWarning?: (message: string) => void;
};

/** What a new session starts from. */
export type CreateInput = {
	/** The task, with its examples loaded; snapshotted into task.json. */
	task: Task;
	/** The initial prompt's segments. */
	segments: Segment[];
	/** Judge names. */
	judges?: string[];
	/** Generator kind, model and endpoint (any key is stripped). */
	generator?: {kind: string; model?: string; baseUrl?: string};
	/**
	 * Keep the session only once something is decided in it (see session.ts): until then it is not listed, and it
	 * is removed when closed. What a run wants, so that a failed or abandoned run leaves nothing behind.
	 */
	pending?: boolean;
};

/** One line of `gmpo sessions`. */
export type SessionSummary = {
	/** Session id (folder name). */
	id: string;
	/** The name the user gave it, if any. */
	name?: string;
	/** The session folder. */
	dir: string;
	/** Task name. */
	task?: string;
	/** Rounds finished. */
	rounds?: number;
	/** Lowest mean-over-judges training loss seen. */
	bestLoss?: number;
	/** Time of the last event (ISO). */
	lastUpdate?: string;
	/** Why the session cannot be read, when it cannot. */
	error?: string;
};

/** The sessions folder: `sessions/` of the working directory unless overridden. */
export function sessionsDir(options: StoreOptions = {}): string {
	return path.resolve(options.dir ?? path.join(process.cwd(), 'sessions'));
}

/** A new session id: UTC time to the second (so ids sort by creation), then a random suffix. */
export function newSessionId(now = new Date()): string {
	const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

function sessionDir(id: string, options: StoreOptions): string {
	if (!/^[\w.-]+$/.test(id) || id.startsWith('.')) throw new UserError(`"${id}" is not a session id`, {field: 'session'});
	return path.join(sessionsDir(options), id);
}

/** The folder of a saved session; a UserError when there is none (or a file in its place). */
function existingSession(id: string, options: StoreOptions): string {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	if (!fs.statSync(dir).isDirectory()) throw new UserError('not a session: a file, not a session folder', {file: dir});
	return dir;
}

/** Reads a session without changing anything on disk (listing, export, inspection). */
export function loadSession(id: string, options: StoreOptions = {}): {state: SessionState; warnings: string[]} {
	return load(existingSession(id, options), options);
}

function load(dir: string, options: StoreOptions) {
	const file = path.join(dir, 'events.jsonl');
	const {task, hash} = readSnapshot(dir);
	const log = readLog(file);
	for (const w of log.warnings) options.onWarning?.(w);
	const [first, ...rest] = log.events;
	if (first?.type !== 'created') {
		throw new UserError(`line ${log.lines[0] ?? 1}: the log must start with a "created" event`, {file});
	}
	checkBinding(dir, first, hash);
	const state = initialState(task, first);
	rest.forEach((event, i) => {
		try {
			applyEvent(state, event);
		} catch (error) {
			if (error instanceof ReplayError) throw new UserError(`line ${log.lines[i + 1]}: ${error.message}`, {file});
			throw error;
		}
	});
	return {state, warnings: log.warnings, log};
}

/**
 * The sessions folder, made if missing; a UserError when it cannot be. A run calls it before loading judges, so a
 * folder it cannot use is reported at once rather than after the wait.
 */
export function ensureSessionsDir(options: StoreOptions = {}): string {
	const root = sessionsDir(options);
	makeDirs(root, 'the sessions folder');
	try {
		fs.accessSync(root, fs.constants.W_OK | fs.constants.X_OK);
	} catch (error) {
		throw ioError(error, 'write in the sessions folder', root);
	}
	return root;
}

/** Takes a session's lock; file-system failures become a UserError naming the folder. */
function lock(dir: string): () => void {
	try {
		return acquireLock(dir);
	} catch (error) {
		throw ioError(error, 'lock the session', dir);
	}
}

/**
 * Removes a session folder: first renamed to a hidden name in one step (so no half-removed session is ever listed,
 * even if the process dies), then deleted.
 */
function discard(dir: string): void {
	const hidden = path.join(path.dirname(dir), `.discard-${path.basename(dir)}-${crypto.randomBytes(4).toString('hex')}`);
	try {
		fs.renameSync(dir, hidden);
	} catch {
		// Already gone, or the folder cannot be renamed: the removal below says what is wrong, if anything.
		fs.rmSync(dir, {recursive: true, force: true});
		return;
	}
	fs.rmSync(hidden, {recursive: true, force: true});
}

/**
 * Removes what runs that died left behind: pending sessions (nothing decided) whose lock nobody holds, and folders
 * a removal did not finish. Best effort: a folder it cannot judge or remove is left alone.
 */
function sweep(root: string): void {
	for (const entry of fs.readdirSync(root, {withFileTypes: true})) {
		if (!entry.isDirectory()) continue;
		const dir = path.join(root, entry.name);
		try {
			if (entry.name.startsWith('.discard-')) fs.rmSync(dir, {recursive: true, force: true});
			if (entry.name.startsWith('.') || !fs.existsSync(path.join(dir, pendingName))) continue;
			const release = acquireLock(dir);
			try {
				if (!load(dir, {}).log.events.some(e => keeperEvents.has(e.type))) discard(dir);
			} finally {
				release();
			}
		} catch {
			// Open in another process, unreadable or not removable: not for a sweep to decide.
		}
	}
}

/** Creates a session folder, snapshots the task and writes the `created` event, all synced to disk. */
export function newSession(input: CreateInput, options: StoreOptions = {}): Session {
	const root = ensureSessionsDir(options);
	sweep(root);
	const id = newSessionId();
	const dir = sessionDir(id, options);
	try {
		fs.mkdirSync(dir);
	} catch (error) {
		throw ioError(error, 'create the session folder', dir);
	}
	const secrets = options.secrets ?? [];
	let release: (() => void) | undefined;
	let logFd: number | undefined;
	let step = 'lock the session';
	let file = dir;
	try {
		release = acquireLock(dir);
		// Marked before anything else is written: a sweep never mistakes a folder being made for a finished one.
		[step, file] = ['write the session folder', path.join(dir, pendingName)];
		if (input.pending) fs.writeFileSync(file, '');
		[step, file] = ['write the task snapshot', path.join(dir, snapshotName)];
		const snapshot = snapshotText(redact(input.task, secrets));
		writeFileAtomic(file, snapshot.text);
		[step, file] = ['write the session log', path.join(dir, 'events.jsonl')];
		logFd = fs.openSync(file, 'a');
		const created = redact(
			{
				v: schemaVersion,
				seq: 1,
				time: new Date().toISOString(),
				type: 'created',
				id,
				taskHash: snapshot.hash,
				segments: input.segments,
				judges: input.judges ?? [],
				generator: input.generator,
			},
			secrets,
		);
		const event = eventSchema.parse(created) as Extract<SessionEvent, {type: 'created'}>;
		const line = `${JSON.stringify(event)}\n`;
		writeLine(logFd, line, true);
		syncDir(dir);
		syncDir(root);
		const parts = {fd: logFd, release, discard: () => discard(dir), secrets, warnings: [], size: Buffer.byteLength(line), pending: input.pending === true};
		return new Session(id, dir, initialState(readSnapshot(dir).task, event), parts);
	} catch (error) {
		// Nothing of a session that could not be made is left behind.
		try {
			if (logFd !== undefined) fs.closeSync(logFd);
		} catch {
			// Going anyway.
		}
		release?.();
		fs.rmSync(dir, {recursive: true, force: true});
		throw ioError(error, step, file);
	}
}

/** Opens a session to continue it: replays its log and locks it; a cut-off last line is dropped with a warning. */
export function openSession(id: string, options: StoreOptions = {}): Session {
	const dir = existingSession(id, options);
	const release = lock(dir);
	try {
		const {state, warnings, log} = load(dir, options);
		const damaged = log.goodLength < log.size || log.needsNewline;
		const repair = damaged ? {length: log.goodLength, size: log.size, newline: log.needsNewline} : undefined;
		const file = path.join(dir, 'events.jsonl');
		let logFd: number;
		try {
			logFd = fs.openSync(file, 'a');
		} catch (error) {
			throw ioError(error, 'open the session log for writing', file);
		}
		const pending = fs.existsSync(path.join(dir, pendingName)) && !log.events.some(e => keeperEvents.has(e.type));
		const parts = {fd: logFd, release, discard: () => discard(dir), secrets: options.secrets ?? [], warnings, repair, size: log.size, pending};
		return new Session(id, dir, state, parts);
	} catch (error) {
		release();
		throw error;
	}
}

/**
 * Removes a saved session (`gmpo sessions rm`). One that a running gmpo has open is refused: its lock is taken
 * first, and held until the folder is gone.
 */
export function removeSession(id: string, options: StoreOptions = {}): void {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(path.join(dir, 'events.jsonl')) && !fs.existsSync(path.join(dir, snapshotName))) {
		throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	}
	const release = lock(dir);
	try {
		const hidden = path.join(path.dirname(dir), `.discard-${id}-${crypto.randomBytes(4).toString('hex')}`);
		fs.renameSync(dir, hidden);
		fs.rmSync(hidden, {recursive: true, force: true});
	} catch (error) {
		throw ioError(error, 'remove the session', dir);
	} finally {
		release();
	}
}

/**
 * Every session in the folder, newest first; unreadable ones are listed with their error instead of failing all.
 * Pending sessions (nothing decided yet: being made, or left by a run that died) are not listed.
 */
export function listSessions(options: StoreOptions = {}): SessionSummary[] {
	const root = sessionsDir(options);
	let entries: fs.Dirent[];
	try {
		entries = fs.readdirSync(root, {withFileTypes: true});
	} catch (error) {
		if (ioCode(error) === 'ENOENT') return [];
		throw ioError(error, 'list the sessions folder', root);
	}
	const ids = entries
		.filter(e => e.isDirectory() && !e.name.startsWith('.'))
		.filter(e => fs.existsSync(path.join(root, e.name, 'events.jsonl')) && !fs.existsSync(path.join(root, e.name, pendingName)))
		.map(e => e.name)
		.sort()
		.reverse();
	return ids.map(id => {
		const dir = path.join(root, id);
		try {
			const {state} = load(dir, {});
			return {id, name: state.name, dir, task: state.task.name, rounds: state.roundsDone, bestLoss: state.best?.loss, lastUpdate: state.updated};
		} catch (error) {
			if (error instanceof UserError) return {id, dir, error: error.line};
			throw error;
		}
	});
}

/** Names a session (shown beside its id); an empty name removes it. Refused while the session is open elsewhere. */
export function nameSession(id: string, name: string, options: StoreOptions = {}): void {
	const session = openSession(id, options);
	try {
		session.append({type: 'named', name: name.trim()});
	} finally {
		session.close();
	}
}

