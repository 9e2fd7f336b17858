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
import {redact} from './redact.js';
import {checkBinding, readSnapshot, snapshotName, snapshotText} from './snapshot.js';
import {applyEvent, initialState, ReplayError, type SessionState} from './replay.js';
import {eventSchema, schemaVersion, type EventDraft, type SessionEvent} from './schema.js';

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
};

/** One line of `gmpo sessions`. */
export type SessionSummary = {
	/** Session id (folder name). */
	id: string;
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

/** Event types after which the log is fsynced: losing them would lose what the user decided. */
const durable = new Set(['created', 'decision', 'round_finished', 'freeze']);

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

/** Reads a session without changing anything on disk (listing, export, inspection). */
export function loadSession(id: string, options: StoreOptions = {}): {state: SessionState; warnings: string[]} {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	return load(dir, options);
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

/** How to mend the log's end before the next append. */
type Repair = {
	/** Bytes to keep (up to the last good newline). */
	length: number;
	/** The file's size when read. */
	size: number;
	/** Whether the kept last line lacks its newline. */
	newline: boolean;
};

/** A session open for writing: its replayed state, kept current by `append`. */
export class Session {
	/** Warnings from opening it (a cut-off last line that was dropped). */
	readonly warnings: string[];
	#state: SessionState;
	#fd: number | undefined;
	#release: () => void;
	#secrets: string[];
	/** Bytes to keep before the next append (a cut-off line is removed), and whether a newline is missing. */
	#repair: Repair | undefined;
	/** The log's length as this session wrote it: a failed write is cut back to it. */
	#size: number;
	/** Set once a write failed: nothing more is appended, so a half-written line can never end up mid-log. */
	#broken: UserError | undefined;

	/** @internal Use createSession or openSession. */
	constructor(
		readonly id: string,
		readonly dir: string,
		state: SessionState,
		options: {fd: number; release: () => void; secrets: string[]; warnings: string[]; size: number; repair?: Repair},
	) {
		this.#state = state;
		this.#fd = options.fd;
		this.#release = options.release;
		this.#secrets = options.secrets;
		this.warnings = options.warnings;
		this.#repair = options.repair;
		this.#size = options.size;
	}

	/** The state the log describes. Treat as read-only. */
	get state(): SessionState {
		return this.#state;
	}

	/** The event log's path. */
	get eventsFile(): string {
		return path.join(this.dir, 'events.jsonl');
	}

	/**
	 * Validates an event, appends it to the log (fsynced for decisions) and applies it to the state. An event the
	 * log would contradict is a bug in the caller and throws, leaving the log as it was. A write the system refuses
	 * (a full disk, a read-only mount) throws a UserError; the state and the log stay as they were, and the session
	 * takes no more events.
	 */
	append(draft: EventDraft): SessionEvent {
		if (this.#fd === undefined) throw new Error(`session ${this.id} is closed`);
		if (this.#broken) throw this.#broken;
		const full = redact({v: schemaVersion, seq: this.#state.lastSeq + 1, time: new Date().toISOString(), ...draft}, this.#secrets);
		const parsed = eventSchema.safeParse(full);
		if (!parsed.success) {
			const issues = parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
			throw new Error(`invalid ${draft.type} event: ${issues.join('; ')}`);
		}
		const event = parsed.data;
		const fd = this.#fd;
		// What the log keeps if this write fails: all of it before this call (after the repair, once that is done).
		let keep = this.#size;
		try {
			if (this.#repair) {
				// Only now is the file changed: the cut-off line goes, or the missing newline is written.
				if (this.#repair.length < this.#repair.size) fs.ftruncateSync(fd, this.#repair.length);
				if (this.#repair.newline) writeLine(fd, '\n', false);
				keep = this.#size = this.#repair.length + (this.#repair.newline ? 1 : 0);
				this.#repair = undefined;
			}
			const line = `${JSON.stringify(event)}\n`;
			writeLine(fd, line, durable.has(event.type));
			this.#size += Buffer.byteLength(line);
		} catch (error) {
			const failure = ioError(error, 'write the session log', this.eventsFile);
			if (!(failure instanceof UserError)) throw failure;
			this.#broken = failure;
			try {
				// A partial line would sit mid-log once anything followed it; cut it off (a reader also drops it).
				fs.ftruncateSync(fd, keep);
			} catch {
				// The next open drops a cut-off last line; nothing more is written by this session.
			}
			throw failure;
		}
		try {
			applyEvent(this.#state, event);
		} catch (error) {
			fs.ftruncateSync(fd, keep);
			this.#size = keep;
			throw error;
		}
		return event;
	}

	/** Closes the log and releases the session's lock. */
	close(): void {
		try {
			if (this.#fd !== undefined) fs.closeSync(this.#fd);
		} catch {
			// Every decision was fsynced when it was appended; a failing close loses nothing.
		} finally {
			this.#fd = undefined;
			this.#release();
		}
	}
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

/** Creates a session folder, snapshots the task and writes the `created` event, all synced to disk. */
export function createSession(input: CreateInput, options: StoreOptions = {}): Session {
	const root = ensureSessionsDir(options);
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
		return new Session(id, dir, initialState(readSnapshot(dir).task, event), {fd: logFd, release, secrets, warnings: [], size: Buffer.byteLength(line)});
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
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
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
		return new Session(id, dir, state, {fd: logFd, release, secrets: options.secrets ?? [], warnings, repair, size: log.size});
	} catch (error) {
		release();
		throw error;
	}
}

/** Every session in the folder, newest first; unreadable ones are listed with their error instead of failing all. */
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
		.filter(e => e.isDirectory() && !e.name.startsWith('.') && fs.existsSync(path.join(root, e.name, 'events.jsonl')))
		.map(e => e.name)
		.sort()
		.reverse();
	return ids.map(id => {
		const dir = path.join(root, id);
		try {
			const {state} = load(dir, {});
			return {id, dir, task: state.task.name, rounds: state.roundsDone, bestLoss: state.best?.loss, lastUpdate: state.updated};
		} catch (error) {
			if (error instanceof UserError) return {id, dir, error: error.line};
			throw error;
		}
	});
}
