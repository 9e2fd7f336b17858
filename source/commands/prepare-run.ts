/**
 * Everything a run needs before its first round, for a new session (from a task file) or a resumed one: the task
 * with the flags applied, the judges, the generator and the open session. Shared by the headless runner and the TUI.
 * The order matters: whatever can fail (task, flags, judges, generator) is checked before a session folder is
 * created, so a mistake never leaves a half-made session behind, and a resumed session is only locked, not changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {BudgetLimits} from '../core/budget.js';
import {segmentPrompt} from '../core/segment.js';
import type {Task} from '../core/task.js';
import {UserError} from '../errors.js';
import type {Generator} from '../generators/types.js';
import type {Judge} from '../judges/types.js';
import {createSession, loadSession, openSession, type Session} from '../sessions/store.js';
import {loadTask} from '../tasks/load-task.js';
import type {CommandDeps, JudgeSet} from './deps.js';
import type {RunFlags} from './flags.js';
import {makeGenerator} from './make-generator.js';

/** A run ready to start. */
export type PreparedRun = {
	/** The open (locked) session. */
	session: Session;
	/** The judges (held-out ones flagged in their info). */
	judges: Judge[];
	/** The generator. */
	generator: Generator;
	/** Budgets. */
	limits: BudgetLimits;
	/** What the user should know before the run (a generator fallback, a repaired log). */
	notes: string[];
	/** Closes the session and the judges. */
	close(): Promise<void>;
};

/** A judge spec as saved: folders as absolute paths (a resumed session may run elsewhere), names as they are. */
function judgeSpec(name: string): string {
	const folder = name.includes('/') || name.startsWith('.') || (fs.existsSync(name) && fs.statSync(name).isDirectory());
	return folder ? path.resolve(name) : name;
}

async function open(deps: CommandDeps, task: Task): Promise<JudgeSet> {
	const heldout = task.heldout;
	const names = task.judges ? [...task.judges, ...(heldout ?? []).filter(h => !task.judges!.includes(h))] : undefined;
	const set = await deps.openJudges(names, {heldout});
	if (set.judges.every(j => j.info.heldout)) {
		await set.close();
		throw new UserError(`every judge is held out (${set.judges.map(j => j.info.name).join(', ')}); keep at least one for selection`, {field: '--heldout'});
	}
	return set;
}

/** A new session from a task file, with the flags applied to the task (the session's snapshot keeps them). */
export async function prepareNewRun(taskFile: string, flags: RunFlags, deps: CommandDeps): Promise<PreparedRun> {
	const loaded = loadTask(taskFile);
	const judges = flags.judges ?? loaded.judges;
	const heldout = (flags.heldout ?? loaded.heldout)?.map(judgeSpec);
	const task: Task = {
		...loaded,
		judges: judges?.map(judgeSpec),
		heldout,
		rounds: flags.rounds ?? loaded.rounds,
		racing: flags.racing === undefined ? loaded.racing : {...loaded.racing, enabled: flags.racing},
	};
	const made = await makeGenerator(task, flags, deps.env);
	const set = await open(deps, task);
	try {
		const segments = segmentPrompt(task.prompt, task.segmentation);
		const session = createSession(
			{task, segments, judges: set.judges.map(j => j.info.name), generator: made.record},
			{dir: deps.sessionsDir, secrets: made.secrets},
		);
		return prepared(session, set, made.generator, made.notes, {rounds: task.rounds});
	} catch (error) {
		await set.close();
		throw error;
	}
}

/** A saved session, to continue; `--rounds` sets a new total for the session. */
export async function prepareResume(id: string, flags: RunFlags, deps: CommandDeps): Promise<PreparedRun> {
	if (flags.judges || flags.heldout) {
		throw new UserError('a resumed session keeps the judges it started with', {field: flags.judges ? '--judges' : '--heldout'});
	}
	if (flags.racing !== undefined) throw new UserError('a resumed session keeps the racing setting of its task', {field: '--racing'});
	// Read first (no lock, nothing written) to learn which generator, hence which secret, the session uses.
	const {state: saved} = loadSession(id, {dir: deps.sessionsDir});
	const made = await makeGenerator(saved.task, flags, deps.env, saved.generator);
	const notes: string[] = [];
	const session = openSession(id, {dir: deps.sessionsDir, secrets: made.secrets, onWarning: w => notes.push(w)});
	let set: JudgeSet | undefined;
	try {
		const state = session.state;
		set = await open(deps, state.task);
		const names = set.judges.map(j => j.info.name).sort();
		const recorded = [...state.judges].sort();
		if (recorded.length > 0 && names.join(',') !== recorded.join(',')) {
			throw new UserError(`the session was scored by ${recorded.join(', ')}, but the judges now are ${names.join(', ')}`, {field: 'judges'});
		}
		return prepared(session, set, made.generator, [...notes, ...made.notes], {rounds: flags.rounds ?? state.task.rounds});
	} catch (error) {
		session.close();
		await set?.close();
		throw error;
	}
}

function prepared(session: Session, set: JudgeSet, generator: Generator, notes: string[], limits: BudgetLimits): PreparedRun {
	return {
		session,
		judges: set.judges,
		generator,
		limits,
		notes,
		async close() {
			session.close();
			await set.close();
		},
	};
}
