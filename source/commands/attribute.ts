/**
 * `gmpo attribute <task>`: the importances of the task's initial prompt per judge and aggregated (one forward and
 * one backward pass per judge and batch, or leave-one-out with --method loo), on the training split.
 * `gmpo score <task>`: the loss of the initial prompt (or --prompt FILE) per judge on a split.
 */
import path from 'node:path';
import {segmentPrompt} from '../core/segment.js';
import {UserError} from '../errors.js';
import {buildImportance} from '../engine/importance.js';
import {importanceWord, NEGLIGIBLE_SHARE} from '../engine/importance-level.js';
import {attributePrompt, scorePrompt, taskObjectives} from '../engine/measure.js';
import {displayPath, loadTask, readTextFile} from '../tasks/load-task.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {listFlag, stringFlag} from './flags.js';
import {dataTable, table} from './table.js';
import type {Command, Flags} from './types.js';

/** A signed importance, readable without colour: "+0.0123", "-4.56e-5" (three significant digits). */
export function signed(value: number): string {
	const a = Math.abs(value);
	return `${value >= 0 ? '+' : '-'}${a !== 0 && (a < 1e-3 || a >= 1e4) ? a.toExponential(2) : a.toPrecision(3)}`;
}

function openTask(taskFile: string, flags: Flags) {
	const task = loadTask(taskFile);
	const judges = listFlag(flags, 'judges', '--judges') ?? task.judges;
	return {task, judges};
}

/** The attribute command with the given outside world. */
export function createAttributeCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'attribute',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const method = stringFlag(flags, 'method', '--method') ?? 'gradient';
			if (method !== 'gradient' && method !== 'loo') {
				throw new UserError(`--method must be gradient or loo, got "${method}"`, {field: '--method'});
			}
			const {task, judges} = openTask(args[0], flags);
			const segments = segmentPrompt(task.prompt, task.segmentation);
			const set = await deps.openJudges(judges, {heldout: []});
			try {
				const names = set.judges.map(j => j.info.name);
				const attribution = await attributePrompt({
					judges: set.judges,
					segments: segments.map(s => s.text),
					examples: task.data.train,
					objectives: taskObjectives(task),
					signal: new AbortController().signal,
					method: method === 'loo' ? 'loo' : 'auto',
				});
				const {importance} = buildImportance(attribution, {segmentIds: segments.map(s => s.id), judges: names, objectives: taskObjectives(task), task});
				if (flags.json === true) {
					deps.stdout.write(
						`${JSON.stringify({task: task.name, examples: task.data.train.length, segments: segments.map(s => ({id: s.id, text: s.text})), losses: attribution.losses, methods: attribution.methods, fallbacks: attribution.fallbacks, passes: attribution.passes, importance}, null, 2)}\n`,
					);
					return 0;
				}
				deps.stdout.write(
					`task ${task.name}: ${segments.length} segments, ${task.data.train.length} training example(s); importance = -dL/dm (+ helps, - hurts; negligible under ${Math.round(NEGLIGIBLE_SHARE * 100)}% of the largest aggregate, as in the TUI)\n`,
				);
				for (const [judge, how] of Object.entries(attribution.methods)) {
					const why = attribution.fallbacks[judge];
					deps.stdout.write(`  ${judge}: ${how === 'gradient' ? 'gradient (one forward + one backward pass)' : `leave-one-out${why ? ` (${why})` : ''}`}, loss ${attribution.losses[judge]!.toFixed(4)}\n`);
				}
				const scale = Math.max(0, ...importance.aggregate.filter(Number.isFinite).map(Math.abs));
				const rows = segments.map((s, k) => [
					s.id,
					...names.map(j => signed(importance.perJudge[j]![k]!)),
					signed(importance.aggregate[k]!),
					importanceWord(importance.aggregate[k], scale),
					s.text.trim().length > 48 ? `${s.text.trim().slice(0, 47)}…` : s.text.trim(),
				]);
				deps.stdout.write(table(['SEGMENT', ...names.map(n => n.toUpperCase()), `AGGREGATE (${task.aggregation}, ${task.normalisation})`, '', 'TEXT'], rows));
				for (const a of importance.agreement) {
					deps.stdout.write(`agreement ${a.a} ~ ${a.b}: Kendall tau ${Number.isFinite(a.tau) ? a.tau.toFixed(2) : 'undefined'}\n`);
				}
				return 0;
			} finally {
				await set.close();
			}
		},
	};
}

/** The score command with the given outside world. */
export function createScoreCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'score',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const split = stringFlag(flags, 'split', '--split') ?? 'test';
			if (split !== 'train' && split !== 'test') {
				throw new UserError(`--split must be train or test, got "${split}"`, {field: '--split'});
			}
			const promptFile = stringFlag(flags, 'prompt', '--prompt');
			const {task, judges} = openTask(args[0], flags);
			let prompt = task.prompt;
			if (promptFile !== undefined) {
				prompt = readTextFile(path.resolve(promptFile)).replace(/\r?\n$/, '');
				if (prompt.trim() === '') throw new UserError('the prompt file is empty', {file: displayPath(promptFile), field: '--prompt'});
			}
			const segments = segmentPrompt(prompt, task.segmentation);
			const set = await deps.openJudges(judges, {heldout: task.heldout});
			try {
				const examples = task.data[split];
				const m = await scorePrompt({judges: set.judges, segments: segments.map(s => s.text), examples, objectives: taskObjectives(task), signal: new AbortController().signal});
				if (flags.json === true) {
					deps.stdout.write(`${JSON.stringify({task: task.name, split, examples: examples.length, losses: m.losses, objectiveLosses: m.objectiveLosses}, null, 2)}\n`);
					return 0;
				}
				deps.stdout.write(`task ${task.name}: ${split} split, ${examples.length} example(s), ${segments.length} segments\n`);
				const rows = set.judges.map(j => [j.info.name, j.info.heldout ? 'yes' : '', m.losses[j.info.name]!.toFixed(4)]);
				deps.stdout.write(await dataTable(['JUDGE', 'HELD OUT', 'LOSS (nats/token)'], rows));
				return 0;
			} finally {
				await set.close();
			}
		},
	};
}

export const attributeCommand = createAttributeCommand();
export const scoreCommand = createScoreCommand();
