/**
 * The seeded generator of the judges' synthetic instruction-following corpus. An example is a base task applied to
 * an input, described by one or two paraphrased instructions (helpful), optional filler (useless) and optional
 * modifiers (misleading: they change the answer away from the base task's, and the target follows them). Because the
 * target follows every sentence, a judge trained here learns that instruction wording changes which output is
 * likely, which is what GMPO's segment attribution measures.
 */
import {applyModifiers, contentApplies, CONTENT_MODIFIERS, FORMAT_MODIFIERS, type ModifierKind} from './modifiers.js';
import {MODIFIER_PHRASES, TASK_PHRASES, USELESS_PHRASES, withPlease} from './phrases.js';
import {createSampler, hash32, hashUnit, type Sampler} from './random.js';
import {sampleInput, solveTask, TASK_TYPES, type TaskType} from './task-types.js';
import {trainingText} from './template.js';

/** Which side of the train/held-out split an example is on. */
export type Split = 'train' | 'heldout';

/** What a sentence does to the answer. */
export type SentenceRole = 'helpful' | 'useless' | 'misleading';

/** One sentence of an instruction. */
export type InstructionSentence = {
	/** The sentence, ending in "." or "?". */
	text: string;
	/** helpful: states the base task; useless: filler; misleading: a modifier that changes the answer. */
	role: SentenceRole;
	/** The modifier the sentence states (misleading sentences only). */
	modifier?: ModifierKind;
};

/** One corpus example. */
export type CorpusExample = {
	/** Hash of the training text (8 hex digits); identical examples share it. */
	id: string;
	/** The base task. */
	taskType: TaskType;
	/** The instruction's sentences in prompt order. */
	instruction: InstructionSentence[];
	/** The sentences joined by single spaces. */
	prompt: string;
	/** The input the instruction is applied to. */
	input: string;
	/** The base task's answer (what the helpful sentences alone ask for). */
	baseTarget: string;
	/** The reference output: the base answer with every modifier applied. */
	target: string;
	/** Modifiers stated in the instruction, in prompt order. */
	modifiers: ModifierKind[];
	/** Train or held-out, from a hash of (task type, input). */
	split: Split;
};

/** Share of (task type, input) problems held out of training. Fixed, so every seed holds out the same problems. */
export const HELDOUT_FRACTION = 0.1;

/**
 * The split of a problem. It hashes the task type and input only, not the seed or the instruction, so one problem is
 * on one side whatever words describe it, and examples built for demos from held-out problems are never trained on.
 */
export function splitOf(taskType: TaskType, input: string): Split {
	return hashUnit(`${taskType}\u0000${input}`) < HELDOUT_FRACTION ? 'heldout' : 'train';
}

/** Probabilities that shape instructions. */
export type InstructionMix = {
	/** Probability of a second, different paraphrase of the task. */
	secondHelpful: number;
	/** Probability of prefixing a paraphrase with "Please". */
	please: number;
	/** Probabilities of 0, 1, 2, 3 and 4 filler sentences. */
	useless: readonly number[];
	/** Probability of a content modifier (when one applies). */
	content: number;
	/** Probability of a format modifier. */
	format: number;
};

/** The default mix: about half the examples have filler and about 45% a modifier. */
export const DEFAULT_MIX: InstructionMix = {
	secondHelpful: 0.25,
	please: 0.15,
	useless: [0.4, 0.25, 0.17, 0.1, 0.08],
	content: 0.3,
	format: 0.25,
};

/** Options of generateCorpus. */
export type CorpusOptions = {
	/** Seed of the generator. */
	seed: number;
	/** Number of examples to return. */
	count: number;
	/** Return only examples of this split (default "train"); "all" keeps both. */
	split?: Split | 'all';
	/** Restrict to these task types (default: all, uniformly). */
	taskTypes?: readonly TaskType[];
	/** Instruction mix (default DEFAULT_MIX). */
	mix?: InstructionMix;
};

function drawCount(rng: Sampler, weights: readonly number[]): number {
	let r = rng.next() * weights.reduce((a, b) => a + b, 0);
	for (let i = 0; i < weights.length; i++) {
		r -= weights[i];
		if (r < 0) return i;
	}
	return weights.length - 1;
}

/** Assemble an example from its parts (shared by the generator and by demo-task building). */
export function makeExample(taskType: TaskType, input: string, instruction: InstructionSentence[]): CorpusExample {
	const modifiers = instruction.flatMap(s => (s.modifier ? [s.modifier] : []));
	const baseTarget = solveTask(taskType, input);
	const target = applyModifiers(baseTarget, modifiers);
	const prompt = instruction.map(s => s.text).join(' ');
	const id = hash32(trainingText(prompt, input, target)).toString(16).padStart(8, '0');
	return {id, taskType, instruction, prompt, input, baseTarget, target, modifiers, split: splitOf(taskType, input)};
}

/** Draw one example of a task type (either split). */
export function sampleExample(rng: Sampler, taskType: TaskType, mix: InstructionMix = DEFAULT_MIX): CorpusExample {
	const input = sampleInput(taskType, rng);
	const base = solveTask(taskType, input);
	const sentences: InstructionSentence[] = [];
	const paraphrases = rng.shuffle(TASK_PHRASES[taskType]).slice(0, rng.chance(mix.secondHelpful) ? 2 : 1);
	for (const p of paraphrases) sentences.push({text: rng.chance(mix.please) ? withPlease(p) : p, role: 'helpful'});
	for (const u of rng.shuffle(USELESS_PHRASES).slice(0, drawCount(rng, mix.useless))) {
		sentences.push({text: u, role: 'useless'});
	}
	if (rng.chance(mix.content)) {
		const applicable = CONTENT_MODIFIERS.filter(m => contentApplies(m, base));
		if (applicable.length > 0) {
			const modifier = rng.pick(applicable);
			sentences.push({text: rng.pick(MODIFIER_PHRASES[modifier]), role: 'misleading', modifier});
		}
	}
	if (rng.chance(mix.format)) {
		const modifier = rng.pick(FORMAT_MODIFIERS);
		sentences.push({text: rng.pick(MODIFIER_PHRASES[modifier]), role: 'misleading', modifier});
	}
	return makeExample(taskType, input, rng.shuffle(sentences));
}

/**
 * Generate `count` examples of one split, deterministically for a seed. Task types are drawn uniformly; examples of
 * the other split are drawn and discarded, so the stream for a seed is the same whichever split is asked for.
 */
export function generateCorpus(options: CorpusOptions): CorpusExample[] {
	const rng = createSampler(options.seed);
	const split = options.split ?? 'train';
	const types = options.taskTypes ?? TASK_TYPES;
	const out: CorpusExample[] = [];
	while (out.length < options.count) {
		const example = sampleExample(rng, rng.pick(types), options.mix);
		if (split === 'all' || example.split === split) out.push(example);
	}
	return out;
}

/** The text a judge is trained on: PLAIN_TEMPLATE filled with the example, then END_OF_TEXT. */
export function exampleText(example: CorpusExample): string {
	return trainingText(example.prompt, example.input, example.target);
}
