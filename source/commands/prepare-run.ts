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
import {readSettings} from '../config.js';
import {UserError} from '../errors.js';
import type {Generator} from '../generators/types.js';
import {ensureSessionsDir, loadSession, newSession, openSession, type Session} from '../sessions/store.js';
import {displayPath, loadTask} from '../tasks/load-task.js';
import type {RunFlags} from './flags.js';
import {makeGenerator} from './make-generator.js';
import type {CommandDeps, JudgeSet, PreparedRun} from './types.js';

export type {PreparedRun} from './types.js';

/** A judge spec as saved: folders as absolute paths (a resumed session may run elsewhere), names as they are. */
function judgeSpec(name: string): string {
	const folder = name.includes('/') || name.startsWith('.') || (fs.existsSync(name) && fs.statSync(name).isDirectory());
	return folder ? path.resolve(name) : name;
}

/** Cancellation and progress notes while a run opens (a judge's first use builds its graph, which can take minutes). */
export type Opening = {
	/** Cancels opening; whatever was being built is left out of the cache. */
	signal?: AbortSignal;
	/** One-line notes on the judges being opened. */
	onProgress?: (message: string) => void;
	/** A screen is drawn while the judges work: they run below its priority. */
	background?: boolean;
};

/**
 * A run prepared before any terminal UI starts: notes on stderr, and the command's signals (SIGINT, SIGTERM)
 * cancel the opening, which then ends in one line.
 */
export async function prepareWithNotes(deps: CommandDeps, prepare: (opening: Opening) => Promise<PreparedRun>): Promise<PreparedRun> {
	const controller = new AbortController();
	const abort = () => controller.abort();
	for (const s of deps.signals) process.on(s, abort);
	try {
		return await prepare({signal: controller.signal, onProgress: line => deps.stderr.write(`${line}\n`)});
	} catch (error) {
		if (controller.signal.aborted) {
			throw new UserError('interrupted while opening the judges: nothing was saved, and nothing half-built was kept');
		}
		throw error;
	} finally {
		for (const s of deps.signals) process.off(s, abort);
	}
}

/** `heldoutFrom` names where the held-out list came from, for the error when it holds every judge. */
async function open(deps: CommandDeps, task: Task, heldoutFrom: {file?: string; field: string}, opening: Opening): Promise<JudgeSet> {
	const heldout = task.heldout;
	const names = task.judges ? [...task.judges, ...(heldout ?? []).filter(h => !task.judges!.includes(h))] : undefined;
	const set = await deps.openJudges(names, {heldout, ...opening});
	if (set.judges.every(j => j.info.heldout)) {
		await set.close();
		throw new UserError(`every judge is held out (${set.judges.map(j => j.info.name).join(', ')}); keep at least one for selection`, heldoutFrom);
	}
	return set;
}

/** A new session from a task file, with the flags applied to the task (the session's snapshot keeps them). */
export async function prepareNewRun(taskFile: string, flags: RunFlags, deps: CommandDeps, opening: Opening = {}): Promise<PreparedRun> {
	// Precedence: flags, then the task file, then the user's settings (`gmpo config`), then the built-in defaults.
	const loaded = loadTask(taskFile, readSettings().defaults);
	// A sessions folder that cannot be used is reported now, not after the judges have loaded.
	ensureSessionsDir({dir: deps.sessionsDir});
	const judges = flags.judges ?? loaded.judges;
	const heldout = (flags.heldout ?? loaded.heldout)?.map(judgeSpec);
	const task: Task = {
		...loaded,
		judges: judges?.map(judgeSpec),
		heldout,
		rounds: flags.rounds ?? loaded.rounds,
		generator: {...loaded.generator, candidates: flags.candidates ?? loaded.generator.candidates},
		racing: flags.racing === undefined ? loaded.racing : {...loaded.racing, enabled: flags.racing},
	};
	const made = await makeGenerator(task, flags, deps.env);
	const set = await open(deps, task, flags.heldout ? {field: '--heldout'} : {file: displayPath(path.resolve(taskFile)), field: 'heldout'}, opening);
	try {
		const segments = segmentPrompt(task.prompt, task.segmentation);
		const session = newSession(
			{task, segments, judges: set.judges.map(j => j.info.name), generator: made.record, pending: true},
			{dir: deps.sessionsDir, secrets: made.secrets},
		);
		return prepared(session, set, made.generator, made.notes, {rounds: task.rounds});
	} catch (error) {
		await set.close();
		throw error;
	}
}

/** A saved session, to continue; `--rounds N` allows N more rounds (a round left unfinished counts as one of them). */
export async function prepareResume(id: string, flags: RunFlags, deps: CommandDeps, opening: Opening = {}): Promise<PreparedRun> {
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
		set = await open(deps, state.task, {file: path.join(session.dir, 'task.json'), field: 'heldout'}, opening);
		const names = set.judges.map(j => j.info.name).sort();
		const recorded = [...state.judges].sort();
		if (recorded.length > 0 && names.join(',') !== recorded.join(',')) {
			throw new UserError(`the session was scored by ${recorded.join(', ')}, but the judges now are ${names.join(', ')}`, {field: 'judges'});
		}
		const rounds = flags.rounds === undefined ? state.task.rounds : state.roundsDone + flags.rounds;
		return prepared(session, set, made.generator, [...notes, ...made.notes], {rounds});
	} catch (error) {
		session.close();
		await set?.close();
		throw error;
	}
}

function prepared(session: Session, set: JudgeSet, generator: Generator, notes: string[], limits: BudgetLimits): PreparedRun {
	let closing: Promise<void> | undefined;
	return {
		session,
		judges: set.judges,
		generator,
		limits,
		notes,
		close() {
			closing ??= (async () => {
				session.close();
				await set.close();
			})();
			return closing;
		},
	};
}
