/**
 * Turning a llama2.c checkpoint and tokenizer into a judge folder: the Llama builder's graph (Optimum layout),
 * config.json, tokenizer.json and judge.json.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {makeDirs} from '../fs-errors.js';
import {buildLlama, type LlamaConfig} from '../onnx/builders/llama.js';
import {writeHubFolder} from '../hf/hub-folder.js';
import {llama2cTokenizerJson, readLlama2cCheckpoint, readLlama2cTokenizer} from './llama2c.js';

/** Write the judge folder; returns the judge name and the model's config. */
export function importLlama2c(checkpoint: string, tokenizerFile: string, outDir: string, name = path.basename(path.resolve(outDir))): {name: string; config: LlamaConfig} {
	const {header, weights} = readLlama2cCheckpoint(checkpoint);
	const tokens = readLlama2cTokenizer(tokenizerFile, header.vocabSize);
	const config: LlamaConfig = {
		vocabSize: header.vocabSize,
		hiddenSize: header.dim,
		intermediateSize: header.hiddenDim,
		numHiddenLayers: header.nLayers,
		numAttentionHeads: header.nHeads,
		numKeyValueHeads: header.nKvHeads,
		maxPositionEmbeddings: header.seqLen,
		rmsNormEps: 1e-5,
		ropeTheta: 10000,
		tieWordEmbeddings: header.shared,
		bosTokenId: 1,
		eosTokenId: 2,
		dtype: 'float32',
	};
	makeDirs(outDir, 'the output folder');
	writeHubFolder(outDir, buildLlama(config, weights), config);
	writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(llama2cTokenizerJson(tokens)));
	const judge = {
		name,
		description: `imported from llama2.c checkpoint ${path.basename(checkpoint)}`,
		family: 'llama',
		maxTokens: header.seqLen,
		bos: 'always',
		bosToken: tokens[1]!.piece,
		eosToken: tokens[2]!.piece,
	};
	writeFileSync(path.join(outDir, 'judge.json'), `${JSON.stringify(judge, null, 2)}\n`);
	return {name, config};
}
