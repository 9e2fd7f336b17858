/**
 * `npm run bench -- bias`: do several judges correct one judge's bias? The selection runs use a judge with a known
 * bias (models/biased/llama-a-certainly, built by scripts/build-biased-judge.ts: "Certainly!" makes it expect the
 * base task's answer whatever misleading sentences the prompt holds), and the offline generator offers "Certainly!"
 * among its replacement phrases. Compared, on the held-out judge's test loss after R rounds over the demo tasks and
 * seeds:
 * - single: the biased judge alone selects;
 * - multi: the biased judge with gpt2-b and llama-a, aggregated by mean, median or min;
 * - for reference, the unbiased llama-a alone.
 * The gain is single minus multi (> 0: several judges end with a prompt the held-out judge finds better), paired by
 * task and seed, with its 95% confidence interval.
 */
import {existsSync} from 'node:fs';
import path from 'node:path';
import type {Aggregation} from '../source/core/types.js';
import {mean} from '../source/core/stats.js';
import {evaluatePrompt} from '../source/engine/evaluate.js';
import {SPURIOUS_PHRASES} from '../source/generators/offline.js';
import {bundledModelsDir, openJudges} from '../source/judges/judge-set.js';
import type {Judge} from '../source/judges/types.js';
import {loadTask} from '../source/tasks/load-task.js';
import {loadNote} from './judge-fixtures.js';
import {bootstrap95, interval95, ms, optimise, round3} from './method-helpers.js';
import {fmt, median, report, type Table} from './report.js';

const TASKS = ['uppercase', 'arithmetic', 'json-format', 'sentiment'];
const BIASED = path.join(bundledModelsDir(), 'biased', 'llama-a-certainly');
const PHRASE = SPURIOUS_PHRASES[0]!;

type Arm = {name: string; judges: (all: Record<string, Judge>) => Judge[]; aggregation: Aggregation};
type Outcome = {held: number; phrase: number; accepted: number};

const ARMS: Arm[] = [
	{name: 'single (biased)', judges: j => [j.biased!], aggregation: 'mean'},
	{name: 'multi, mean', judges: j => [j['gpt2-b']!, j['llama-a']!, j.biased!], aggregation: 'mean'},
	{name: 'multi, median', judges: j => [j['gpt2-b']!, j['llama-a']!, j.biased!], aggregation: 'median'},
	{name: 'multi, min', judges: j => [j['gpt2-b']!, j['llama-a']!, j.biased!], aggregation: 'min'},
	{name: 'single (llama-a, unbiased)', judges: j => [j['llama-a']!], aggregation: 'mean'},
];

export async function run(quick: boolean): Promise<void> {
	if (!existsSync(path.join(BIASED, 'judge.json'))) {
		process.stdout.write(`bias: ${BIASED} is missing; build it with \`npx tsx scripts/build-biased-judge.ts\`\n`);
		return;
	}
	const set = await openJudges(['gpt2-b', 'llama-a', BIASED, 'llama-c'], {heldout: ['llama-c']});
	const byName = Object.fromEntries(set.judges.map(j => [j.info.name, j]));
	const judges: Record<string, Judge> = {...byName, biased: byName['llama-a-certainly']!};
	const held = byName['llama-c']!;
	const tasks = quick ? TASKS.slice(0, 1) : TASKS;
	const seeds = quick ? [1, 2] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
	const rounds = quick ? 2 : 5;
	const started = performance.now();
	const results = new Map<string, Map<string, Outcome[]>>();
	const initial = new Map<string, number>();
	try {
		for (const name of tasks) {
			const base = loadTask(`examples/${name}.yaml`);
			const byArm = new Map<string, Outcome[]>();
			results.set(name, byArm);
			for (const seed of seeds) {
				for (const arm of ARMS) {
					// Every candidate on the whole batch: only the choice of judges differs between the arms.
					const task = {...base, seed, aggregation: arm.aggregation, racing: {...base.racing, enabled: false}};
					const outcome = await optimise(task, [...arm.judges(judges), held], {rounds, spurious: true});
					const ev = await evaluatePrompt({task, judges: [held], segments: outcome.final});
					if (!initial.has(name)) initial.set(name, (await evaluatePrompt({task, judges: [held], segments: outcome.initial}))[0]!.loss);
					const list = byArm.get(arm.name) ?? [];
					list.push({held: ev[0]!.loss, phrase: outcome.final.join('').split(PHRASE).length - 1, accepted: outcome.accepted});
					byArm.set(arm.name, list);
				}
				process.stderr.write(`bias: ${name} seed ${seed} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
			}
		}
	} finally {
		await set.close();
	}

	const arms = ARMS.map(a => a.name);
	const table: Table = {columns: ['task', `initial ${held.info.name} loss`, ...arms.flatMap(a => [`${a}: ${held.info.name} loss`, `${a}: "${PHRASE}" in the final prompt`])], rows: []};
	for (const [name, byArm] of results) {
		table.rows.push([name, fmt(initial.get(name)!, 3), ...arms.flatMap(a => [ms(byArm.get(a)!.map(o => o.held)), ms(byArm.get(a)!.map(o => o.phrase), 1)])]);
	}
	const single = 'single (biased)';
	const gainTable: Table = {
		columns: ['selection', `gain over the biased judge alone (${held.info.name} test loss, nats/token): mean`, 't 95% CI', 'bootstrap 95% CI', 'pairs with gain > 0 / < 0', 'pairs', 'median gain'],
		rows: [],
	};
	type Gain = {gain: number; ci95_low: number; ci95_high: number; bootstrap_ci95_low: number; bootstrap_ci95_high: number};
	const gainResult: Record<string, Gain> = {};
	const interval = (lo: number, hi: number) => `[${fmt(lo, 3)}, ${fmt(hi, 3)}]${lo > 0 ? ' excludes 0' : hi < 0 ? ' excludes 0 (worse)' : ''}`;
	for (const a of arms.filter(x => x !== single)) {
		const diffs = [...results.values()].flatMap(m => m.get(single)!.map((o, i) => o.held - m.get(a)![i]!.held));
		const t = interval95(diffs);
		const b = bootstrap95(diffs);
		gainResult[a] = {gain: round3(t.mean), ci95_low: round3(t.low), ci95_high: round3(t.high), bootstrap_ci95_low: round3(b.low), bootstrap_ci95_high: round3(b.high)};
		gainTable.rows.push([a, fmt(t.mean, 3), interval(t.low, t.high), interval(b.low, b.high), `${diffs.filter(d => d > 0).length} / ${diffs.filter(d => d < 0).length}`, diffs.length, fmt(median(diffs), 3)]);
	}
	const best = Object.entries(gainResult).filter(([a]) => a.startsWith('multi')).sort((x, y) => y[1].ci95_low - x[1].ci95_low)[0]!;
	const seconds = (performance.now() - started) / 1000;
	report('bias', 'Several judges against one biased judge: held-out test loss after selection', [
		{heading: `Held-out ${held.info.name} test loss after ${rounds} rounds (mean ± sd over seeds ${seeds.join(', ')}), and how often the final prompt holds "${PHRASE}"; 12 offline candidates a round, "${PHRASE}" among the replacement phrases`, table},
		{heading: 'Gain of each selection over the biased judge alone, paired by task and seed', table: gainTable},
	], {
		biased_multi_gain: gainResult['multi, mean'],
		biased_multi_gain_by_aggregation: {mean: gainResult['multi, mean'], median: gainResult['multi, median'], min: gainResult['multi, min']},
		best_multi: {aggregation: best[0], ...best[1]},
		unbiased_single_gain: gainResult['single (llama-a, unbiased)'],
		phrase_in_final: Object.fromEntries(arms.map(a => [a, round3(mean([...results.values()].flatMap(m => m.get(a)!.map(o => (o.phrase > 0 ? 1 : 0)))))])),
		rounds,
		seeds: seeds.length,
		seconds: Math.round(seconds),
	}, {
		quick,
		notes: [
			`Judges: the biased judge llama-a-certainly (scripts/build-biased-judge.ts; its card holds the bias it was given), gpt2-b and llama-a select; ${held.info.name} is held out (reported, never selecting). Every arm scores every candidate on the whole batch (racing off), so only the judges and their aggregation differ. "${PHRASE}" in the final prompt: the share of runs whose final prompt holds it.`,
			`biased_multi_gain is the default aggregation (mean); the gains by aggregation follow it. A 95% interval whose low end is above 0 means the several judges' prompts transfer better to the held-out judge than the biased judge's. ci95_low/high are Student t intervals over the task x seed pairs; the gains are heavy-tailed (the biased judge alone fails badly in a few runs and ties in most), which the t interval assumes away, so the percentile bootstrap (10,000 seeded resamples) is given beside it, with the count of pairs each way.`,
			`Total ${seconds.toFixed(0)} s. ${loadNote()}`,
		],
	});
}
