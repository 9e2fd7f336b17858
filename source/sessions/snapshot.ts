/**
 * The task snapshot of a session (`task.json`) and what ties it to its log: the log's first event records the
 * session id and a hash of the snapshot, so a log or a snapshot copied in from another session is refused instead
 * of resumed (an arithmetic prompt optimised on uppercase data). The hash is over the snapshot's JSON value with
 * keys sorted, so re-indenting the file does not break it; changing what it says does.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {taskSchema, type Task} from '../core/task.js';
import {UserError} from '../errors.js';
import {ioCode, ioError, refuseSpecialFile} from '../fs-errors.js';

/** Name of the snapshot file in a session folder. */
export const snapshotName = 'task.json';

/** JSON text with object keys sorted at every level: one text per value. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const entries = Object.keys(value)
			.sort()
			.map(k => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
		return `{${entries.join(',')}}`;
	}
	return JSON.stringify(value);
}

/** The hash the log records for a snapshot ("sha256:<hex>"), from its JSON value. */
export function snapshotHash(json: unknown): string {
	return `sha256:${crypto.createHash('sha256').update(canonical(json)).digest('hex')}`;
}

/** The snapshot's text for a task (already stripped of secrets), and its hash. */
export function snapshotText(task: unknown): {text: string; hash: string} {
	const text = `${JSON.stringify(task, null, '\t')}\n`;
	return {text, hash: snapshotHash(JSON.parse(text))};
}

/** Reads and validates a session's snapshot; returns the task and the hash of what the file holds. */
export function readSnapshot(dir: string): {task: Task; hash: string} {
	const file = path.join(dir, snapshotName);
	let text: string;
	refuseSpecialFile(file, 'read the task snapshot');
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if (ioCode(error) === 'ENOENT') throw new UserError('the session has no task snapshot', {file});
		throw ioError(error, 'read the task snapshot', file);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		throw new UserError(`not valid JSON (${(error as Error).message})`, {file});
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
	return {task: {...parsed.data, data: {train: data.train, test: data.test}} as Task, hash: snapshotHash(json)};
}

/**
 * Refuses a log and a snapshot that do not belong together, or to this folder. `created` is the log's first event;
 * logs written before the hash was recorded carry none, and only their id is checked.
 */
export function checkBinding(dir: string, created: {id: string; taskHash?: string}, hash: string): void {
	const id = path.basename(dir);
	if (created.id !== id) {
		throw new UserError(`line 1: this log belongs to session "${created.id}", not to "${id}" (copied from another session?)`, {
			file: path.join(dir, 'events.jsonl'),
		});
	}
	if (created.taskHash !== undefined && created.taskHash !== hash) {
		throw new UserError('this is not the task the session was created with (its hash differs from the one in events.jsonl; copied from another session?)', {
			file: path.join(dir, snapshotName),
		});
	}
}
