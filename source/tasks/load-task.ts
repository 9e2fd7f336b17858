/**
 * The one place task files are loaded: JSON or YAML, examples inline or in JSONL files (paths relative to the task
 * file), validated with the task schema. Every problem is a UserError naming the file and the field path
 * (`examples/x.yaml: data.train[3].input: expected string, got number`); JSONL problems name the line.
 */
import fs from 'node:fs';
import path from 'node:path';
import {parseAllDocuments, type YAMLError} from 'yaml';
import type {z} from 'zod';
import {exampleSchema, taskSchema, type Task, type TaskExample} from '../core/task.js';
import {UserError} from '../errors.js';
import {ioError, refuseSpecialFile} from '../fs-errors.js';
import {describeIssue, fieldPath} from './issues.js';

/** How a file path is shown: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string): string {
	const relative = path.relative(process.cwd(), file);
	return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

/** Values a task file may leave out that the user's settings provide (`gmpo config set defaults.rounds 3`). */
export type TaskDefaults = {
	/** Rounds, when the file has no `rounds`. */
	rounds?: number;
	/** Candidates per round, when the file has no `generator.candidates`. */
	candidates?: number;
};

/**
 * Reads, parses and validates a task file; JSONL example files are read too. What the file leaves out comes from
 * `defaults` (the user's settings), else from the schema's defaults.
 */
export function loadTask(file: string, defaults: TaskDefaults = {}): Task {
	const absolute = path.resolve(file);
	return parseTask(readTextFile(absolute), absolute, defaults);
}

/** Parses and validates a task from its text; `file` (absolute) names it in errors and anchors JSONL paths. */
export function parseTask(text: string, file: string, defaults: TaskDefaults = {}): Task {
	const shown = displayPath(file);
	const raw = text.trim() === '' ? null : parseDocument(text, file, shown);
	if (raw === null || raw === undefined) throw new UserError('the file is empty; a task needs at least name, prompt and data', {file: shown});
	const parsed = taskSchema.safeParse(raw);
	if (!parsed.success) throw issueError(parsed.error.issues, raw, shown);
	const task = parsed.data;
	const data = {
		train: loadExamples(task.data.train, 'train', file),
		test: loadExamples(task.data.test, 'test', file),
	};
	const result: Task = {...task, ...fromDefaults(raw, task, defaults), data, file};
	checkObjectives(result, shown);
	checkJudges(result, shown);
	return result;
}

/** The fields the document does not set, taken from the user's defaults. */
function fromDefaults(raw: unknown, task: z.infer<typeof taskSchema>, defaults: TaskDefaults): Partial<Task> {
	const doc = raw as {rounds?: unknown; generator?: {candidates?: unknown}};
	const out: Partial<Task> = {};
	if (doc.rounds === undefined && defaults.rounds !== undefined) out.rounds = defaults.rounds;
	if (doc.generator?.candidates === undefined && defaults.candidates !== undefined) out.generator = {...task.generator, candidates: defaults.candidates};
	return out;
}

/** A YAML error or warning as one UserError: its first line, without the position (given as the field). */
function yamlProblem(problem: YAMLError, what: string, shown: string): UserError {
	const line = problem.linePos?.[0]?.line;
	const first = problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
	return new UserError(`${what} (${first})`, {file: shown, field: line ? `line ${line}` : undefined});
}

/** Most aliases a task file may expand: plenty for any real task, far too few for an alias bomb. */
const MAX_YAML_ALIASES = 1000;

function parseDocument(text: string, file: string, shown: string): unknown {
	if (path.extname(file).toLowerCase() === '.json') {
		try {
			return JSON.parse(text) as unknown;
		} catch (error) {
			throw new UserError(`not valid JSON (${(error as Error).message})`, {file: shown});
		}
	}
	// Warnings are collected here, never printed: an unknown tag (!!js/function) is an error of the file.
	const docs = parseAllDocuments(text, {prettyErrors: true, uniqueKeys: true, logLevel: 'silent'});
	if (!Array.isArray(docs) || docs.length === 0) return null;
	const doc = docs[0]!;
	if (doc.errors.length > 0) throw yamlProblem(doc.errors[0], 'not valid YAML', shown);
	if (docs.length > 1) {
		// Only the first would be read, and the rest silently ignored.
		const line = text.slice(0, docs[1]!.range[0]).split('\n').length;
		throw new UserError(`holds ${docs.length} YAML documents (a line "---" starts another); a task file holds one`, {file: shown, field: `line ${line}`});
	}
	const tag = doc.warnings.find(w => w.code === 'TAG_RESOLVE_FAILED');
	if (tag) {
		const name = /tag:yaml\.org,2002:(\S+)/.exec(tag.message)?.[1];
		const line = tag.linePos?.[0]?.line;
		throw new UserError(`unsupported YAML tag${name ? ` !!${name}` : ''}: a task file holds plain data`, {file: shown, field: line ? `line ${line}` : undefined});
	}
	try {
		return doc.toJS({maxAliasCount: MAX_YAML_ALIASES}) as unknown;
	} catch (error) {
		if (/alias count/i.test((error as Error).message)) {
			throw new UserError(`refused: its aliases expand more than ${MAX_YAML_ALIASES} times (a YAML alias bomb would exhaust memory)`, {file: shown});
		}
		throw new UserError(`not valid YAML (${(error as Error).message})`, {file: shown});
	}
}

function issueError(issues: readonly z.core.$ZodIssue[], raw: unknown, shown: string, prefix: PropertyKey[] = []): UserError {
	const {path: where, message} = describeIssue(issues[0], raw);
	return new UserError(message, {file: shown, field: fieldPath([...prefix, ...where]) || undefined});
}

function loadExamples(value: TaskExample[] | string, split: 'train' | 'test', taskFile: string): TaskExample[] {
	if (typeof value !== 'string') return value;
	const file = path.resolve(path.dirname(taskFile), value);
	const shown = displayPath(file);
	let text: string;
	try {
		text = readTextFile(file);
	} catch (error) {
		// Not there at all: the task file's field is at fault. A file that is there but not text speaks for itself.
		if (!(error instanceof UserError) || error.file !== shown || !/^(no such file|is a folder)/.test(error.message)) throw error;
		throw new UserError(`cannot read the ${split} examples ${JSON.stringify(value)}: ${error.message}`, {
			file: displayPath(taskFile),
			field: `data.${split}`,
		});
	}
	const examples: TaskExample[] = [];
	text.split('\n').forEach((line, i) => {
		if (line.trim() === '') return;
		const where = `line ${i + 1}`;
		let json: unknown;
		try {
			json = JSON.parse(line);
		} catch (error) {
			throw new UserError(`not valid JSON (${(error as Error).message})`, {file: shown, field: where});
		}
		const parsed = exampleSchema.safeParse(json);
		if (!parsed.success) {
			const issue = describeIssue(parsed.error.issues[0], json);
			const field = fieldPath(issue.path);
			throw new UserError(issue.message, {file: shown, field: field ? `${where}: ${field}` : where});
		}
		examples.push(parsed.data);
	});
	if (examples.length === 0) throw new UserError(`no examples (the ${split} file is empty)`, {file: shown});
	return examples;
}

/** Single-objective tasks need `target` on every example; multi-objective ones a target per objective. */
function checkObjectives(task: Task, shown: string): void {
	const names = task.objectives?.map(o => o.name);
	if (names && new Set(names).size !== names.length) {
		throw new UserError('objective names must be unique', {file: shown, field: 'objectives'});
	}
	for (const split of ['train', 'test'] as const) {
		task.data[split].forEach((example, i) => {
			const field = `data.${split}[${i}]`;
			if (!names) {
				if (example.target === undefined) {
					throw new UserError('needs "target" (the task defines no objectives)', {file: shown, field});
				}
				return;
			}
			const missing = names.filter(n => example.targets?.[n] === undefined);
			if (missing.length > 0) {
				throw new UserError(`needs "targets.${missing[0]}" (one target per objective: ${names.join(', ')})`, {file: shown, field});
			}
		});
	}
	if (!task.data.train.some(e => (e.weight ?? 1) !== 0)) {
		throw new UserError('every training example has weight 0; nothing to optimise', {file: shown, field: 'data.train'});
	}
}

function checkJudges(task: Task, shown: string): void {
	for (const [field, list] of [['judges', task.judges], ['heldout', task.heldout]] as const) {
		const seen = new Set<string>();
		list?.forEach((name, i) => {
			if (seen.has(name)) throw new UserError(`"${name}" is listed twice`, {file: shown, field: `${field}[${i}]`});
			seen.add(name);
		});
	}
}

/**
 * A text file the user gave (a task, examples, a prompt), as a UserError naming it when it cannot be read or is not
 * text. Only a regular file is read (see refuseSpecialFile). The text must be UTF-8; a leading byte-order mark is
 * dropped.
 */
export function readTextFile(file: string): string {
	const shown = displayPath(file);
	let bytes: Buffer;
	refuseSpecialFile(file, 'read', shown);
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') throw new UserError('no such file', {file: shown});
		if (code === 'EISDIR') throw new UserError('is a folder, not a file', {file: shown});
		const known = ioError(error, 'read', shown);
		// Node refuses a file over 2 GiB with a code of its own (ERR_FS_FILE_TOO_LARGE): still the file's fault.
		throw known instanceof UserError ? known : new UserError(`cannot read: ${(error as Error).message}`, {file: shown});
	}
	return decodeText(bytes, shown);
}

/** UTF-8 text without its byte-order mark; anything else (UTF-16, a binary file, other encodings) is refused. */
function decodeText(bytes: Buffer, shown: string): string {
	if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
		throw new UserError('not UTF-8 text: it is UTF-16; save it as UTF-8', {file: shown});
	}
	const nul = bytes.indexOf(0);
	if (nul >= 0) throw new UserError(`not text: a binary file (a NUL byte on line ${lineAt(bytes, nul)})`, {file: shown});
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
	} catch {
		const lossy = new TextDecoder('utf-8').decode(bytes);
		const line = lossy.slice(0, Math.max(0, lossy.indexOf('\ufffd'))).split('\n').length;
		throw new UserError(`not UTF-8 text: line ${line} has bytes that are not UTF-8 (another encoding, or a binary file); save it as UTF-8`, {file: shown});
	}
}

/** The line (from 1) of a byte offset. */
function lineAt(bytes: Buffer, offset: number): number {
	let line = 1;
	for (let i = 0; i < offset; i++) if (bytes[i] === 10) line++;
	return line;
}
