/**
 * Attribution fidelity by embedding baseline and mask point: Spearman correlation between the gradient importances
 * and leave-one-out (masking the segment to the baseline, and deleting its text), per bundled judge and demo task
 * (training examples with r > 0). This is the measurement behind the judges' default (mean baseline, m = 0.5).
 */
import {segmentPrompt} from '../source/core/segment.js';
import {mean, spearman} from '../source/core/stats.js';
import {bundledJudgeNames, resolveJudge} from '../source/judges/judge-set.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import type {Baseline} from '../source/onnx/judge-graph.js';
import {loadTask} from '../source/tasks/load-task.js';
import {fmt, report, type Table} from './report.js';

const SETTINGS: [Baseline, number][] = [
	['zero', 1],
	['zero', 0.5],
	['mean', 1],
	['mean', 0.5],
];

export async function run(quick: boolean): Promise<void> {
	const judges = bundledJudgeNames();
	if (judges.length === 0) {
		process.stdout.write('fidelity: models/ holds no bundled judge; run `npm run build:judges` first\n');
		return;
	}
	const tasks = quick ? ['uppercase', 'arithmetic'] : ['uppercase', 'arithmetic', 'json-format', 'sentiment'];
	const pool = new OrtPool();
	const table: Table = {columns: ['judge', 'task', ...SETTINGS.flatMap(([b, m]) => [`${b}@${m} vs LOO-mask`, `${b}@${m} vs delete`])], rows: []};
	const sums = SETTINGS.map(() => ({mask: [] as number[], del: [] as number[]}));
	for (const name of quick ? judges.slice(0, 1) : judges) {
		for (const taskName of tasks) {
			const task = loadTask(`examples/${taskName}.yaml`);
			const segments = segmentPrompt(task.prompt, task.segmentation).map(s => s.text);
			const examples = task.data.train.filter(e => (e.weight ?? 1) > 0).map(e => ({input: e.input, target: e.target!}));
			const total = (m: number[][]) => segments.map((_, k) => m.reduce((s, row) => s + row[k]!, 0));
			const row: (string | number)[] = [name, taskName];
			let deletion: number[] | undefined;
			for (const [i, [baseline, maskPoint]] of SETTINGS.entries()) {
				const judge = await OnnxJudge.open(resolveJudge(name), {pool, baseline, maskPoint});
				if (!deletion) {
					const base = (await judge.score(segments, examples)).losses;
					deletion = [];
					for (let k = 0; k < segments.length; k++) {
						const without = (await judge.score(segments.filter((_, j) => j !== k), examples)).losses;
						deletion.push(without.reduce((s, l, e) => s + l - base[e]!, 0));
					}
				}
				const gradient = total((await judge.attribute(segments, examples)).importance);
				const loo = total((await judge.attributeLeaveOneOut(segments, examples)).importance);
				const a = spearman(gradient, loo);
				const b = spearman(gradient, deletion);
				sums[i]!.mask.push(a);
				sums[i]!.del.push(b);
				row.push(fmt(a), fmt(b));
			}
			table.rows.push(row);
			process.stderr.write(`fidelity: ${name} ${taskName} done\n`);
		}
	}
	table.rows.push(['mean', '', ...sums.flatMap(s => [fmt(mean(s.mask)), fmt(mean(s.del))])]);
	await pool.close();
	const best = sums.map((s, i) => ({i, v: mean(s.mask)})).sort((x, y) => y.v - x.v)[0]!;
	report('fidelity', 'Attribution fidelity: gradient vs leave-one-out by baseline and mask point', [{table}], {
		best: `${SETTINGS[best.i]![0]}@${SETTINGS[best.i]![1]}`,
		spearman_mean_at_half: Number(mean(sums[3]!.mask).toFixed(3)),
		spearman_zero_at_one: Number(mean(sums[0]!.mask).toFixed(3)),
	}, {quick, notes: ['Importances summed over the task\'s training examples with r > 0; K = 7 segments per prompt. "LOO-mask" sets the segment\'s mask to 0 (its embeddings to the baseline); "delete" removes its text and re-tokenises.']});
}
