/**
 * What the run commands need from the outside world, as one object with production defaults: the judge loader,
 * output streams, the terminal, the environment and the sessions folder. Tests pass their own (fake judges, captured
 * streams) instead of mocking modules.
 */
import path from 'node:path';
import type {OrtPool, PoolOptions} from '../judges/pool.js';
import type {Judge} from '../judges/types.js';
import type {PreparedRun} from './prepare-run.js';

/** Judges opened for a run; close() releases them. */
export type JudgeSet = {
	/** The judges, in the order named. */
	judges: Judge[];
	/** Releases the models. */
	close(): Promise<void>;
};

/** Opens judges by bundled name or folder path (undefined = every bundled judge). */
export type JudgeFactory = (names: string[] | undefined, options: {heldout?: string[]}) => Promise<JudgeSet>;

/** Starts a worker pool for onnxruntime (judges opened on it share it); the caller closes it. */
export type PoolFactory = (options?: PoolOptions) => Promise<OrtPool>;

/** Something text is written to. */
export type Output = {
	/** Writes text. */
	write(text: string): unknown;
	/** Whether it is a terminal. */
	isTTY?: boolean;
};

/** The outside world of a command. */
export type CommandDeps = {
	/** Opens judges. */
	openJudges: JudgeFactory;
	/** Starts a worker pool (the judges commands open one judge folder on it). */
	openPool: PoolFactory;
	/** Results. */
	stdout: Output;
	/** Progress, notes and errors. */
	stderr: Output;
	/** Whether stdin is a terminal (interactive mode needs one). */
	stdinIsTTY: boolean;
	/** Environment (OPENAI_API_KEY, GMPO_SESSIONS_DIR). */
	env: NodeJS.ProcessEnv;
	/** Folder of the sessions. */
	sessionsDir: string;
	/** Process signals to stop a run on (SIGINT, SIGTERM); none in tests. */
	signals: NodeJS.Signals[];
	/** The interactive driver (the TUI); until it is plugged in, interactive runs are refused with a clear message. */
	interactive?: (run: PreparedRun) => Promise<number>;
};

/** The bundled judge loader, loaded on first use so that commands without judges start fast. */
export const openBundledJudges: JudgeFactory = async (names, options) => {
	const {openJudges} = await import('../judges/judge-set.js');
	return openJudges(names, options);
};

/** The onnxruntime worker pool, loaded on first use like the judges. */
export const openOrtPool: PoolFactory = async options => {
	const {OrtPool} = await import('../judges/pool.js');
	return new OrtPool(options);
};

/** The real world. */
export function defaultDeps(overrides: Partial<CommandDeps> = {}): CommandDeps {
	const env = overrides.env ?? process.env;
	const deps: CommandDeps = {
		openJudges: openBundledJudges,
		openPool: openOrtPool,
		stdout: process.stdout,
		stderr: process.stderr,
		stdinIsTTY: Boolean(process.stdin.isTTY),
		env,
		sessionsDir: path.resolve(env.GMPO_SESSIONS_DIR ?? path.join(process.cwd(), 'sessions')),
		signals: ['SIGINT', 'SIGTERM'],
		// The TUI, loaded only when a run is interactive: headless runs never load Ink.
		interactive: run => import('./tui.js').then(m => m.runInteractive(run, deps)),
		...overrides,
	};
	return deps;
}
