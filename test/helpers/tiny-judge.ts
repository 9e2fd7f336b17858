/**
 * Tiny random-weight judge folders (GPT-2 or Llama style, float32 or float64) with a small byte-level BPE
 * tokenizer, written to a temporary directory: fixtures for judge tests. Speed and answers do not matter here,
 * only that the folder is laid out like a real judge.
 */
import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {buildGpt2, randomGpt2Weights, type Gpt2Config} from '../../source/onnx/builders/gpt2.js';
import {writeHubFolder} from '../../source/onnx/builders/hub-folder.js';
import {buildLlama, randomLlamaWeights, type LlamaConfig} from '../../source/onnx/builders/llama.js';
import {buildTokenizerJson} from '../../source/training/build-tokenizer.js';

const SAMPLE = [
	'You are a helpful assistant. Convert the word to uppercase. Answer in lowercase.',
	'Input: apple\nOutput: APPLE',
	'Add the two numbers. Input: 3 4 Output: 7',
	'Héllo wörld, naïve café. 😀 emoji and 中文 too.',
];

let tokenizerCache: string | undefined;

/** A small byte-level BPE tokenizer.json (vocabulary 300). */
export function tinyTokenizerJson(): string {
	tokenizerCache ??= buildTokenizerJson(SAMPLE, {vocabSize: 300});
	return tokenizerCache;
}

/** Write a judge folder; returns its path. */
export function writeTinyJudge(options: {family: 'gpt2' | 'llama'; dtype?: 'float32' | 'float64'; name?: string; seed?: number; heldout?: boolean}): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), `gmpo-judge-${options.family}-`));
	const dtype = options.dtype ?? 'float32';
	const tokenizer = tinyTokenizerJson();
	const vocabSize = Object.keys(JSON.parse(tokenizer).model.vocab).length + 1;
	const eos = vocabSize - 1;
	if (options.family === 'gpt2') {
		const config: Gpt2Config = {vocabSize, nPositions: 256, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: eos, eosTokenId: eos, dtype};
		writeHubFolder(dir, buildGpt2(config, randomGpt2Weights(config, options.seed ?? 1)), config);
	} else {
		const config: LlamaConfig = {vocabSize, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 256, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: eos, eosTokenId: eos, dtype};
		writeHubFolder(dir, buildLlama(config, randomLlamaWeights(config, options.seed ?? 1)), config);
	}
	writeFileSync(path.join(dir, 'tokenizer.json'), tokenizer);
	const name = options.name ?? `tiny-${options.family}-${dtype}`;
	writeFileSync(path.join(dir, 'judge.json'), JSON.stringify({name, family: options.family, heldout: options.heldout ?? false, eos: 'always', eosToken: '<|endoftext|>', maxTokens: 256}));
	return dir;
}
