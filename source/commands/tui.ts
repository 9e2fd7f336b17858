/**
 * The interactive commands: `gmpo` with no arguments (the session picker) and `gmpo demo` (the bundled demo task
 * with the bundled judges). The TUI driver they start is interactive.ts.
 */
import {defaultDeps, type CommandDeps} from './deps.js';
import {runFlags} from './flags.js';
import {demoFlags, demoTaskFile, launcher, tui} from './interactive.js';
import {drive, headless} from './optimize.js';
import {prepareNewRun, prepareWithNotes} from './prepare-run.js';
import type {Command} from './types.js';

/** `gmpo demo`: the bundled demo task, in the TUI on a terminal, else headless. */
export function createDemoCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'demo',
		async run(_args, rawFlags) {
			const deps = defaultDeps(overrides);
			const flags = demoFlags(runFlags(rawFlags), deps.env);
			if (flags.auto || !deps.stdinIsTTY || deps.stdout.isTTY !== true) {
				headless(flags, deps);
				return drive(await prepareWithNotes(deps, opening => prepareNewRun(demoTaskFile(), flags, deps, opening)), flags, deps, false);
			}
			return tui(deps, {launch: launcher(flags, deps), start: {kind: 'demo'}});
		},
	};
}

/** `gmpo` with no command: the session picker. */
export function createPickerCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: '',
		async run(_args, rawFlags) {
			const deps = defaultDeps(overrides);
			if (!deps.stdinIsTTY || deps.stdout.isTTY !== true) {
				deps.stderr.write('gmpo: not a terminal, so no session picker; run `gmpo --help` for the commands (e.g. gmpo optimize <task> --auto)\n');
				return 2;
			}
			return tui(deps, {launch: launcher(runFlags(rawFlags), deps)});
		},
	};
}

export const demoCommand = createDemoCommand();
export const pickerCommand = createPickerCommand();
