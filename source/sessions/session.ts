/**
 * A session open for writing: its replayed state, kept current by `append`, which validates each event, writes it
 * as one line (fsynced for decisions) and only then applies it. A write the system refuses leaves the log and the
 * state as they were and the session takes nothing more.
 *
 * A session a run creates is *pending* until something the user decided is in its log (a decision, a freeze or a
 * note): a `.pending` file in its folder says so. A pending session is not listed, and is removed when closed, so a
 * run that failed, or was left before its first decision, leaves nothing behind (a resume would redo that round
 * anyway). Pending sessions that a killed run left are removed by the next creation (store.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import {syncDir} from '../atomic-write.js';
import {UserError} from '../errors.js';
import {ioError} from '../fs-errors.js';
import {writeLine} from './log-file.js';
import {redact} from './redact.js';
import {applyEvent, type SessionState} from './replay.js';
import {eventSchema, schemaVersion, type EventDraft, type SessionEvent, type SessionEventType} from './schema.js';

/** Name of the file that marks a session with nothing decided yet. */
export const pendingName = '.pending';

/** Events that record what the user decided: once one is in the log, the session is kept. */
export const keeperEvents: ReadonlySet<SessionEventType> = new Set(['decision', 'freeze', 'note']);

/** Event types after which the log is fsynced: losing them would lose what the user decided. */
const durable = new Set<SessionEventType>(['created', 'decision', 'round_finished', 'freeze', 'undo', 'named']);

/** How to mend the log's end before the next append. */
export type Repair = {
	/** Bytes to keep (up to the last good newline). */
	length: number;
	/** The file's size when read. */
	size: number;
	/** Whether the kept last line lacks its newline. */
	newline: boolean;
};

/** What a Session is made from (by newSession and openSession). */
export type SessionParts = {
	/** The log, open for appending. */
	fd: number;
	/** Releases the session's lock. */
	release: () => void;
	/** Removes the session folder (for a pending session, when it is closed). */
	discard: () => void;
	/** Secret values to mask. */
	secrets: string[];
	/** Warnings from opening it. */
	warnings: string[];
	/** The log's size as read (before any repair). */
	size: number;
	/** How to mend the log's end, when it needs it. */
	repair?: Repair;
	/** Whether the session has nothing decided yet. */
	pending: boolean;
};

/** A session open for writing. */
export class Session {
	/** Warnings from opening it (a cut-off last line that was dropped). */
	readonly warnings: string[];
	#state: SessionState;
	#parts: SessionParts;
	#fd: number | undefined;
	#repair: Repair | undefined;
	/** The log's length as this session wrote it: a failed write is cut back to it. */
	#size: number;
	/** Set once a write failed: nothing more is appended, so a half-written line can never end up mid-log. */
	#broken: UserError | undefined;
	#pending: boolean;
	/** Where the round this process started begins in the log, and the state before it, while it records nothing to keep. */
	#round: {offset: number; state: SessionState} | undefined;

	/** @internal Use newSession or openSession. */
	constructor(
		readonly id: string,
		readonly dir: string,
		state: SessionState,
		parts: SessionParts,
	) {
		this.#state = state;
		this.#parts = parts;
		this.#fd = parts.fd;
		this.#repair = parts.repair;
		this.#size = parts.size;
		this.#pending = parts.pending;
		this.warnings = parts.warnings;
	}

	/** The state the log describes. Treat as read-only. */
	get state(): SessionState {
		return this.#state;
	}

	/** The event log's path. */
	get eventsFile(): string {
		return path.join(this.dir, 'events.jsonl');
	}

	/** Whether nothing the user decided is in the log yet (the session is removed when closed). */
	get pending(): boolean {
		return this.#pending;
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
		const full = redact({v: schemaVersion, seq: this.#state.lastSeq + 1, time: new Date().toISOString(), ...draft}, this.#parts.secrets);
		const parsed = eventSchema.safeParse(full);
		if (!parsed.success) {
			const issues = parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
			throw new Error(`invalid ${draft.type} event: ${issues.join('; ')}`);
		}
		const event = parsed.data;
		// The mark goes before the decision is written: a crash in between leaves a session that is listed with
		// nothing decided (harmless), never one that is hidden with a decision in it.
		if (this.#pending && keeperEvents.has(event.type)) this.#keep();
		const before = event.type === 'round_started' ? structuredClone(this.#state) : undefined;
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
			throw this.#fail(error, keep);
		}
		try {
			applyEvent(this.#state, event);
		} catch (error) {
			fs.ftruncateSync(fd, keep);
			this.#size = keep;
			throw error;
		}
		if (before) this.#round = {offset: keep, state: before};
		// Generator tokens (candidates) and anything decided are kept whatever happens to the round.
		else if (event.type !== 'attribution' && event.type !== 'scored') this.#round = undefined;
		return event;
	}

	/**
	 * Removes what the log holds of the round this process started, when it records nothing worth keeping (no
	 * candidates, nothing decided): a run that failed in it leaves the session as it found it, instead of adding a
	 * restart of the same round at every failed resume. The round is redone on resume either way.
	 */
	abandonRound(): void {
		const round = this.#round;
		if (!round || this.#fd === undefined || this.#broken) return;
		try {
			fs.ftruncateSync(this.#fd, round.offset);
			fs.fsyncSync(this.#fd);
		} catch {
			// The lines stay: a valid log that restarts the round on resume.
			return;
		}
		this.#size = round.offset;
		this.#state = round.state;
		this.#round = undefined;
	}

	/** Closes the log and releases the session's lock; a pending session is removed. */
	close(): void {
		if (this.#fd === undefined) return;
		try {
			fs.closeSync(this.#fd);
		} catch {
			// Every decision was fsynced when it was appended; a failing close loses nothing.
		}
		this.#fd = undefined;
		if (this.#pending) this.#parts.discard();
		this.#parts.release();
	}

	#keep(): void {
		try {
			fs.rmSync(path.join(this.dir, pendingName), {force: true});
			syncDir(this.dir);
		} catch (error) {
			throw this.#fail(error, this.#size);
		}
		this.#pending = false;
	}

	#fail(error: unknown, keep: number): unknown {
		const failure = ioError(error, 'write the session log', this.eventsFile);
		if (!(failure instanceof UserError)) return failure;
		this.#broken = failure;
		try {
			// A partial line would sit mid-log once anything followed it; cut it off (a reader also drops it).
			if (this.#fd !== undefined) fs.ftruncateSync(this.#fd, keep);
		} catch {
			// The next open drops a cut-off last line; nothing more is written by this session.
		}
		return failure;
	}
}
