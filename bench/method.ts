/**
 * The method against its alternatives, on the demo tasks, over seeds (mean ± sd):
 * - multi-judge vs single-judge selection: the held-out judge's test loss and greedy exact match after N rounds;
 * - gradient attribution vs leave-one-out vs random choice of segments: final loss against cost (judge passes, s);
 * - attribution fidelity (Spearman of gradient vs leave-one-out importances) as the prompt is split finer (K);
 * - the initial vs the optimised prompt on every demo task (every judge's test loss).
 */
import {mean, spearman} from '../source/core/stats.js';
import type {Task} from '../source/core/task.js';
import {evaluatePrompt} from '../source/engine/evaluate.js';
import {openJudges} from '../source/judges/judge-set.js';
import type {Judge} from '../source/judges/types.js';
import {loadTask} from '../source/tasks/load-task.js';
import {chunks, ms, optimise, randomAttribution, round3, type RunOutcome} from './method-helpers.js';
import {fmt, report, type Table} from './report.js';

const TASKS = ['uppercase', 'arithmetic', 'json-format', 'sentiment'];

type Eval = {heldLoss: number; heldMatch: number; losses: Record<string, number>};

async function evaluate(task: Task, judges: Judge[], segments: string[], held: Judge): Promise<Eval> {
	const all = await evaluatePrompt({task, judges, segments});
	const [h] = await evaluatePrompt({task, judges: [held], segments, exactMatch: true});
	return {heldLoss: h!.loss, heldMatch: h!.exactMatch ?? 0, losses: Object.fromEntries(all.map(e => [e.judge, e.loss]))};
}

export async function run(quick: boolean): Promise<void> {
	const set = await openJudges(undefined);
	const held = set.judges.find(j => j.info.heldout);
	const selecting = set.judges.filter(j => !j.info.heldout);
	if (!held || selecting.length < 2) {
		process.stdout.write('method: needs two selection judges and one held-out judge in models/ (npm run build:judges)\n');
		await set.close();
		return;
	}
	const tasks = quick ? TASKS.slice(0, 1) : TASKS;
	const fidelityTasks = quick ? TASKS.slice(0, 2) : TASKS;
	const seeds = [1, 2, 3];
	const rounds = quick ? 2 : 3;
	const candidates = quick ? 6 : undefined;
	const singles = quick ? selecting.slice(0, 1) : selecting;
	const started = performance.now();
	const arms = ['gradient', 'loo', 'random'] as const;
	type Cell = {multi: Eval[]; single: Eval[]; initial: Eval[]; arm: Record<(typeof arms)[number], {run: RunOutcome; ev: Eval}[]>};
	const cells: Record<string, Cell> = {};
	for (const name of tasks) {
		const base = loadTask(`examples/${name}.yaml`);
		const cell: Cell = {multi: [], single: [], initial: [], arm: {gradient: [], loo: [], random: []}};
		cells[name] = cell;
		for (const seed of seeds) {
			const task = {...base, seed};
			const judges = [...selecting, held];
			const grad = await optimise(task, judges, {rounds, candidates});
			if (seed === seeds[0]) cell.initial.push(await evaluate(task, judges, grad.initial, held));
			const gradEval = await evaluate(task, judges, grad.final, held);
			cell.multi.push(gradEval);
			cell.arm.gradient.push({run: grad, ev: gradEval});
			for (const single of singles) {
				const r = await optimise(task, [single, held], {rounds, candidates});
				cell.single.push(await evaluate(task, judges, r.final, held));
			}
			const loo = await optimise(task, judges, {rounds, candidates, attribution: 'loo'});
			cell.arm.loo.push({run: loo, ev: await evaluate(task, judges, loo.final, held)});
			const random = await optimise(task, [...selecting.map(j => randomAttribution(j, seed * 7919)), held], {rounds, candidates});
			cell.arm.random.push({run: random, ev: await evaluate(task, judges, random.final, held)});
			process.stderr.write(`method: ${name} seed ${seed} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
		}
	}
	const heldName = held.info.name;
	const multiTable: Table = {columns: ['task', `initial ${heldName} loss`, `multi-judge ${heldName} loss`, `single-judge ${heldName} loss`, 'initial exact match', 'multi exact match', 'single exact match'], rows: []};
	const armTable: Table = {columns: ['task', ...arms.flatMap(a => [`${a}: ${heldName} loss`, `${a}: selection loss`, `${a}: attribution passes`, `${a}: attribution s`, `${a}: run passes`, `${a}: run s`])], rows: []};
	const initTable: Table = {columns: ['task', ...set.judges.map(j => `${j.info.name}${j.info.heldout ? ' (held out)' : ''}: initial -> optimised`)], rows: []};
	const gains: number[] = [];
	const ratios = {passes: [] as number[], seconds: [] as number[], runPasses: [] as number[], runSeconds: [] as number[]};
	const armLoss: Record<string, number[]> = {gradient: [], loo: [], random: []};
	const selLoss = (e: Eval) => mean(selecting.map(j => e.losses[j.info.name]!));
	for (const [name, c] of Object.entries(cells)) {
		const init = c.initial[0]!;
		multiTable.rows.push([name, fmt(init.heldLoss, 3), ms(c.multi.map(e => e.heldLoss)), ms(c.single.map(e => e.heldLoss)), fmt(init.heldMatch), ms(c.multi.map(e => e.heldMatch), 2), ms(c.single.map(e => e.heldMatch), 2)]);
		gains.push(mean(c.single.map(e => e.heldLoss)) - mean(c.multi.map(e => e.heldLoss)));
		const row: (string | number)[] = [name];
		for (const a of arms) {
			const xs = c.arm[a];
			row.push(ms(xs.map(x => x.ev.heldLoss)), ms(xs.map(x => selLoss(x.ev))), ms(xs.map(x => x.run.attribution.passes), 0), ms(xs.map(x => x.run.attribution.seconds), 2), ms(xs.map(x => x.run.passes), 0), ms(xs.map(x => x.run.seconds), 1));
			armLoss[a]!.push(...xs.map(x => selLoss(x.ev)));
		}
		armTable.rows.push(row);
		const ratio = (f: (r: RunOutcome) => number) => mean(c.arm.loo.map(x => f(x.run))) / mean(c.arm.gradient.map(x => f(x.run)));
		ratios.passes.push(ratio(r => r.attribution.passes));
		ratios.seconds.push(ratio(r => r.attribution.seconds));
		ratios.runPasses.push(ratio(r => r.passes));
		ratios.runSeconds.push(ratio(r => r.seconds));
		const finals = c.multi;
		initTable.rows.push([name, ...set.judges.map(j => `${fmt(init.losses[j.info.name]!, 3)} -> ${ms(finals.map(e => e.losses[j.info.name]!))}`)]);
	}

	// Fidelity as K grows: the prompt's words in K contiguous chunks; importances summed over training examples (r > 0).
	const ks = quick ? [4, 8] : [4, 8, 12, 16];
	const fidTable: Table = {columns: ['judge', ...ks.map(k => `K=${k}`)], rows: []};
	const fidByK: Record<number, number[]> = {};
	for (const judge of selecting) {
		const row: (string | number)[] = [judge.info.name];
		for (const k of ks) {
			const rhos: number[] = [];
			for (const name of fidelityTasks) {
				const task = loadTask(`examples/${name}.yaml`);
				const segments = chunks(task.prompt, k);
				if (segments.length < 3) continue;
				const examples = task.data.train.filter(e => (e.weight ?? 1) > 0 && e.target !== undefined).map(e => ({input: e.input, target: e.target!}));
				const sum = (m: number[][]) => segments.map((_, i) => m.reduce((s, r) => s + r[i]!, 0));
				const g = sum((await judge.attribute(segments, examples)).importance);
				const l = sum((await judge.attributeLeaveOneOut(segments, examples)).importance);
				rhos.push(spearman(g, l));
			}
			(fidByK[k] ??= []).push(...rhos);
			row.push(ms(rhos, 2));
		}
		fidTable.rows.push(row);
	}
	await set.close();
	const totalSeconds = (performance.now() - started) / 1000;
	report('method', 'Method: multi- vs single-judge selection, gradient vs leave-one-out vs random, fidelity vs K', [
		{heading: `Multi-judge (${selecting.map(j => j.info.name).join(' + ')}) vs single-judge (${singles.map(j => j.info.name).join(', ')}, each) selection: held-out judge ${heldName} on the test split after ${rounds} rounds, seeds ${seeds.join(', ')} (mean ± sd)`, table: multiTable},
		{heading: `Attribution for segment choice: final test loss (held-out, and mean of the selection judges) against cost (judge passes and seconds of attribution alone, and of the whole run incl. candidate scoring), ${rounds} rounds`, table: armTable},
		{heading: 'Attribution fidelity: Spearman of gradient vs leave-one-out importances as the prompt is split into K word chunks (mean ± sd over demo tasks)', table: fidTable},
		{heading: `Initial vs optimised prompt (multi-judge, gradient, ${rounds} rounds): test loss per judge`, table: initTable},
	], {
		multi_vs_single_heldout_gain: round3(mean(gains)),
		grad_vs_loo_cost_ratio: round3(mean(ratios.passes)),
		grad_vs_loo_time_ratio: round3(mean(ratios.seconds)),
		grad_vs_loo_run_passes_ratio: round3(mean(ratios.runPasses)),
		grad_vs_loo_run_time_ratio: round3(mean(ratios.runSeconds)),
		selection_loss: {gradient: round3(mean(armLoss.gradient!)), loo: round3(mean(armLoss.loo!)), random: round3(mean(armLoss.random!))},
		fidelity_by_k: Object.fromEntries(ks.map(k => [k, round3(mean(fidByK[k] ?? []))])),
		rounds,
		seeds: seeds.length,
		seconds: Math.round(totalSeconds),
	}, {quick, notes: [
		`multi_vs_single_heldout_gain = single-judge minus multi-judge held-out test loss (nats/token, mean over tasks; > 0: several judges transfer better). grad_vs_loo_cost_ratio = attribution judge passes of a leave-one-out run / a gradient run, grad_vs_loo_time_ratio the same for attribution seconds; the run_ ratios count the whole run (candidate scoring and held-out reporting included, which both pay alike). "random" picks segments by random importances (one forward per judge for the loss).`,
		`Budget: ${tasks.length} tasks x ${seeds.length} seeds x ${rounds} rounds, ${candidates ?? 12} offline candidates per round, acceptance rule; total ${totalSeconds.toFixed(0)} s on this machine.`,
	]});
}
