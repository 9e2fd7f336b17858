/**
 * `gmpo eval <task> (--prompt FILE | --session ID) [--json]`: a prompt's test-split loss per judge (held-out judges
 * included) and greedy exact match per judge. The prompt comes from a text file (segmented like the task's prompt)
 * or is a session's current prompt; the session is only read.
 */
import path from 'node:path';
import {segmentPrompt} from '../core/segment.js';
import {UserError} from '../errors.js';
import {evaluatePrompt} from '../engine/evaluate.js';
import {loadSession} from '../sessions/store.js';
import {displayPath, loadTask, readTextFile} from '../tasks/load-task.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {listFlag, stringFlag} from './flags.js';
import {dataTable} from './table.js';
import type {Command} from './types.js';

function readPrompt(file: string): string {
	const text = readTextFile(path.resolve(file));
	// Editors end files with a newline that is not part of the prompt.
	const prompt = text.replace(/\r?\n$/, '');
	if (prompt.trim() === '') throw new UserError('the prompt file is empty', {file: displayPath(file)});
	return prompt;
}

/** The eval command with the given outside world. */
export function createEvalCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'eval',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const [taskFile] = args;
			const promptFile = stringFlag(flags, 'prompt', '--prompt');
			const sessionId = stringFlag(flags, 'session', '--session');
			if ((promptFile === undefined) === (sessionId === undefined)) {
				throw new UserError('give exactly one of --prompt FILE and --session ID', {field: promptFile ? '--session' : '--prompt'});
			}
			const judgesFlag = listFlag(flags, 'judges', '--judges');
			const heldoutFlag = listFlag(flags, 'heldout', '--heldout');
			const task = loadTask(taskFile);
			const segments = promptFile
				? segmentPrompt(readPrompt(promptFile), task.segmentation).map(s => s.text)
				: loadSession(sessionId!, {dir: deps.sessionsDir}).state.segments.map(s => s.text);
			const judges = judgesFlag ?? task.judges;
			const heldout = heldoutFlag ?? task.heldout;
			const names = judges ? [...judges, ...(heldout ?? []).filter(h => !judges.includes(h))] : undefined;
			const set = await deps.openJudges(names, {heldout});
			try {
				const results = await evaluatePrompt({task, judges: set.judges, segments, exactMatch: true});
				if (flags.json === true) {
					deps.stdout.write(`${JSON.stringify({task: task.name, prompt: segments.join(''), examples: task.data.test.length, judges: results}, null, 2)}\n`);
					return 0;
				}
				const rows = results.map(r => [
					r.judge,
					r.heldout ? 'yes' : '',
					r.loss.toFixed(4),
					r.exactMatch === undefined ? '' : `${(100 * r.exactMatch).toFixed(1)}% of ${r.matchedOver}`,
				]);
				deps.stdout.write(`task ${task.name}: test split, ${task.data.test.length} example(s)\n`);
				deps.stdout.write(await dataTable(['JUDGE', 'HELD OUT', 'LOSS (nats/token)', 'EXACT MATCH'], rows));
				return 0;
			} finally {
				await set.close();
			}
		},
	};
}

export const evalCommand = createEvalCommand();
