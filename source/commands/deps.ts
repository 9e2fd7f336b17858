/**
 * What the commands need from the outside world, with production defaults: the judge loader, the worker pool,
 * output streams, the terminal, the environment and the sessions folder. Tests pass their own (fake judges, captured
 * streams) instead of mocking modules. The types live in types.ts.
 */
import path from 'node:path';
import type {CommandDeps, JudgeFactory, PoolFactory} from './types.js';

export type {CommandDeps, JudgeFactory, JudgeSet, Output, PoolFactory} from './types.js';

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
		interactive: run => import('./interactive.js').then(m => m.runInteractive(run, deps)),
		...overrides,
	};
	return deps;
}
