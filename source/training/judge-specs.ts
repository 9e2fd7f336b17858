/**
 * The bundled judges: family, size, seeds, data mix and training budget of each. They differ in all four so that
 * they disagree somewhat, as judges of different model families do.
 *
 * Budget (this 2-core machine, one onnxruntime thread per judge, the three trained at once). The seed-1 build of
 * these specs used 37 minutes of CPU for llama-a (4,800 steps of 32 sequences, ~1,400 tokens each), 33 for gpt2-b
 * and 22 for llama-c, corpus encoding and quality figures included, and took 48 minutes wall-clock on the two cores
 * with nothing else running (three processes on two cores lose some time to each other; a step of llama-a takes
 * ~0.41 s with two processes on the two cores). Each card records its build's wall-clock time, load and CPU time.
 */
import {DEFAULT_MIX, type InstructionMix} from './corpus.js';
import {DEFAULT_ADAMW} from './optimizer.js';
import type {TrainSettings} from './train.js';
import type {ModelSpec} from './train-graph.js';
import {TASK_TYPES, type TaskType} from './task-types.js';

/** One bundled judge. */
export type JudgeSpec = {
	/** Folder name under models/ and the judge's name. */
	name: string;
	/** One line for judge.json. */
	description: string;
	/** Held out of selection by default (judge.json "heldout"). */
	heldout: boolean;
	/** Seed of the training corpus. */
	dataSeed: number;
	/** Instruction mix of the training corpus. */
	mix: InstructionMix;
	/**
	 * Relative frequency of task types in the training corpus (integers; absent types weigh 1). The held-out figures
	 * always use the uniform mix.
	 */
	taskWeights?: Partial<Record<TaskType, number>>;
	/** Everything the training loop needs. */
	train: TrainSettings;
	/** Context length written to judge.json. */
	maxTokens: number;
};

/** Vocabulary size of the project tokenizer (see build-tokenizer.ts); <|endoftext|> is the last id. */
export const VOCAB = 768;
const EOT = VOCAB - 1;

/** Shared training settings; specs override what differs. */
const BASE = {
	batchSize: 32,
	lr: 3e-3,
	minLrRatio: 0.05,
	clip: 1,
	// Context tokens (instruction, input, template) weigh 0.2, the answer and its <|endoftext|> 1: a text has ~35
	// context and ~7 target tokens, so both halves pull about equally. The context half teaches the language of
	// instructions (what a sentence asks for); the target half is what a judge scores, so it must not be drowned.
	contextWeight: 0.2,
	adamw: DEFAULT_ADAMW,
	evalEvery: 250,
};

function llama(hiddenSize: number, layers: number, heads: number, kvHeads: number, intermediateSize: number, maxTokens: number): ModelSpec {
	return {
		family: 'llama',
		config: {
			vocabSize: VOCAB,
			hiddenSize,
			intermediateSize,
			numHiddenLayers: layers,
			numAttentionHeads: heads,
			numKeyValueHeads: kvHeads,
			maxPositionEmbeddings: maxTokens,
			rmsNormEps: 1e-5,
			ropeTheta: 10000,
			tieWordEmbeddings: true,
			bosTokenId: EOT,
			eosTokenId: EOT,
			padTokenId: EOT,
			dtype: 'float32',
		},
	};
}

function gpt2(nEmbd: number, layers: number, heads: number, maxTokens: number): ModelSpec {
	return {
		family: 'gpt2',
		config: {vocabSize: VOCAB, nPositions: maxTokens, nEmbd, nLayer: layers, nHead: heads, layerNormEpsilon: 1e-5, bosTokenId: EOT, eosTokenId: EOT, padTokenId: EOT, dtype: 'float32'},
	};
}

/**
 * Task weights of the judges trained on more examples of the slowest-learned tasks: the tasks where the first build's
 * judges most often missed the exact answer under greedy decoding (arithmetic, reversing, sorting, the longest word,
 * changing case). The held-out figures always use every task type equally.
 */
const SLOW_TASKS: Partial<Record<TaskType, number>> = {add: 2, subtract: 2, reverse: 2, 'sort-numbers': 2, 'sort-words': 2, 'longest-word': 2, uppercase: 2, lowercase: 2};

/** The bundled judges for a base seed; `quick` gives tiny models and a few steps (a smoke build). */
export function judgeSpecs(seed = 1, quick = false): JudgeSpec[] {
	const steps = (n: number) => (quick ? 12 : n);
	const size = <T>(full: T, tiny: T) => (quick ? tiny : full);
	const s = seed * 1000;
	return [
		{
			name: 'llama-a',
			description: 'Llama-style judge (~0.84M parameters, grouped-query attention), trained on the synthetic instruction corpus with task types drawn uniformly',
			heldout: false,
			dataSeed: s + 11,
			mix: DEFAULT_MIX,
			maxTokens: 256,
			train: {...BASE, spec: size(llama(128, 4, 4, 2, 352, 256), llama(32, 1, 2, 1, 64, 256)), initSeed: s + 12, batchSeed: s + 13, steps: steps(4800), warmup: quick ? 2 : 150},
		},
		{
			name: 'gpt2-b',
			description: 'GPT-2-style judge (~0.9M parameters), trained on a corpus with more filler sentences and more examples of the slowest-learned tasks',
			heldout: false,
			dataSeed: s + 21,
			mix: {secondHelpful: 0.35, please: 0.2, useless: [0.25, 0.25, 0.2, 0.15, 0.15], content: 0.3, format: 0.25},
			taskWeights: SLOW_TASKS,
			maxTokens: 128,
			train: {...BASE, spec: size(gpt2(128, 4, 4, 128), gpt2(32, 1, 2, 128)), initSeed: s + 22, batchSeed: s + 23, steps: steps(3600), warmup: quick ? 2 : 150},
		},
		{
			name: 'llama-c',
			description: 'Smaller Llama-style judge (~0.6M parameters), more misleading sentences and more examples of the slowest-learned tasks in its corpus; held out of selection',
			heldout: true,
			dataSeed: s + 31,
			mix: {secondHelpful: 0.2, please: 0.3, useless: [0.45, 0.25, 0.15, 0.1, 0.05], content: 0.4, format: 0.35},
			taskWeights: SLOW_TASKS,
			maxTokens: 256,
			train: {...BASE, spec: size(llama(128, 3, 4, 2, 320, 256), llama(32, 1, 2, 2, 64, 256)), initSeed: s + 32, batchSeed: s + 33, steps: steps(3600), warmup: quick ? 2 : 150},
		},
	];
}

/** The task-type list generateCorpus draws from uniformly: each type repeated by its weight. */
export function weightedTaskTypes(weights: Partial<Record<TaskType, number>> = {}): TaskType[] {
	return TASK_TYPES.flatMap(t => new Array<TaskType>(weights[t] ?? 1).fill(t));
}
