/**
 * The interactive driver: the TUI on a prepared run, and the launcher the session picker opens runs with. The TUI
 * itself (source/ui) never builds an engine or opens files: this module does, with the same preparation as the
 * headless runner (prepare-run.ts), and hands the TUI a run to show. It is loaded only for interactive runs, so
 * headless ones never load Ink.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {listSettings, resolveApiKey} from '../config.js';
import {Engine} from '../engine/engine.js';
import {displayPath} from '../tasks/load-task.js';
import {listSessions, nameSession, removeSession} from '../sessions/store.js';
import type {Launcher, PickerChoice, TuiRun} from '../ui/engine-port.js';
import type {RunFlags} from './flags.js';
import {prepareNewRun, prepareResume} from './prepare-run.js';
import type {CommandDeps, PreparedRun} from './types.js';

/** Test splits up to this size are scored after every round, so the history chart compares like with like. */
const TEST_EACH_ROUND_MAX = 256;

/** The package root (where examples/ and models/ are), from source or from dist. */
function packageRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 4; i++) {
		if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'examples'))) return dir;
		dir = path.dirname(dir);
	}
	return process.cwd();
}

/** The bundled demo task. */
export function demoTaskFile(): string {
	return path.join(packageRoot(), 'examples', 'uppercase.yaml');
}

/** The example task files, as the user would type them. */
export function exampleTaskFiles(): string[] {
	const dir = path.join(packageRoot(), 'examples');
	if (!fs.existsSync(dir)) return [];
	return fs
		.readdirSync(dir)
		.filter(f => /\.(ya?ml|json)$/.test(f))
		.sort()
		.map(f => displayPath(path.join(dir, f)));
}

/** The demo's generator: the configured OpenAI-compatible endpoint when there is one, else the offline one. */
export function demoFlags(flags: RunFlags, env: NodeJS.ProcessEnv): RunFlags {
	if (flags.generator !== undefined) return flags;
	const configured = listSettings().some(s => s.key === 'generator.baseUrl' && s.source === 'set') || resolveApiKey(env) !== undefined;
	return configured ? {...flags, generator: 'openai'} : flags;
}

/** A prepared run as the TUI drives it; `owned`: the TUI closes it (else the command that prepared it does). */
export function tuiRun(run: PreparedRun, owned: boolean): TuiRun {
	const task = run.session.state.task;
	const engine = new Engine({
		session: run.session,
		judges: run.judges,
		generator: run.generator,
		limits: run.limits,
		testEachRound: task.data.test.length <= TEST_EACH_ROUND_MAX,
	});
	return {engine, notes: run.notes, close: owned ? () => run.close() : async () => {}, saved: () => !run.session.pending};
}

/** Opens what the picker chose, with the command's flags. */
export function launcher(flags: RunFlags, deps: CommandDeps): Launcher {
	return async (choice: PickerChoice, how) => {
		const opening = {...how, background: true};
		if (choice.kind === 'resume') return tuiRun(await prepareResume(choice.id, {...flags, judges: undefined, heldout: undefined}, deps, opening), true);
		const file = choice.kind === 'demo' ? demoTaskFile() : choice.file;
		const runFlagsFor = choice.kind === 'demo' ? demoFlags(flags, deps.env) : flags;
		return tuiRun(await prepareNewRun(file, runFlagsFor, deps, opening), true);
	};
}

/** Runs the TUI: the picker, or straight into `start`. */
export async function tui(deps: CommandDeps, options: {launch: Launcher; start?: PickerChoice}): Promise<number> {
	// React's development build checks every render and halves the frame rate; a user never needs it. It is chosen
	// when React first loads, which is below: nothing imported so far loads React.
	process.env.NODE_ENV ??= 'production';
	const [{runTui}, {makeTheme, themeOptionsFromEnv}] = await Promise.all([import('../ui/run-tui.js'), import('../ui/theme.js')]);
	return runTui({
		launch: options.launch,
		start: options.start,
		picker: {
			sessions: () => listSessions({dir: deps.sessionsDir}),
			examples: exampleTaskFiles(),
			sessionsDir: displayPath(deps.sessionsDir),
			actions: {remove: id => removeSession(id, {dir: deps.sessionsDir}), rename: (id, name) => nameSession(id, name, {dir: deps.sessionsDir})},
		},
		theme: makeTheme(themeOptionsFromEnv(deps.env)),
		env: deps.env,
	});
}

/**
 * The interactive driver of `gmpo optimize` and `gmpo resume`: the TUI on a run they prepared. The TUI closes it
 * too (the command's close is then a no-op): after a hang-up the TUI ends the process itself, before the command
 * could close anything, and the session's lock would be left behind.
 */
export async function runInteractive(run: PreparedRun, deps: CommandDeps): Promise<number> {
	const prepared = tuiRun(run, true);
	return tui(deps, {launch: async () => prepared, start: {kind: 'resume', id: run.session.id}});
}
