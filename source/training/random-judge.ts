/**
 * Writing a judge folder with random weights (GPT-2 or Llama style) and a small byte-level BPE tokenizer: for
 * trying the tool without trained judges, for benchmarks (speed does not depend on the weights) and as test
 * fixtures. The folder is laid out exactly like a real judge (judge.json, model.onnx, config.json, tokenizer.json).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {buildGpt2, randomGpt2Weights, type Gpt2Config} from '../onnx/builders/gpt2.js';
import {hubConfigJson, writeHubFolder} from '../hf/hub-folder.js';
import {buildLlama, llamaWeightShapes, randomLlamaWeights, type LlamaConfig} from '../onnx/builders/llama.js';
import {lazyTensor, type Tensor} from '../onnx/ir.js';
import {writeModelExternal} from '../onnx/model-file.js';
import {buildTokenizerJson} from './build-tokenizer.js';

const SAMPLE = [
	'You are a helpful assistant. Convert the word to uppercase. Answer in lowercase.',
	'Input: apple\nOutput: APPLE',
	'Add the two numbers. Input: 3 4 Output: 7',
	'Héllo wörld, naïve café. 😀 emoji and 中文 too.',
];

/** Shape of a random judge. */
export type RandomJudgeOptions = {
	/** Model family. */
	family: 'gpt2' | 'llama';
	/** Float type (default float32). */
	dtype?: 'float32' | 'float64';
	/** Judge name (default random-<family>). */
	name?: string;
	/** Weight seed (default 1). */
	seed?: number;
	/** Marked held out in judge.json. */
	heldout?: boolean;
	/** Model width (default 16). */
	hidden?: number;
	/** Layers (default 2). */
	layers?: number;
	/** Attention heads (default 2 for GPT-2, 4 for Llama). */
	heads?: number;
	/** Vocabulary: padded with unused ids up to this size when larger than the tokenizer's (default: the tokenizer's). */
	vocabSize?: number;
	/** Context length (default 256). */
	context?: number;
};

let tokenizerCache: string | undefined;

/** The small byte-level BPE tokenizer.json of random judges (vocabulary 300, <|endoftext|> last). */
export function randomJudgeTokenizer(): string {
	tokenizerCache ??= buildTokenizerJson(SAMPLE, {vocabSize: 300});
	return tokenizerCache;
}

/** Write a random judge folder at `dir`; returns `dir`. */
export function writeRandomJudge(dir: string, options: RandomJudgeOptions): string {
	mkdirSync(dir, {recursive: true});
	const dtype = options.dtype ?? 'float32';
	const tokenizer = randomJudgeTokenizer();
	const tokens = Object.keys(JSON.parse(tokenizer).model.vocab).length + 1;
	const vocabSize = Math.max(tokens, options.vocabSize ?? 0);
	const eos = tokens - 1;
	const hidden = options.hidden ?? 16;
	const layers = options.layers ?? 2;
	const context = options.context ?? 256;
	if (options.family === 'gpt2') {
		const config: Gpt2Config = {vocabSize, nPositions: context, nEmbd: hidden, nLayer: layers, nHead: options.heads ?? 2, layerNormEpsilon: 1e-5, bosTokenId: eos, eosTokenId: eos, dtype};
		writeHubFolder(dir, buildGpt2(config, randomGpt2Weights(config, options.seed ?? 1)), config);
	} else {
		const heads = options.heads ?? 4;
		const config: LlamaConfig = {vocabSize, hiddenSize: hidden, intermediateSize: 2 * hidden, numHiddenLayers: layers, numAttentionHeads: heads, numKeyValueHeads: Math.max(1, heads / 2), maxPositionEmbeddings: context, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: eos, eosTokenId: eos, dtype};
		writeHubFolder(dir, buildLlama(config, randomLlamaWeights(config, options.seed ?? 1)), config);
	}
	writeFileSync(path.join(dir, 'tokenizer.json'), tokenizer);
	const name = options.name ?? `random-${options.family}`;
	writeFileSync(path.join(dir, 'judge.json'), `${JSON.stringify({name, family: options.family, heldout: options.heldout ?? false, eos: 'always', eosToken: '<|endoftext|>', maxTokens: context}, null, 2)}\n`);
	return dir;
}

/** The real shapes the real-size benchmark builds (random weights): Llama-architecture configs of published models. */
export const REAL_SHAPES = {
	'smollm2-360m': {vocabSize: 49152, hiddenSize: 960, intermediateSize: 2560, numHiddenLayers: 32, numAttentionHeads: 15, numKeyValueHeads: 5, ropeTheta: 100000},
	'qwen2.5-0.5b': {vocabSize: 151936, hiddenSize: 896, intermediateSize: 4864, numHiddenLayers: 24, numAttentionHeads: 14, numKeyValueHeads: 2, ropeTheta: 1000000},
	'llama-3.2-1b': {vocabSize: 128256, hiddenSize: 2048, intermediateSize: 8192, numHiddenLayers: 16, numAttentionHeads: 32, numKeyValueHeads: 8, ropeTheta: 500000},
} as const;

/**
 * Seeded uniform weights of std `std`, generated when read (lazy tensors: a writer streams them one at a time, so a
 * 1B model is never held in memory). Each tensor has its own stream (seed and index), so it does not depend on the
 * order tensors are read in. Norm weights are ones.
 */
export function lazyRandomWeights(shapes: ReadonlyMap<string, number[]>, seed: number, std = 0.02): Map<string, Tensor> {
	const weights = new Map<string, Tensor>();
	const half = std * Math.sqrt(3);
	[...shapes].forEach(([name, dims], index) => {
		const n = dims.reduce((a, b) => a * b, 1);
		weights.set(
			name,
			lazyTensor('float32', dims, () => {
				const data = new Float32Array(n);
				if (name.endsWith('norm.weight')) {
					return data.fill(1);
				}
				// xorshift32: fast enough for a billion weights; the values only need to be deterministic and spread.
				let x = (seed * 0x9e3779b1 + index * 0x85ebca6b + 1) >>> 0 || 1;
				for (let i = 0; i < n; i++) {
					x ^= x << 13;
					x ^= x >>> 17;
					x ^= x << 5;
					data[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * half;
				}
				return data;
			}),
		);
	});
	return weights;
}

/**
 * A judge folder of a real model's shape with seeded random weights, laid out as Optimum exports large models:
 * model.onnx (the graph) and model.onnx_data (the weights, streamed), config.json, tokenizer.json, judge.json.
 */
export async function writeRealShapeJudge(dir: string, shape: keyof typeof REAL_SHAPES, options: {seed?: number; name?: string; signal?: AbortSignal} = {}): Promise<string> {
	mkdirSync(dir, {recursive: true});
	const tokenizer = randomJudgeTokenizer();
	const eos = Object.keys(JSON.parse(tokenizer).model.vocab).length;
	const config: LlamaConfig = {
		...REAL_SHAPES[shape],
		maxPositionEmbeddings: 2048,
		rmsNormEps: 1e-5,
		tieWordEmbeddings: true,
		bosTokenId: eos,
		eosTokenId: eos,
		dtype: 'float32',
	};
	const model = buildLlama(config, lazyRandomWeights(llamaWeightShapes(config), options.seed ?? 1));
	await writeModelExternal(path.join(dir, 'model.onnx'), model, {dataDir: dir, dataFile: 'model.onnx_data', signal: options.signal});
	writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(hubConfigJson(config), null, 2)}\n`);
	writeFileSync(path.join(dir, 'tokenizer.json'), tokenizer);
	const name = options.name ?? shape;
	writeFileSync(path.join(dir, 'judge.json'), `${JSON.stringify({name, family: 'llama', eos: 'always', eosToken: '<|endoftext|>', maxTokens: 2048}, null, 2)}\n`);
	return dir;
}
