/**
 * The one place task files are loaded: JSON or YAML, examples inline or in JSONL files (paths relative to the task
 * file), validated with the task schema. Every problem is a UserError naming the file and the field path
 * (`examples/x.yaml: data.train[3].input: expected string, got number`); JSONL problems name the line.
 */
import fs from 'node:fs';
import path from 'node:path';
import {parseDocument as parseYamlDocument, type YAMLError} from 'yaml';
import type {z} from 'zod';
import {exampleSchema, taskSchema, type Task, type TaskExample} from '../core/task.js';
import {UserError} from '../errors.js';
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
	const shown = displayPath(absolute);
	let text: string;
	try {
		text = fs.readFileSync(absolute, 'utf8');
	} catch (error) {
		throw new UserError(readProblem(error), {file: shown});
	}
	return parseTask(text, absolute, defaults);
}

/** Parses and validates a task from its text; `file` (absolute) names it in errors and anchors JSONL paths. */
export function parseTask(text: string, file: string, defaults: TaskDefaults = {}): Task {
	const shown = displayPath(file);
	const raw = parseDocument(text, file, shown);
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
	const doc = parseYamlDocument(text, {prettyErrors: true, uniqueKeys: true, logLevel: 'silent'});
	if (doc.errors.length > 0) throw yamlProblem(doc.errors[0], 'not valid YAML', shown);
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
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError(`cannot read the ${split} examples ${JSON.stringify(value)}: ${readProblem(error)}`, {
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

function readProblem(error: unknown): string {
	const code = (error as NodeJS.ErrnoException).code;
	if (code === 'ENOENT') return 'no such file';
	if (code === 'EISDIR') return 'is a folder, not a file';
	if (code === 'EACCES') return 'permission denied';
	return (error as Error).message;
}
