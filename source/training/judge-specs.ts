/**
 * The bundled judges: family, size, seeds, data mix and training budget of each. They differ in all four so that
 * they disagree somewhat, as judges of different model families do.
 *
 * Budget (this 2-core machine, one onnxruntime thread per judge, two judges at a time): a step of 32 sequences
 * (~1,400 tokens) of a ~0.85M-parameter model takes ~0.33 s alone (~4,400 tokens/s, ~22 GFLOP/s by the
 * 6 x params x tokens rule) and ~0.55 s with the other lane running and some outside load; the small model about
 * half that. The steps below keep the two lanes (llama-a; gpt2-b then llama-c) near 40 minutes under that load,
 * inside the 60-minute budget.
 */
import {DEFAULT_MIX, type InstructionMix} from './corpus.js';
import {DEFAULT_ADAMW} from './optimizer.js';
import type {TrainSettings} from './train.js';
import type {ModelSpec} from './train-graph.js';

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

/** The bundled judges for a base seed; `quick` gives tiny models and a few steps (a smoke build). */
export function judgeSpecs(seed = 1, quick = false): JudgeSpec[] {
	const steps = (n: number) => (quick ? 12 : n);
	const size = <T>(full: T, tiny: T) => (quick ? tiny : full);
	const s = seed * 1000;
	return [
		{
			name: 'llama-a',
			description: 'Llama-style judge (~0.84M parameters, grouped-query attention), trained on the synthetic instruction corpus',
			heldout: false,
			dataSeed: s + 11,
			mix: DEFAULT_MIX,
			maxTokens: 256,
			train: {...BASE, spec: size(llama(128, 4, 4, 2, 352, 256), llama(32, 1, 2, 1, 64, 256)), initSeed: s + 12, batchSeed: s + 13, steps: steps(4000), warmup: quick ? 2 : 150},
		},
		{
			name: 'gpt2-b',
			description: 'GPT-2-style judge (~0.9M parameters), trained on a corpus with more filler sentences',
			heldout: false,
			dataSeed: s + 21,
			mix: {secondHelpful: 0.35, please: 0.2, useless: [0.25, 0.25, 0.2, 0.15, 0.15], content: 0.3, format: 0.25},
			maxTokens: 128,
			train: {...BASE, spec: size(gpt2(128, 4, 4, 128), gpt2(32, 1, 2, 128)), initSeed: s + 22, batchSeed: s + 23, steps: steps(3000), warmup: quick ? 2 : 150},
		},
		{
			name: 'llama-c',
			description: 'Small Llama-style judge (~0.4M parameters), more misleading sentences in its corpus; held out of selection',
			heldout: true,
			dataSeed: s + 31,
			mix: {secondHelpful: 0.2, please: 0.3, useless: [0.45, 0.25, 0.15, 0.1, 0.05], content: 0.4, format: 0.35},
			maxTokens: 256,
			train: {...BASE, spec: size(llama(96, 3, 3, 3, 256, 256), llama(32, 1, 2, 2, 64, 256)), initSeed: s + 32, batchSeed: s + 33, steps: steps(2500), warmup: quick ? 2 : 150},
		},
	];
}
