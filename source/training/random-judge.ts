/**
 * Writing a judge folder with random weights (GPT-2 or Llama style) and a small byte-level BPE tokenizer: for
 * trying the tool without trained judges, for benchmarks (speed does not depend on the weights) and as test
 * fixtures. The folder is laid out exactly like a real judge (judge.json, model.onnx, config.json, tokenizer.json).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {buildGpt2, randomGpt2Weights, type Gpt2Config} from '../onnx/builders/gpt2.js';
import {writeHubFolder} from '../onnx/builders/hub-folder.js';
import {buildLlama, randomLlamaWeights, type LlamaConfig} from '../onnx/builders/llama.js';
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
