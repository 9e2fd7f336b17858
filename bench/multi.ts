/**
 * `npm run bench -- multi`: several objectives, the four numeric modes (sum, pcgrad, mgda, separate) and the four
 * textual-gradient modes (SSS, SSC, SCC, CCC, against a loopback server with a scripted critic), on two tasks:
 *
 * - conflict: lowercase words; objective "upper" wants the word in capitals, objective "lower" its first letter
 *   (lowercase, short). The prompt holds two sentences written for each (and two fillers), so a sentence that helps one
 *   objective hurts the other by construction. Built from task types the bundled judges were trained on.
 * - summeval: SummEval's four criteria (../shared/data/summeval), one sentence of the prompt per criterion.
 *
 * Per mode: each objective's final test loss (mean of the selection judges) and the held-out judge's, the hypervolume
 * of the final (per-seed) objective losses, judge passes per round, and gradient specificity: the share of objective
 * o's importance mass on the segments written for o, in the per-objective vector G_o and in the direction the mode
 * edits by (sum, pcgrad, mgda: the combined direction; separate: G_o itself), from round 1's attribution.
 */
import path from 'node:path';
import {hypervolume} from '../source/core/multi-objective.js';
import {createSampler} from '../source/training/random.js';
import {mean} from '../source/core/stats.js';
import {taskSchema, type Task} from '../source/core/task.js';
import type {MultiObjectiveMode} from '../source/core/types.js';
import {evaluatePrompt} from '../source/engine/evaluate.js';
import type {EngineEvent, ObjectiveReport} from '../source/engine/types.js';
import {createOpenAiChatClient} from '../source/generators/openai.js';
import {createTextualGenerator, type TextualMode} from '../source/generators/textual.js';
import {openJudges} from '../source/judges/judge-set.js';
import type {OnnxJudge} from '../source/judges/onnx-judge.js';
import type {Judge} from '../source/judges/types.js';
import {loadNote} from './judge-fixtures.js';
import {ms, optimise, round3, type RunOutcome} from './method-helpers.js';
import {rawTasks} from './real-data-helpers.js';
import {fit} from './real-data.js';
import {fmt, report, type Table} from './report.js';
import {startScriptedCritic} from './scripted-critic.js';

const DATA = path.resolve(import.meta.dirname, '../../shared/data');
const MODES: MultiObjectiveMode[] = ['sum', 'pcgrad', 'mgda', 'separate'];
const TEXTUAL: TextualMode[] = ['SSS', 'SSC', 'SCC', 'CCC'];

/** A multi-objective task and, per objective, the ids of the segments written for it. */
type Built = {task: Task; own: Record<string, string[]>; phrases: Record<string, string[]>};

const UPPER = ['Convert the word to uppercase.', 'Write the word in capital letters.'];
const LOWER = ['Give the first letter of the word.', 'Answer in lowercase.'];

/** The conflict task: 16 train and 16 test lowercase words (as the judges' uppercase task has them). */
function conflictTask(): Built {
	const rng = createSampler(4242);
	const letters = 'abcdefghijklmnoprstuvw';
	const word = () => {
		const n = rng.int(4, 8);
		return Array.from({length: n}, () => letters[rng.int(0, letters.length - 1)]).join('');
	};
	const example = () => {
		const w = word();
		return {input: w, targets: {upper: w.toUpperCase(), lower: w[0]!.toLowerCase()}};
	};
	const prompt = [UPPER[0], LOWER[0], 'Take your time.', UPPER[1], LOWER[1], 'Do your best.'].join(' ');
	const phrases = {
		upper: ['Uppercase the word.', 'Make the word all caps.', 'Spell the word in capitals.'],
		lower: ['Write only the first letter of the word.', 'Use small letters only.', 'Return the letter the word starts with.'],
	};
	const file = taskSchema.parse({
		name: 'conflict',
		prompt,
		objectives: [{name: 'upper', description: 'the word in capital letters'}, {name: 'lower', description: 'the first letter in lowercase'}],
		phraseBank: [...phrases.upper, ...phrases.lower, 'Be accurate.'],
		batchSize: 8,
		racing: false,
		data: {train: Array.from({length: 16}, example), test: Array.from({length: 16}, example)},
	});
	return {task: {...file, data: file.data as Task['data']}, own: {upper: ['s1', 's4'], lower: ['s2', 's5']}, phrases};
}

/** SummEval's four criteria, inputs cut to fit every judge. */
async function summevalTask(judges: readonly Judge[], n: number): Promise<Built | undefined> {
	let raw;
	try {
		raw = rawTasks(DATA, n).find(t => t.name === 'summeval');
	} catch {
		return undefined;
	}
	if (!raw) return undefined;
	const criteria = ['coherence', 'consistency', 'fluency', 'relevance'];
	const prompt = raw.prompt;
	const onnx = judges as OnnxJudge[];
	const cut = async (xs: typeof raw.train) => Promise.all(xs.map(async e => (await fit(onnx, [prompt], e)).example));
	const phrases = {
		coherence: ['Coherence: the sentences follow in a sensible order.'],
		consistency: ['Consistency: every fact is supported by the article.'],
		fluency: ['Fluency: the sentences are grammatical.'],
		relevance: ['Relevance: it covers the main points.'],
	};
	const file = taskSchema.parse({
		name: 'summeval',
		prompt,
		objectives: criteria.map(c => ({name: c, weight: 1})),
		phraseBank: [...Object.values(phrases).flat(), 'Be accurate.'],
		batchSize: 8,
		racing: false,
		data: {train: await cut(raw.train), test: await cut(raw.test)},
	});
	// Segments: s1 "Rate the summary...", then one sentence per criterion in order.
	return {task: {...file, data: file.data as Task['data']}, own: Object.fromEntries(criteria.map((c, i) => [c, [`s${i + 2}`]])), phrases};
}

type Run = {run: RunOutcome; losses: Record<string, number>; held: number; report?: ObjectiveReport; direction?: number[]; segmentIds?: string[]; targets?: string[]};

/** Share of |v|'s mass on the given segment ids. */
function share(v: readonly number[], ids: readonly string[], own: readonly string[]): number {
	const total = v.reduce((a, x) => a + Math.abs(x), 0);
	return total === 0 ? Number.NaN : ids.reduce((a, id, k) => a + (own.includes(id) ? Math.abs(v[k]!) : 0), 0) / total;
}

export async function run(quick: boolean): Promise<void> {
	const set = await openJudges(undefined);
	const held = set.judges.find(j => j.info.heldout);
	const selecting = set.judges.filter(j => !j.info.heldout);
	if (!held || selecting.length === 0) {
		process.stdout.write('multi: needs a selection judge and a held-out judge in models/ (npm run build:judges)\n');
		await set.close();
		return;
	}
	const seeds = quick ? [1] : [1, 2, 3];
	const rounds = quick ? 2 : 3;
	const started = performance.now();
	const built: Built[] = [conflictTask()];
	const summ = await summevalTask(set.judges, quick ? 4 : 8);
	if (summ) built.push(summ);
	const results = new Map<string, Map<string, Run[]>>();
	const initial = new Map<string, Record<string, number>>();
	const critics: Record<string, {evaluation: number; critique: number; rewrite: number; rounds: number}> = {};
	const objectiveLosses = async (task: Task, segments: string[]) => {
		const ev = await evaluatePrompt({task, judges: set.judges, segments});
		const names = task.objectives!.map(o => o.name);
		const sel = ev.filter(e => !e.heldout);
		return {losses: Object.fromEntries(names.map(n => [n, mean(sel.map(e => e.objectives![n]!))])), held: ev.find(e => e.heldout)!.loss};
	};
	try {
		for (const b of built) {
			const byMode = new Map<string, Run[]>();
			results.set(b.task.name, byMode);
			const critic = await startScriptedCritic(b.phrases);
			try {
				for (const seed of seeds) {
					const arms: {name: string; task: Task; textual?: TextualMode}[] = [
						...MODES.map(mode => ({name: mode, task: {...b.task, seed, multiObjective: mode}})),
						// The textual modes choose segments by the task's own mode (sum) and edit by the scripted critic.
						...(b.task.name === 'conflict' ? TEXTUAL.map(t => ({name: `textual ${t}`, task: {...b.task, seed}, textual: t})) : []),
					];
					for (const arm of arms) {
						let first: Extract<EngineEvent, {type: 'attribution-done'}> | undefined;
						const onEvent = (e: EngineEvent) => {
							if (e.type === 'attribution-done' && e.round === 1 && !first) first = e;
						};
						const generator = arm.textual
							? createTextualGenerator(createOpenAiChatClient({baseUrl: critic.url, model: 'scripted-critic', retries: 0}), {mode: arm.textual})
							: undefined;
						const before = {...critic.calls};
						const outcome = await optimise(arm.task, set.judges, {rounds, onEvent, generator});
						if (arm.textual) {
							const c = (critics[arm.name] ??= {evaluation: 0, critique: 0, rewrite: 0, rounds: 0});
							c.evaluation += critic.calls.evaluation - before.evaluation;
							c.critique += critic.calls.critique - before.critique;
							c.rewrite += critic.calls.rewrite - before.rewrite;
							c.rounds += outcome.rounds;
						}
						if (!initial.has(b.task.name)) initial.set(b.task.name, (await objectiveLosses(arm.task, outcome.initial)).losses);
						const ev = await objectiveLosses(arm.task, outcome.final);
						const list = byMode.get(arm.name) ?? [];
						list.push({run: outcome, ...ev, report: first?.objectives, direction: first?.importance.aggregate, segmentIds: first?.importance.segmentIds, targets: first?.targets});
						byMode.set(arm.name, list);
					}
					process.stderr.write(`multi: ${b.task.name} seed ${seed} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
				}
			} finally {
				await critic.close();
			}
		}
	} finally {
		await set.close();
	}

	const tables: {heading: string; table: Table}[] = [];
	const hvResult: Record<string, Record<string, number>> = {};
	const winners: Record<string, {hypervolume: string; objectives: Record<string, string>}> = {};
	const specificity: Record<string, Record<string, number>> = {};
	for (const b of built) {
		const byMode = results.get(b.task.name)!;
		const names = b.task.objectives!.map(o => o.name);
		const start = initial.get(b.task.name)!;
		// Reference point: 10% beyond the worst loss seen on each objective (initial prompt included), so every final
		// point counts and the reference is the same for every mode.
		const runs = [...byMode.values()].flat();
		const reference = names.map(n => 1.1 * Math.max(start[n]!, ...runs.map(r => r.losses[n]!)));
		const hv = (r: Run) => hypervolume([names.map(n => r.losses[n]!)], reference);
		const table: Table = {columns: ['mode', ...names.map(n => `${n} loss`), `${held.info.name} loss (held out)`, 'hypervolume', 'judge passes/round', 'specificity of G_o', 'specificity of the edit direction', "round 1 edits sum's segments"], rows: []};
		table.rows.push(['initial prompt', ...names.map(n => fmt(start[n]!, 3)), '', fmt(hypervolume([names.map(n => start[n]!)], reference), 4), '', '', '', '']);
		const sumTargets = byMode.get('sum')!.map(r => [...(r.targets ?? [])].sort().join(','));
		hvResult[b.task.name] = {};
		specificity[b.task.name] = {};
		for (const [mode, xs] of byMode) {
			const numeric = MODES.includes(mode as MultiObjectiveMode);
			const own = (r: Run) => (r.report ? mean(names.map(n => share(r.report!.vectors[n]!, r.segmentIds!, b.own[n]!))) : Number.NaN);
			const edit = (r: Run) => {
				if (!r.report) return Number.NaN;
				if (mode === 'separate') return own(r);
				return mean(names.map(n => share(r.direction!, r.segmentIds!, b.own[n]!)));
			};
			hvResult[b.task.name]![mode] = round3(mean(xs.map(hv)));
			if (numeric) specificity[b.task.name]![mode] = round3(mean(xs.map(edit)));
			table.rows.push([
				mode,
				...names.map(n => ms(xs.map(r => r.losses[n]!))),
				ms(xs.map(r => r.held)),
				ms(xs.map(hv), 4),
				fmt(mean(xs.map(r => r.run.passes / r.run.rounds)), 1),
				fmt(mean(xs.map(own)), 3),
				numeric ? fmt(mean(xs.map(edit)), 3) : 'n/a (critic)',
				`${xs.filter((r, i) => [...(r.targets ?? [])].sort().join(',') === sumTargets[i]).length}/${xs.length} seeds`,
			]);
		}
		// The best mode, and every mode tied with it (the same final prompts give the same numbers).
		const best = (f: (mode: string) => number) => {
			const modes = [...byMode.keys()].sort((x, y) => f(x) - f(y));
			return modes.filter(m => Math.abs(f(m) - f(modes[0]!)) < 1e-9).join(' = ');
		};
		winners[b.task.name] = {
			hypervolume: best(m => -mean(byMode.get(m)!.map(hv))),
			objectives: Object.fromEntries(names.map(n => [n, best(m => mean(byMode.get(m)!.map(r => r.losses[n]!)))])),
		};
		tables.push({
			heading: `${b.task.name}: objectives ${names.join(', ')}; seeds ${seeds.join(', ')}, ${rounds} rounds, batch ${b.task.batchSize}, every candidate scored on the whole batch; hypervolume reference point (${reference.map(x => fmt(x, 3)).join(', ')}) = 1.1 x the worst loss seen per objective`,
			table,
		});
	}
	const criticTable: Table = {
		columns: ['textual mode', 'evaluation calls/round', 'critique calls/round', 'rewrite calls/round'],
		rows: Object.entries(critics).map(([m, c]) => [m, fmt(c.evaluation / c.rounds, 1), fmt(c.critique / c.rounds, 1), fmt(c.rewrite / c.rounds, 1)]),
	};
	if (criticTable.rows.length > 0) tables.push({heading: 'Scripted critic: LLM calls the textual modes make per round (conflict task)', table: criticTable});
	const seconds = (performance.now() - started) / 1000;
	report('multi', 'Several objectives: sum, pcgrad, mgda and separate (and the textual modes with a scripted critic)', tables, {
		hypervolume: hvResult,
		wins: winners,
		specificity_edit_direction: specificity,
		rounds,
		seeds: seeds.length,
		seconds: Math.round(seconds),
	}, {
		quick,
		notes: [
			`Losses: test split, mean token cross-entropy per objective, mean of the selection judges (${selecting.map(j => j.info.name).join(', ')}); held-out ${held.info.name}'s loss is over all objectives. Hypervolume: of each seed's final point (minimisation), then the mean over seeds; higher is better. Judge passes per round count attribution and scoring, every objective a pass of its own.`,
			'Specificity: the share of |importance| on the segments written for each objective, averaged over objectives, from round 1 (the same prompt and batch for every mode of a seed). "of G_o": each objective\'s own vector (per-objective computation); "of the edit direction": the vector the mode chooses segments by (the combined direction for sum, pcgrad and mgda; G_o for separate). With two conflicting objectives a sentence written for one moves the other\'s loss too, so G_o\'s share on its own sentences measures how separable the objectives are.',
			'Textual modes: the real textual-gradient generator (three stages, per objective or combined) and OpenAI client against a loopback server whose answers are scripted (bench/scripted-critic.ts: replacement phrases of the objective a critique names, or of all objectives for a combined one). This checks the harness and shows what the decomposition costs in calls and how S and C split the edits; it says nothing about how well an LLM critiques, which needs a real generator.',
			`Total ${seconds.toFixed(0)} s. ${loadNote()}`,
		],
	});
}
