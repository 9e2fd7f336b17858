/**
 * Statistics of the judges' synthetic corpus for a seed: examples per task type, mean lengths, and how many
 * instructions carry useless or misleading sentences.
 * Run: npx tsx scripts/corpus-stats.ts [--seed 1] [--count 20000] [--split train|heldout|all]
 */
import {exampleText, generateCorpus, type CorpusExample, type Split} from '../source/training/corpus.js';
import {TASK_TYPES} from '../source/training/task-types.js';

function flag(name: string, fallback: string): string {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const pct = (n: number, total: number): string => `${((100 * n) / total).toFixed(1)}%`;

/** The statistics as printable lines. */
export function corpusStats(examples: CorpusExample[]): string[] {
	const n = examples.length;
	const lines: string[] = [];
	lines.push(`examples: ${n} (${new Set(examples.map(exampleText)).size} distinct texts)`);
	lines.push('', 'task type          count   share  mean target chars');
	for (const type of TASK_TYPES) {
		const of = examples.filter(e => e.taskType === type);
		const targetChars = mean(of.map(e => e.target.length)).toFixed(1);
		const share = pct(of.length, n).padStart(6);
		lines.push(`${type.padEnd(18)} ${String(of.length).padStart(5)}  ${share}  ${targetChars.padStart(6)}`);
	}
	const has = (e: CorpusExample, role: string): boolean => e.instruction.some(s => s.role === role);
	const targets = examples.map(e => e.target.length);
	const twoHelpful = examples.filter(e => e.instruction.filter(s => s.role === 'helpful').length > 1).length;
	const short = targets.filter(t => t <= 20).length;
	lines.push(
		'',
		`mean sentences per instruction: ${mean(examples.map(e => e.instruction.length)).toFixed(2)}`,
		`mean prompt chars: ${mean(examples.map(e => e.prompt.length)).toFixed(1)}`,
		`mean input chars: ${mean(examples.map(e => e.input.length)).toFixed(1)}`,
		`mean target chars: ${mean(targets).toFixed(1)} (max ${Math.max(...targets)}, ${pct(short, n)} <= 20)`,
		`mean training text chars: ${mean(examples.map(e => exampleText(e).length)).toFixed(1)}`,
		`with two helpful sentences: ${pct(twoHelpful, n)}`,
		`with useless sentences: ${pct(examples.filter(e => has(e, 'useless')).length, n)}`,
		`with misleading sentences: ${pct(examples.filter(e => has(e, 'misleading')).length, n)}`,
	);
	const modifiers = new Map<string, number>();
	for (const e of examples) for (const m of e.modifiers) modifiers.set(m, (modifiers.get(m) ?? 0) + 1);
	lines.push(`modifiers: ${[...modifiers].sort().map(([m, c]) => `${m} ${pct(c, n)}`).join(', ')}`);
	return lines;
}

const seed = Number(flag('seed', '1'));
const count = Number(flag('count', '20000'));
const split = flag('split', 'train') as Split | 'all';
console.log(`corpus seed ${seed}, split ${split}`);
for (const line of corpusStats(generateCorpus({seed, count, split}))) console.log(line);
