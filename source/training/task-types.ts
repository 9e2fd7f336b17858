/**
 * The corpus's task types: how each samples an input and computes its answer. Answers are computed from the input
 * string alone, so anyone holding an (input, task type) pair can recompute the reference.
 */
import {
	anyWord,
	NEGATIVE_VERBS,
	NEGATIVE_WORDS,
	numberSentence,
	plainSentence,
	sentimentPhrase,
	WORDS,
} from './lexicon.js';
import type {Sampler} from './random.js';

/** Every task type of the corpus. */
export const TASK_TYPES = [
	'uppercase',
	'lowercase',
	'reverse',
	'first-letter',
	'last-letter',
	'count-letters',
	'repeat',
	'count-words',
	'add',
	'subtract',
	'larger',
	'sort-words',
	'sort-numbers',
	'sentiment',
	'is-even',
	'longest-word',
	'extract-number',
] as const;

/** One task type of the corpus. */
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * Task types share input shapes on purpose (a single word, two numbers, a list, a sentence): the input must not give
 * away the task, so a judge has to read the instruction, and removing it costs loss.
 */
type TaskDefinition = {
	/** Draws one input. */
	sample(rng: Sampler): string;
	/** The answer for an input. */
	solve(input: string): string;
};

/** A word with mixed casing: all shapes appear for every word task, so casing never reveals the task. */
function casedWord(rng: Sampler): string {
	const word = anyWord(rng);
	const r = rng.next();
	if (r < 0.6) return word;
	if (r < 0.8) return word[0].toUpperCase() + word.slice(1);
	return word.toUpperCase();
}

/** Two different numbers 0-50, the shared input of add, subtract and larger. */
function numberPair(rng: Sampler): string {
	const a = rng.int(0, 50);
	let b = rng.int(0, 49);
	if (b >= a) b++;
	return `${a}, ${b}`;
}

/** k distinct items from a sampler. */
function distinct<T>(rng: Sampler, k: number, draw: (rng: Sampler) => T): T[] {
	const out: T[] = [];
	while (out.length < k) {
		const item = draw(rng);
		if (!out.includes(item)) out.push(item);
	}
	return out;
}

const SHORT_WORDS = WORDS.filter(w => w.length <= 5);
const list = (input: string): string[] => input.split(', ');
const numbers = (input: string): number[] => list(input).map(Number);
const codeOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const negativeWords = new Set([...NEGATIVE_WORDS, ...NEGATIVE_VERBS]);

const DEFINITIONS: Record<TaskType, TaskDefinition> = {
	uppercase: {sample: casedWord, solve: w => w.toUpperCase()},
	lowercase: {sample: casedWord, solve: w => w.toLowerCase()},
	reverse: {sample: casedWord, solve: w => [...w].reverse().join('')},
	'first-letter': {sample: casedWord, solve: w => w[0]},
	'last-letter': {sample: casedWord, solve: w => w[w.length - 1]},
	'count-letters': {sample: casedWord, solve: w => String(w.length)},
	repeat: {
		sample: rng => `${rng.pick(SHORT_WORDS)} ${rng.int(2, 3)}`,
		solve(input) {
			const [word, times] = input.split(' ');
			return Array.from({length: Number(times)}, () => word).join(' ');
		},
	},
	'count-words': {sample: plainSentence, solve: s => String(s.split(' ').length)},
	add: {sample: numberPair, solve: s => String(numbers(s)[0] + numbers(s)[1])},
	subtract: {sample: numberPair, solve: s => String(numbers(s)[0] - numbers(s)[1])},
	larger: {sample: numberPair, solve: s => String(Math.max(...numbers(s)))},
	'sort-words': {
		sample: rng => distinct(rng, 3, r => r.pick(SHORT_WORDS)).join(', '),
		solve: s => list(s).sort(codeOrder).join(', '),
	},
	'sort-numbers': {
		sample: rng => distinct(rng, rng.int(3, 4), r => r.int(0, 99)).join(', '),
		solve: s => numbers(s).sort((a, b) => a - b).join(', '),
	},
	sentiment: {
		sample: rng => sentimentPhrase(rng, rng.chance(0.5)),
		solve: s => (s.split(' ').some(w => negativeWords.has(w)) ? 'negative' : 'positive'),
	},
	'is-even': {sample: rng => String(rng.int(0, 999)), solve: s => (Number(s) % 2 === 0 ? 'yes' : 'no')},
	'longest-word': {
		sample(rng) {
			// Redraw until one word is strictly longest, so the answer is unambiguous.
			for (;;) {
				const words = distinct(rng, rng.int(3, 4), r => r.pick(WORDS));
				const lengths = words.map(w => w.length).sort((a, b) => b - a);
				if (lengths[0] > lengths[1]) return words.join(', ');
			}
		},
		solve: s => list(s).reduce((best, w) => (w.length > best.length ? w : best)),
	},
	'extract-number': {sample: rng => numberSentence(rng).sentence, solve: s => s.match(/\d+/)![0]},
};

/** Draw an input for a task type. */
export function sampleInput(taskType: TaskType, rng: Sampler): string {
	return DEFINITIONS[taskType].sample(rng);
}

/** The answer of a task type for an input (before any modifier). */
export function solveTask(taskType: TaskType, input: string): string {
	return DEFINITIONS[taskType].solve(input);
}

/** True when the value is a task type. */
export function isTaskType(value: string): value is TaskType {
	return (TASK_TYPES as readonly string[]).includes(value);
}
