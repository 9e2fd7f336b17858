/**
 * One tiny config of every architecture gmpo imports (hidden 16, one layer, two for Gemma 2's sliding and full layers, the test tokenizer's vocabulary),
 * each exercising what sets its architecture apart (biases, q/k norms, fused projections, soft-capping, partial
 * rotary, parallel residual), and writers of the two folders a user brings: a Hugging Face checkpoint folder (the
 * layout transformers saves) and an ONNX export folder (model.onnx in the Optimum interface), each with the test
 * tokenizer and a judge.json that names no model.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Architecture} from '../../source/onnx/builders/architecture.js';
import {gemma2Architecture, gemmaArchitecture} from '../../source/onnx/builders/gemma.js';
import {gptNeoxArchitecture} from '../../source/onnx/builders/gpt-neox.js';
import {phi3Architecture} from '../../source/onnx/builders/phi3.js';
import {gpt2Architecture} from '../../source/hf/gpt2.js';
import {llamaArchitecture, mistralArchitecture, qwen2Architecture, qwen3Architecture} from '../../source/hf/llama-family.js';
import type {Tensor} from '../../source/onnx/ir.js';
import {writeModelExternal} from '../../source/onnx/model-file.js';
import {randomJudgeTokenizer} from '../../source/training/random-judge.js';
import {perturbedWeights, testTokenizerIds, writeTestCheckpoint} from './hf-checkpoint.js';

/** An architecture with a config of it. */
export type TinyArchitecture = {name: string; arch: Architecture<any>; config: unknown};

const vocab = testTokenizerIds() + 1;
const eos = vocab - 2;
const llama = {
	vocabSize: vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128,
	rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: eos, eosTokenId: eos, dtype: 'float32',
};
const gemma = {
	vocabSize: vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 8,
	maxPositionEmbeddings: 128, rmsNormEps: 1e-6, ropeTheta: 100, hiddenActivation: 'gelu_pytorch_tanh', tieWordEmbeddings: true,
	bosTokenId: eos, eosTokenId: eos, dtype: 'float32',
};

/** The nine architectures of issue 15, tiny. */
export const TINY_ARCHITECTURES: TinyArchitecture[] = [
	{name: 'llama', arch: llamaArchitecture, config: llama},
	{name: 'mistral', arch: mistralArchitecture, config: {...llama, slidingWindow: 16}},
	{name: 'qwen2', arch: qwen2Architecture, config: {...llama, attentionBias: 'qkv', tieWordEmbeddings: true}},
	{name: 'qwen3', arch: qwen3Architecture, config: {...llama, qkNorm: true, headDim: 6}},
	{
		name: 'phi3',
		arch: phi3Architecture,
		config: {
			vocabSize: vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4,
			maxPositionEmbeddings: 128, originalMaxPositionEmbeddings: 128, rmsNormEps: 1e-5, ropeTheta: 500, partialRotaryFactor: 1,
			hiddenAct: 'silu', tieWordEmbeddings: false, bosTokenId: eos, eosTokenId: eos, dtype: 'float32',
		},
	},
	{name: 'gemma', arch: gemmaArchitecture, config: gemma},
	{
		name: 'gemma2',
		arch: gemma2Architecture,
		config: {
			...gemma, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4, tieWordEmbeddings: false, queryPreAttnScalar: 10,
			numHiddenLayers: 2, attnLogitSoftcapping: 5, finalLogitSoftcapping: 3, slidingWindow: 8, layerTypes: ['sliding_attention', 'full_attention'],
		},
	},
	{
		name: 'gpt2',
		arch: gpt2Architecture,
		config: {vocabSize: vocab, nPositions: 128, nEmbd: 16, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: eos, eosTokenId: eos, dtype: 'float32'},
	},
	{
		name: 'gpt_neox',
		arch: gptNeoxArchitecture,
		config: {
			vocabSize: vocab, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, rotaryPct: 0.5, rotaryEmbBase: 10000,
			maxPositionEmbeddings: 128, layerNormEps: 1e-5, useParallelResidual: true, attentionBias: true, hiddenAct: 'gelu', tieWordEmbeddings: false,
			bosTokenId: eos, eosTokenId: eos, dtype: 'float32',
		},
	},
];

/** The judge.json of both folders: no "model" (the folder's model.onnx, else its checkpoint). */
function writeJudgeJson(dir: string, name: string): void {
	writeFileSync(path.join(dir, 'judge.json'), JSON.stringify({name, eos: 'always', eosToken: '<|endoftext|>'}));
}

/** Seeded weights of `t`, perturbed so that biases and norms matter. */
export function tinyWeights(t: TinyArchitecture, seed = 3): Map<string, Tensor> {
	return perturbedWeights(t.arch, t.config, seed, 0.2);
}

/** A Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json) with a judge.json; returns `dir`. */
export function writeCheckpointJudge(dir: string, t: TinyArchitecture, weights: ReadonlyMap<string, Tensor>, name = t.name): string {
	writeTestCheckpoint(dir, t.arch, t.config, weights);
	writeJudgeJson(dir, name);
	return dir;
}

/**
 * An ONNX export folder of the same model: the builder's graph as model.onnx with its weights in model.onnx_data
 * (Optimum's layout), config.json, tokenizer.json and a judge.json; returns `dir`.
 */
export async function writeOnnxJudge(dir: string, t: TinyArchitecture, weights: ReadonlyMap<string, Tensor>, name = `${t.name}-onnx`): Promise<string> {
	mkdirSync(dir, {recursive: true});
	writeFileSync(path.join(dir, 'config.json'), JSON.stringify(t.arch.configJson(t.config), null, 2));
	await writeModelExternal(path.join(dir, 'model.onnx'), t.arch.build(t.config, weights), {dataDir: dir, dataFile: 'model.onnx_data', threshold: 1});
	writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
	writeJudgeJson(dir, name);
	return dir;
}
