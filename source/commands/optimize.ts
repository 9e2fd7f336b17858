/**
 * `gmpo optimize <task>`: a new session from a task file. With --auto, or without a terminal, it runs headless with
 * the acceptance rule deciding; interactively it hands the run to the TUI.
 */
import {UserError} from '../errors.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {runFlags, type RunFlags} from './flags.js';
import {runHeadless} from './headless.js';
import {prepareNewRun, prepareResume, prepareWithNotes, type PreparedRun} from './prepare-run.js';
import type {Command} from './types.js';

/** Whether to run headless: asked for, or no terminal to talk to. Refused when interactive mode is unavailable. */
export function headless(flags: RunFlags, deps: CommandDeps): boolean {
	if (flags.auto) return true;
	const terminal = deps.stdinIsTTY && deps.stdout.isTTY === true;
	if (!terminal) {
		deps.stderr.write('note: not a terminal, so running headless (the acceptance rule decides each round)\n');
		return true;
	}
	if (!deps.interactive) {
		throw new UserError('interactive mode needs the TUI, which this build does not have yet; add --auto to run headless', {field: '--auto'});
	}
	return false;
}

/** Runs a prepared session with the chosen driver and closes it. */
export async function drive(run: PreparedRun, flags: RunFlags, deps: CommandDeps, interactive: boolean): Promise<number> {
	try {
		return interactive ? await deps.interactive!(run) : await runHeadless(run, {json: flags.json, deps});
	} finally {
		await run.close();
	}
}

/** The optimize command with the given outside world. */
export function createOptimizeCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'optimize',
		async run(args, rawFlags) {
			const deps = defaultDeps(overrides);
			const [taskFile] = args;
			const flags = runFlags(rawFlags);
			const interactive = !headless(flags, deps);
			return drive(await prepareWithNotes(deps, opening => prepareNewRun(taskFile, flags, deps, {...opening, background: interactive})), flags, deps, interactive);
		},
	};
}

/** `gmpo resume <id>`. */
export function createResumeCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'resume',
		async run(args, rawFlags) {
			const deps = defaultDeps(overrides);
			const [id] = args;
			const flags = runFlags(rawFlags);
			const interactive = !headless(flags, deps);
			return drive(await prepareWithNotes(deps, opening => prepareResume(id, flags, deps, {...opening, background: interactive})), flags, deps, interactive);
		},
	};
}

export const optimizeCommand = createOptimizeCommand();
