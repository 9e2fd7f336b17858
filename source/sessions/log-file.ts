/**
 * Reading `events.jsonl`. A crash mid-write can only leave a partial LAST line (each line is written with one call
 * and ends with a newline), so that case is dropped with a warning and repaired before the next append. Anything
 * else (bad JSON in the middle, an unknown schema version, a broken sequence) is not a crash artefact: it is
 * reported as a UserError naming the file and line, and the file is left exactly as it is.
 */
import fs from 'node:fs';
import {UserError} from '../errors.js';
import {ioError, refuseSpecialFile} from '../fs-errors.js';
export {syncDir} from '../atomic-write.js';
import {eventSchema, schemaVersion, type SessionEvent} from './schema.js';

/** A log as read. */
export type ReadLog = {
	/** The events, in order. */
	events: SessionEvent[];
	/** 1-based line number of each event. */
	lines: number[];
	/** What was dropped and why. */
	warnings: string[];
	/** Byte length up to the last good newline: the file is truncated to this before the next append. */
	goodLength: number;
	/** The file's size when read. */
	size: number;
	/** The last line is complete but lacks its newline; one is written before the next append. */
	needsNewline: boolean;
};

const eventTypes = new Set<string>(eventSchema.options.map(o => o.shape.type.value));

type Parsed = {ok: true; event: SessionEvent} | {ok: false; error: string};

function parseLine(text: string): Parsed {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		return {ok: false, error: `not valid JSON (${(error as Error).message})`};
	}
	if (json === null || typeof json !== 'object' || Array.isArray(json)) return {ok: false, error: 'not a JSON object'};
	const v = (json as {v?: unknown}).v;
	if (v !== schemaVersion) {
		return {ok: false, error: `schema version ${JSON.stringify(v)} is not supported (this gmpo reads version ${schemaVersion})`};
	}
	const type = (json as {type?: unknown}).type;
	if (!eventTypes.has(type as string)) return {ok: false, error: `unknown event type ${JSON.stringify(type)}`};
	const parsed = eventSchema.safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		return {ok: false, error: `${issue.path.join('.') || 'event'}: ${issue.message}`};
	}
	return {ok: true, event: parsed.data};
}

/** Reads and validates a log; throws a UserError naming file and line for anything a crash cannot explain. */
export function readLog(file: string): ReadLog {
	let bytes: Buffer;
	refuseSpecialFile(file, 'read the event log');
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('the session has no event log', {file});
		throw ioError(error, 'read the event log', file);
	}
	const lastNewline = bytes.lastIndexOf(0x0a);
	const body = bytes.subarray(0, lastNewline + 1).toString('utf8');
	const tail = bytes.subarray(lastNewline + 1);
	const rows = body === '' ? [] : body.slice(0, -1).split('\n');
	const out: ReadLog = {events: [], lines: [], warnings: [], goodLength: lastNewline + 1, size: bytes.length, needsNewline: false};
	let lastSeq = 0;
	const accept = (event: SessionEvent, line: number) => {
		if (event.seq !== lastSeq + 1) {
			throw new UserError(`line ${line}: seq ${event.seq} does not follow ${lastSeq} (the log is out of order)`, {file});
		}
		lastSeq = event.seq;
		out.events.push(event);
		out.lines.push(line);
	};
	rows.forEach((row, i) => {
		// Blank lines carry nothing and break nothing; an editor may have added one.
		if (row.trim() === '') return;
		const parsed = parseLine(row);
		if (!parsed.ok) throw new UserError(`line ${i + 1}: ${parsed.error}`, {file});
		accept(parsed.event, i + 1);
	});
	if (tail.length > 0) {
		const line = rows.length + 1;
		const parsed = tail.toString('utf8').trim() === '' ? undefined : parseLine(tail.toString('utf8'));
		if (parsed?.ok && parsed.event.seq === lastSeq + 1) {
			// Complete but for its newline (a crash between the two): keep it, and end it before appending.
			accept(parsed.event, line);
			out.needsNewline = true;
			out.goodLength = bytes.length;
		} else {
			out.warnings.push(`${file}: line ${line} was cut off (the process stopped while writing it) and is ignored`);
		}
	}
	return out;
}

/** Appends one line durably enough: one write call, and an fsync when asked (decisions, creation). */
export function writeLine(fd: number, line: string, sync: boolean): void {
	const data = Buffer.from(line, 'utf8');
	let written = 0;
	while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
	if (sync) fs.fsyncSync(fd);
}

