/**
 * The demo tasks shipped in examples/: prompts that mix helpful, useless and misleading sentences, with data drawn
 * from held-out corpus problems only, so the bundled judges never trained on a demo example.
 * scripts/make-examples.ts writes them; the tests rebuild them and compare.
 */
import type {z} from 'zod';
import type {TaskExample, taskSchema} from '../core/task.js';
import {splitOf, type SentenceRole} from './corpus.js';
import {applyContent, applyModifiers, type ContentModifier, type FormatModifier} from './modifiers.js';
import {MODIFIER_PHRASES, TASK_PHRASES} from './phrases.js';
import {createSampler, hash32} from './random.js';
import {sampleInput, solveTask, type TaskType} from './task-types.js';

/** One sentence of a demo prompt with what it does for this task's references. */
export type DemoSentence = {
	/** The sentence. */
	text: string;
	/** helpful: the references follow it; useless: no effect; misleading: the corpus answer under it differs. */
	role: SentenceRole;
};

/** A demo task's recipe. */
export type DemoSpec = {
	/** Task name; also the file name (examples/<name>.yaml). */
	name: string;
	/** One line for the user. */
	description: string;
	/** The corpus task type the data comes from. */
	taskType: TaskType;
	/** A format every reference is wrapped in (the prompt asks for it). */
	format?: FormatModifier;
	/** Keep only inputs this accepts (e.g. lowercase words, so uppercasing changes them). */
	accepts?: (input: string) => boolean;
	/** Preference data: this many examples per split get a weight -1 twin whose output applies `negative`. */
	negatives?: {modifier: ContentModifier; perSplit: number};
	/** The initial prompt, sentence by sentence. */
	prompt: DemoSentence[];
	/** Neutral sentences for the offline generator's phrase bank (helpful ones come from the task's paraphrases). */
	neutral: string[];
};

/** Examples per split (positives; preference twins come on top). */
export const DEMO_SPLIT_SIZE = 24;

const h = (text: string): DemoSentence => ({text, role: 'helpful'});
const u = (text: string): DemoSentence => ({text, role: 'useless'});
const m = (text: string): DemoSentence => ({text, role: 'misleading'});

/** The shipped demo tasks. */
export const DEMO_SPECS: readonly DemoSpec[] = [
	{
		name: 'uppercase',
		description:
			'Uppercase a word. Preference task: examples with weight -1 hold the lowercase answer, ' +
			'which the prompt should make less likely.',
		taskType: 'uppercase',
		accepts: input => /^[a-z]+$/.test(input),
		negatives: {modifier: 'lowercase', perSplit: 8},
		prompt: [
			u('You are a helpful assistant.'),
			h('Convert the word to uppercase.'),
			u('Take your time.'),
			m('Answer in lowercase.'),
			u('Read the input carefully.'),
			h('Write the word in capital letters.'),
			u('Do your best.'),
		],
		neutral: ['Please be careful.', 'Stay focused.', 'Be accurate.', 'Here is a task for you.'],
	},
	{
		name: 'arithmetic',
		description: 'Add two small numbers and give the plain sum.',
		taskType: 'add',
		prompt: [
			u('Here is a task for you.'),
			h('Add the two numbers.'),
			m('Reverse the answer.'),
			u('Think about the question carefully.'),
			h('What is the sum of the two numbers?'),
			m('Wrap the answer in brackets.'),
			u('Good luck.'),
		],
		neutral: ['Be accurate.', 'Accuracy matters here.', 'Keep it simple.', 'Take your time.'],
	},
	{
		name: 'json-format',
		description: 'Pick the longest word of a list and answer as JSON: {"answer": "<word>"}.',
		taskType: 'longest-word',
		format: 'json',
		prompt: [
			u('You are an expert.'),
			h('Pick the longest word.'),
			m('Reverse the answer.'),
			u('Take your time.'),
			h('Answer in JSON with the key answer.'),
			u('Keep it simple.'),
			u('Stay focused.'),
		],
		neutral: ['Do your best.', 'Read the input carefully.', 'Good luck.', 'Please be careful.'],
	},
	{
		name: 'sentiment',
		description: 'Label a short review as positive or negative, in lowercase and without punctuation.',
		taskType: 'sentiment',
		prompt: [
			u('You are a helpful assistant.'),
			h('Classify the sentiment of the text as positive or negative.'),
			m('Answer in capital letters.'),
			u('Be accurate.'),
			h('Is the review positive or negative?'),
			m('End the answer with a period.'),
			u('Thank you for your help.'),
		],
		neutral: ['Read the input carefully.', 'Think about the question carefully.', 'Keep it simple.', 'Good luck.'],
	},
];

/** A demo task: the task file content plus the sentence roles (kept out of the file, which the schema keeps strict). */
export type DemoTask = {
	/** The recipe it was built from. */
	spec: DemoSpec;
	/** The task file as written (validates against taskSchema; unset fields take its defaults). */
	task: z.input<typeof taskSchema>;
};

/** Distinct held-out inputs of the spec's task type, in draw order. */
function heldoutInputs(spec: DemoSpec, count: number, seed: number): string[] {
	const rng = createSampler(hash32(`${spec.name}:${seed}`));
	const inputs: string[] = [];
	for (let draws = 0; inputs.length < count; draws++) {
		if (draws > 1_000_000) throw new Error(`demo ${spec.name}: not enough held-out inputs`);
		const input = sampleInput(spec.taskType, rng);
		if (inputs.includes(input) || splitOf(spec.taskType, input) !== 'heldout') continue;
		if (spec.accepts && !spec.accepts(input)) continue;
		inputs.push(input);
	}
	return inputs;
}

/** The reference a demo example holds for an input: the base answer in the spec's format. */
export function demoTarget(spec: DemoSpec, input: string): string {
	return applyModifiers(solveTask(spec.taskType, input), spec.format ? [spec.format] : []);
}

function examplesFor(spec: DemoSpec, inputs: string[]): TaskExample[] {
	const out: TaskExample[] = inputs.map(input => ({input, target: demoTarget(spec, input)}));
	if (spec.negatives) {
		const {modifier, perSplit} = spec.negatives;
		const format = spec.format ? [spec.format] : [];
		for (const input of inputs.slice(0, perSplit)) {
			const wrong = applyModifiers(applyContent(modifier, solveTask(spec.taskType, input)), format);
			out.push({input, target: wrong, weight: -1});
		}
	}
	return out;
}

/** Build a demo task deterministically (train and test from disjoint held-out inputs). */
export function buildDemoTask(spec: DemoSpec, seed = 1): DemoTask {
	const inputs = heldoutInputs(spec, 2 * DEMO_SPLIT_SIZE, seed);
	const inPrompt = new Set(spec.prompt.map(s => s.text));
	const helpful = [...TASK_PHRASES[spec.taskType], ...(spec.format ? MODIFIER_PHRASES[spec.format] : [])];
	const phraseBank = [...helpful, ...spec.neutral].filter(p => !inPrompt.has(p));
	const task: z.input<typeof taskSchema> = {
		name: spec.name,
		description: spec.description,
		prompt: spec.prompt.map(s => s.text).join(' '),
		segmentation: {mode: 'sentences'},
		generator: {kind: 'offline'},
		phraseBank,
		rounds: 5,
		seed,
		data: {
			train: examplesFor(spec, inputs.slice(0, DEMO_SPLIT_SIZE)),
			test: examplesFor(spec, inputs.slice(DEMO_SPLIT_SIZE)),
		},
	};
	return {spec, task};
}
