/**
 * The headless driver: runs the engine with the acceptance rule deciding, reports progress on stderr, stops
 * cleanly on SIGINT/SIGTERM (the round in progress is redone on resume), and ends with a summary: test-split losses
 * of the initial and the final prompt per judge, the held-out judge's first (JSON on stdout under --json).
 */
import {joinSegments} from '../core/segment.js';
import {autoDecide} from '../engine/auto.js';
import {Engine} from '../engine/engine.js';
import {evaluatePrompt} from '../engine/evaluate.js';
import {progressReporter} from './progress.js';
import type {CommandDeps, PreparedRun} from './types.js';

/** The summary of a headless run. */
export type RunSummary = {
	/** Session id. */
	session: string;
	/** Task name. */
	task: string;
	/** Rounds done in the session. */
	rounds: number;
	/** Accepted changes in the session. */
	accepted: number;
	/** Why the run ended. */
	stopped: string;
	/** The final prompt. */
	prompt: string;
	/** Test-split loss of the first held-out judge for the initial and the final prompt; null without one. */
	heldout: {judge: string; before: number; after: number} | null;
	/** Test-split loss of every judge for the initial and the final prompt. */
	judges: Record<string, {heldout: boolean; before: number; after: number}>;
	/** Generator tokens spent in the session. */
	generatorTokens: number;
};

/** Test splits up to this size are scored after every round (for the history); larger ones only at the end. */
const TEST_EACH_ROUND_MAX = 256;

/** Runs a prepared session headless; returns the exit code. The caller closes the run. */
export async function runHeadless(run: PreparedRun, options: {json: boolean; deps: CommandDeps}): Promise<number> {
	const {deps} = options;
	const {session} = run;
	const task = session.state.task;
	for (const note of run.notes) deps.stderr.write(`note: ${note}\n`);
	const held = run.judges.filter(j => j.info.heldout).map(j => j.info.name);
	const selecting = run.judges.filter(j => !j.info.heldout).map(j => j.info.name);
	deps.stderr.write(
		`session ${session.id}: task ${task.name}; judges ${selecting.join(', ')}${held.length > 0 ? `; held out ${held.join(', ')}` : ''}; generator ${run.generator.name}\n`,
	);
	const engine = new Engine({
		session,
		judges: run.judges,
		generator: run.generator,
		limits: run.limits,
		decide: autoDecide,
		testEachRound: task.data.test.length <= TEST_EACH_ROUND_MAX,
	});
	const reporter = progressReporter(deps.stderr, run.limits.rounds);
	engine.on(reporter.listener);
	const stop = (signal: NodeJS.Signals) => engine.stop(`interrupted (${signal})`);
	for (const signal of deps.signals) process.on(signal, stop);
	const roundsBefore = session.state.roundsDone;
	let result;
	try {
		result = await engine.run();
	} catch (error) {
		// A failed run leaves the session as it found it, bar rounds it finished (see Session.abandonRound).
		session.abandonRound();
		throw error;
	} finally {
		reporter.done();
		for (const signal of deps.signals) process.off(signal, stop);
	}
	if (result.ending === 'stopped') {
		deps.stderr.write(
			session.pending
				? `stopped before the first decision: nothing to save (session ${session.id} is removed)\n`
				: `session ${session.id} saved; continue with: gmpo resume ${session.id} --auto\n`,
		);
		return 130;
	}
	const state = session.state;
	if (state.roundsDone === roundsBefore && result.ending === 'budget') {
		deps.stderr.write(`note: the session has done ${roundsBefore} round(s); pass --rounds N to do N more\n`);
	}
	deps.stderr.write('scoring the initial and the final prompt on the test split\n');
	const [before, after] = [
		await evaluatePrompt({task, judges: run.judges, segments: state.initialSegments.map(s => s.text)}),
		await evaluatePrompt({task, judges: run.judges, segments: state.segments.map(s => s.text)}),
	];
	const judges: RunSummary['judges'] = {};
	for (const [i, e] of before.entries()) judges[e.judge] = {heldout: e.heldout, before: e.loss, after: after[i].loss};
	const first = held[0];
	const summary: RunSummary = {
		session: session.id,
		task: task.name,
		rounds: state.roundsDone,
		accepted: state.accepted.length,
		stopped: result.reason,
		prompt: joinSegments(state.segments),
		heldout: first ? {judge: first, before: judges[first].before, after: judges[first].after} : null,
		judges,
		generatorTokens: state.budget.promptTokens + state.budget.completionTokens,
	};
	deps.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary));
	return 0;
}

function describe(s: RunSummary): string {
	const lines = [
		`session ${s.session}: ${s.rounds} round(s), ${s.accepted} accepted (${s.stopped})`,
		'test-split loss (initial -> final):',
		...Object.entries(s.judges).map(([j, v]) => `  ${j}${v.heldout ? ' (held out)' : ''}: ${v.before.toFixed(4)} -> ${v.after.toFixed(4)}`),
		'final prompt:',
		s.prompt,
	];
	return `${lines.join('\n')}\n`;
}
