/**
 * `npm run bench -- quadrature`: attribution fidelity by the number of segments K and the number of Gauss–Legendre
 * points n along the mask path (judge.json attribution.points). For every bundled judge whose context holds the
 * prompt, every demo task, K in 4, 8, 16, 32 and n in 1, 2, 4, 8: Spearman correlation of the gradient importances
 * (summed over the training examples with r > 0) with masked leave-one-out (segment k's mask at 0, the others at 1)
 * and with deletion (segment k's text removed and the prompt re-tokenised).
 *
 * The prompt is the task's prompt followed by its phrase bank (73 to 101 words), cut into K chunks of words, so that
 * K = 32 has something to cut and every K splits the same text. The diagnostics say what limits agreement: how
 * close n points come to the exact integral along the path (n = 8 against n = 1, 2), and how far the segments are
 * from additive (sum of leave-one-out effects against L(every mask 0) - L(prompt), which the path integral matches
 * by construction).
 */
import {mean, spearman} from '../source/core/stats.js';
import {isUserError} from '../source/errors.js';
import {bundledJudgeNames, resolveJudge} from '../source/judges/judge-set.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import type {JudgeExample} from '../source/judges/types.js';
import {loadTask} from '../source/tasks/load-task.js';
import {loadNote} from './judge-fixtures.js';
import {chunks, round3} from './method-helpers.js';
import {fmt, median, report, type Table} from './report.js';

const TASKS = ['uppercase', 'arithmetic', 'json-format', 'sentiment'];
/** The task's own prompt (27 to 39 words: K = 32 is capped at its words), and the prompt followed by its phrase bank. */
const SHORT = 'task prompt';
const LONG = 'with phrase bank';

type Cell = {prompt: string; judge: string; task: string; k: number; loo: number[]; del: number[]; additivity: number; byN: Map<number, number[]>};

/** Deletion, masked leave-one-out, the all-masked loss and every rule's importances for one split of a prompt. */
async function measure(judges: ReadonlyMap<number, OnnxJudge>, segments: string[], examples: JudgeExample[]): Promise<Omit<Cell, 'prompt' | 'judge' | 'task'>> {
	const judge = judges.get(1)!;
	const total = (m: number[][]) => segments.map((_, s) => m.reduce((a, row) => a + row[s]!, 0));
	const base = (await judge.score(segments, examples)).losses;
	const del: number[] = [];
	for (let s = 0; s < segments.length; s++) {
		const without = (await judge.score(segments.filter((_, j) => j !== s), examples)).losses;
		del.push(without.reduce((a, l, e) => a + l - base[e]!, 0));
	}
	const loo = total((await judge.attributeLeaveOneOut(segments, examples)).importance);
	const empty = await judge.maskedLoss(segments, examples, segments.map(() => 0));
	const path = empty.reduce((a, l, e) => a + l - base[e]!, 0);
	const byN = new Map<number, number[]>();
	for (const [n, j] of judges) byN.set(n, total((await j.attribute(segments, examples)).importance));
	return {k: segments.length, loo, del, additivity: loo.reduce((a, b) => a + b, 0) / path, byN};
}

export async function run(quick: boolean): Promise<void> {
	const names = bundledJudgeNames();
	if (names.length === 0) {
		process.stdout.write('quadrature: models/ holds no bundled judge; run `npm run build:judges` first\n');
		return;
	}
	const ks = quick ? [4, 16] : [4, 8, 16, 32];
	const ns = quick ? [1, 2] : [1, 2, 4, 8];
	const tasks = quick ? TASKS.slice(0, 2) : TASKS;
	const started = performance.now();
	const pool = new OrtPool();
	const cells: Cell[] = [];
	const skipped: string[] = [];
	try {
		for (const name of quick ? names.slice(0, 1) : names) {
			const judges = new Map<number, OnnxJudge>();
			for (const n of ns) judges.set(n, await OnnxJudge.open(resolveJudge(name), {pool, points: n}));
			const judge = judges.get(1)!;
			for (const taskName of tasks) {
				const task = loadTask(`examples/${taskName}.yaml`);
				const long = [task.prompt, ...task.phraseBank].join(' ');
				const examples = task.data.train.filter(e => (e.weight ?? 1) > 0 && e.target !== undefined).map(e => ({input: e.input, target: e.target!}));
				// The judge refuses an example longer than its context (a UserError naming the length).
				const fits = await judge.encode([long], examples).then(
					() => true,
					(error: unknown) => {
						if (!isUserError(error)) throw error;
						skipped.push(`${name} on ${taskName} (${error.message.replace(/^judge "[^"]+": /, '').replace(/;.*/, '')})`);
						return false;
					},
				);
				const variants: [string, string][] = [[SHORT, task.prompt], ...(fits ? [[LONG, long] as [string, string]] : [])];
				for (const [variant, prompt] of variants) {
					for (const k of ks) cells.push({prompt: variant, judge: name, task: taskName, ...(await measure(judges, chunks(prompt, k), examples))});
				}
				process.stderr.write(`quadrature: ${name} ${taskName} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
			}
		}
	} finally {
		await pool.close();
	}

	const top = Math.max(...ns);
	const byK = (k: number, variant = SHORT) => cells.filter(c => c.prompt === variant && (k === 32 ? c.k > 16 : c.k === k));
	const rho = (c: Cell, n: number, against: 'loo' | 'del' | 'top') => spearman(c.byN.get(n)!, against === 'loo' ? c.loo : against === 'del' ? c.del : c.byN.get(top)!);
	const summary: Table = {
		columns: ['prompt', 'K', 'cases', ...ns.flatMap(n => [`n=${n} vs LOO-mask`, `n=${n} vs delete`]), ...ns.filter(n => n !== top).map(n => `n=${n} vs n=${top}`), 'LOO-mask vs delete', 'additivity (sum LOO / path)'],
		rows: [],
	};
	const fidelity: Record<string, Record<string, number>> = {};
	for (const variant of [SHORT, LONG]) for (const k of ks) {
		const cs = byK(k, variant);
		if (cs.length === 0) continue;
		const meanOf = (f: (c: Cell) => number) => mean(cs.map(f));
		if (variant === SHORT) fidelity[k] = Object.fromEntries(ns.map(n => [n, round3(meanOf(c => rho(c, n, 'loo')))]));
		summary.rows.push([
			variant,
			k === 32 && variant === SHORT ? `32 (capped: ${Math.min(...cs.map(c => c.k))}-${Math.max(...cs.map(c => c.k))})` : k,
			cs.length,
			...ns.flatMap(n => [fmt(meanOf(c => rho(c, n, 'loo'))), fmt(meanOf(c => rho(c, n, 'del')))]),
			...ns.filter(n => n !== top).map(n => fmt(meanOf(c => rho(c, n, 'top')))),
			fmt(meanOf(c => spearman(c.loo, c.del))),
			fmt(median(cs.map(c => c.additivity))),
		]);
	}
	const detail: Table = {columns: ['prompt', 'judge', 'task', 'K', ...ns.map(n => `n=${n} vs LOO-mask`), 'additivity'], rows: []};
	for (const c of cells) detail.rows.push([c.prompt, c.judge, c.task, c.k, ...ns.map(n => fmt(rho(c, n, 'loo'))), fmt(c.additivity)]);

	const k16 = byK(16);
	const k16Long = byK(16, LONG);
	const cheap = ns.filter(n => n <= 2);
	const best = cheap.map(n => ({n, v: mean(k16.map(c => rho(c, n, 'loo')))})).sort((a, b) => b.v - a.v)[0];
	const seconds = (performance.now() - started) / 1000;
	report('quadrature', 'Attribution quadrature: fidelity by segments K and Gauss–Legendre points n', [
		{heading: 'Mean Spearman over judges and tasks (importances summed over the training examples with r > 0)', table: summary},
		{heading: 'Per judge and task (Spearman against masked leave-one-out)', table: detail},
	], {
		fidelity_k16: best ? round3(best.v) : null,
		fidelity_k16_n: best?.n ?? null,
		fidelity_k16_delete: best ? round3(mean(k16.map(c => rho(c, best.n, 'del')))) : null,
		fidelity_k16_best_any_n: round3(Math.max(...ns.map(n => mean(k16.map(c => rho(c, n, 'loo')))))),
		fidelity_k16_long: round3(Math.max(...cheap.map(n => mean(k16Long.map(c => rho(c, n, 'loo')))))),
		reference_agreement_k16: round3(mean(k16.map(c => spearman(c.loo, c.del)))),
		fidelity_by_k_n: fidelity,
		additivity_k16_median: round3(median(k16.map(c => c.additivity))),
		goal: 0.85,
		seconds: Math.round(seconds),
	}, {
		quick,
		notes: [
			`n points cost n forward+backward rows per example in one run (plus the forward for the loss at m = 1 that every rule away from m = 1 needs); n = 1 reads the gradient at m = 0.5 (the judges' default). Judges at their judge.json settings (mean-embedding baseline). fidelity_k16 is the best n <= 2 at K = 16 against masked leave-one-out on the task prompts (the setting of the method benchmark's fidelity by K); fidelity_k16_long the same on the prompts with their phrase banks. reference_agreement_k16: Spearman of the two references (masked leave-one-out, deletion) with each other.`,
			`"n=N vs n=${top}": how close n points come to the (near-exact) ${top}-point integral along the path. "additivity" (median over judges and tasks): sum over segments of the leave-one-out effects divided by L(every mask 0) - L(prompt); the path integral's importances add up to the denominator exactly, so the further from 1, the more the segments interact and the less any path from all-masked to the prompt can reproduce leave-one-out.`,
			...(skipped.length > 0 ? [`Skipped (prompt and example longer than the judge's context): ${skipped.join('; ')}.`] : []),
			`Total ${seconds.toFixed(0)} s. ${loadNote()}`,
		],
	});
}
