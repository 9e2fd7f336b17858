/**
 * Session folders: `sessions/<id>/task.json` (the task snapshot, written once) and `events.jsonl` (the append-only
 * log). Create, open (replay, then append), read-only load, and list. Secrets are stripped from everything written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {UserError} from '../errors.js';
import {taskSchema, type Task} from '../core/task.js';
import type {Segment} from '../core/types.js';
import {acquireLock} from './lock.js';
import {readLog, syncDir, writeLine} from './log-file.js';
import {redact} from './redact.js';
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

/** Event types after which the log is fsynced: losing them would lose what the user decided. */
const durable = new Set(['created', 'decision', 'round_finished', 'freeze', 'undo', 'named']);

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

function loadTask(dir: string): Task {
	const file = path.join(dir, 'task.json');
	let json: unknown;
	try {
		json = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(code === 'ENOENT' ? 'the session has no task snapshot' : `not valid JSON (${(error as Error).message})`, {file});
	}
	const parsed = taskSchema.extend({file: z.string().optional()}).safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new UserError(issue.message, {file, field: issue.path.join('.')});
	}
	const {data} = parsed.data;
	if (typeof data.train === 'string' || typeof data.test === 'string') {
		throw new UserError('the snapshot must hold the examples, not a path', {file, field: 'data'});
	}
	return {...parsed.data, data: {train: data.train, test: data.test}} as Task;
}

/** Reads a session without changing anything on disk (listing, export, inspection). */
export function loadSession(id: string, options: StoreOptions = {}): {state: SessionState; warnings: string[]} {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	return load(dir, options);
}

function load(dir: string, options: StoreOptions) {
	const file = path.join(dir, 'events.jsonl');
	const task = loadTask(dir);
	const log = readLog(file);
	for (const w of log.warnings) options.onWarning?.(w);
	const [first, ...rest] = log.events;
	if (first?.type !== 'created') {
		throw new UserError(`line ${log.lines[0] ?? 1}: the log must start with a "created" event`, {file});
	}
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

	/** @internal Use createSession or openSession. */
	constructor(
		readonly id: string,
		readonly dir: string,
		state: SessionState,
		options: {fd: number; release: () => void; secrets: string[]; warnings: string[]; repair?: Repair},
	) {
		this.#state = state;
		this.#fd = options.fd;
		this.#release = options.release;
		this.#secrets = options.secrets;
		this.warnings = options.warnings;
		this.#repair = options.repair;
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
	 * Validates an event, applies it to the state and appends it to the log (fsynced for decisions). An event the
	 * log would contradict is a bug in the caller and throws before anything is written.
	 */
	append(draft: EventDraft): SessionEvent {
		if (this.#fd === undefined) throw new Error(`session ${this.id} is closed`);
		const full = redact({v: schemaVersion, seq: this.#state.lastSeq + 1, time: new Date().toISOString(), ...draft}, this.#secrets);
		const parsed = eventSchema.safeParse(full);
		if (!parsed.success) {
			const issues = parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
			throw new Error(`invalid ${draft.type} event: ${issues.join('; ')}`);
		}
		const event = parsed.data;
		applyEvent(this.#state, event);
		if (this.#repair) {
			// Only now is the file changed: the cut-off line goes, or the missing newline is written.
			if (this.#repair.length < this.#repair.size) fs.ftruncateSync(this.#fd, this.#repair.length);
			if (this.#repair.newline) writeLine(this.#fd, '\n', false);
			this.#repair = undefined;
		}
		writeLine(this.#fd, `${JSON.stringify(event)}\n`, durable.has(event.type));
		return event;
	}

	/** Closes the log and releases the session's lock. */
	close(): void {
		if (this.#fd !== undefined) fs.closeSync(this.#fd);
		this.#fd = undefined;
		this.#release();
	}
}

/** Creates a session folder, snapshots the task and writes the `created` event, all synced to disk. */
export function createSession(input: CreateInput, options: StoreOptions = {}): Session {
	const root = sessionsDir(options);
	fs.mkdirSync(root, {recursive: true});
	const id = newSessionId();
	const dir = sessionDir(id, options);
	fs.mkdirSync(dir);
	const secrets = options.secrets ?? [];
	const taskFile = path.join(dir, 'task.json');
	const tmp = `${taskFile}.tmp`;
	const fd = fs.openSync(tmp, 'w');
	writeLine(fd, `${JSON.stringify(redact(input.task, secrets), null, '\t')}\n`, true);
	fs.closeSync(fd);
	fs.renameSync(tmp, taskFile);
	const release = acquireLock(dir);
	const logFd = fs.openSync(path.join(dir, 'events.jsonl'), 'a');
	const created = redact(
		{
			v: schemaVersion,
			seq: 1,
			time: new Date().toISOString(),
			type: 'created',
			id,
			segments: input.segments,
			judges: input.judges ?? [],
			generator: input.generator,
		},
		secrets,
	);
	const event = eventSchema.parse(created) as Extract<SessionEvent, {type: 'created'}>;
	writeLine(logFd, `${JSON.stringify(event)}\n`, true);
	syncDir(dir);
	syncDir(root);
	return new Session(id, dir, initialState(loadTask(dir), event), {fd: logFd, release, secrets, warnings: []});
}

/** Opens a session to continue it: replays its log and locks it; a cut-off last line is dropped with a warning. */
export function openSession(id: string, options: StoreOptions = {}): Session {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	const release = acquireLock(dir);
	try {
		const {state, warnings, log} = load(dir, options);
		const damaged = log.goodLength < log.size || log.needsNewline;
		const repair = damaged ? {length: log.goodLength, size: log.size, newline: log.needsNewline} : undefined;
		const logFd = fs.openSync(path.join(dir, 'events.jsonl'), 'a');
		return new Session(id, dir, state, {fd: logFd, release, secrets: options.secrets ?? [], warnings, repair});
	} catch (error) {
		release();
		throw error;
	}
}

/** Every session in the folder, newest first; unreadable ones are listed with their error instead of failing all. */
export function listSessions(options: StoreOptions = {}): SessionSummary[] {
	const root = sessionsDir(options);
	if (!fs.existsSync(root)) return [];
	const ids = fs
		.readdirSync(root, {withFileTypes: true})
		.filter(e => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'events.jsonl')))
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

/** Deletes a session's folder. Refused (a UserError) while the session is open elsewhere. */
export function deleteSession(id: string, options: StoreOptions = {}): void {
	const dir = sessionDir(id, options);
	if (!fs.existsSync(dir)) throw new UserError(`no session "${id}" in ${sessionsDir(options)}`, {field: 'session'});
	const release = acquireLock(dir);
	// Moved aside first, so a crash half-way leaves no half-deleted session that lists as damaged.
	const trash = path.join(path.dirname(dir), `.deleting-${id}-${process.pid}`);
	try {
		fs.renameSync(dir, trash);
	} catch (error) {
		release();
		throw error;
	}
	fs.rmSync(trash, {recursive: true, force: true});
	syncDir(path.dirname(dir));
}
