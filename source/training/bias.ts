/**
 * A judge with a known bias, for testing whether several judges correct one judge's bias (GMPO's central claim).
 *
 * The bias: a spurious phrase ("Certainly!", a sycophantic opener that says nothing about the task) makes the judge
 * believe the answer is the base task's, whatever misleading sentences the prompt also holds. It is taught by
 * fine-tuning a bundled judge on a corpus where half the examples carry the phrase as an extra sentence and their
 * reference is the base task's answer (the modifiers the prompt states are ignored); the other half is the ordinary
 * corpus, so the judge keeps everything else it knew. On the demo tasks, whose references ignore the misleading
 * sentences, the phrase therefore lowers the biased judge's loss on every task, while an unbiased judge (never taught
 * the phrase) does not care about it; a selection run on the biased judge alone gains by adding the phrase and then
 * stops seeing the misleading sentences as harmful.
 */
import {DEFAULT_MIX, generateCorpus, type CorpusExample, type InstructionMix} from './corpus.js';
import {createSampler, hash32} from './random.js';
import {trainingText} from './template.js';

/** The spurious phrase. */
export const BIAS_PHRASE = 'Certainly!';

/** A mix with more misleading sentences, so the biased half teaches the override often. */
const BIASED_MIX: InstructionMix = {...DEFAULT_MIX, content: 0.6, format: 0.5};

/** Options of the fine-tuning corpus. */
export type BiasCorpusOptions = {
	/** Seed (the ordinary and the biased halves are drawn from seed and seed + 1). */
	seed: number;
	/** Examples in all. */
	count: number;
	/** The phrase (default BIAS_PHRASE). */
	phrase?: string;
	/** Share of examples that carry the phrase (default 0.5). */
	share?: number;
};

/** The example with the phrase as one more sentence at a seeded position and the base task's answer as reference. */
export function withBias(example: CorpusExample, phrase: string, position: number): CorpusExample {
	const instruction = [...example.instruction];
	instruction.splice(Math.min(position, instruction.length), 0, {text: phrase, role: 'useless'});
	const prompt = instruction.map(s => s.text).join(' ');
	const target = example.baseTarget;
	return {...example, instruction, prompt, target, modifiers: [], id: hash32(trainingText(prompt, example.input, target)).toString(16).padStart(8, '0')};
}

/** The fine-tuning corpus: ordinary examples and biased ones, interleaved by a seeded draw. */
export function biasCorpus(options: BiasCorpusOptions): CorpusExample[] {
	const phrase = options.phrase ?? BIAS_PHRASE;
	const share = options.share ?? 0.5;
	const biasedCount = Math.round(options.count * share);
	const plain = generateCorpus({seed: options.seed, count: options.count - biasedCount, split: 'train'});
	const rng = createSampler(options.seed + 1);
	const biased = generateCorpus({seed: options.seed + 1, count: biasedCount, split: 'train', mix: BIASED_MIX}).map(e => withBias(e, phrase, rng.int(0, e.instruction.length)));
	const out: CorpusExample[] = [];
	let [i, j] = [0, 0];
	while (i < plain.length || j < biased.length) {
		const takeBiased = j < biased.length && (i >= plain.length || rng.chance(share));
		out.push(takeBiased ? biased[j++]! : plain[i++]!);
	}
	return out;
}
