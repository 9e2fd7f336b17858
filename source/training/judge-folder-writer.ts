/**
 * Writing a trained judge as a folder the product loads like any downloaded one: model.onnx and config.json (the
 * builders' hub folder), tokenizer.json, judge.json and the model card README.md. Every file is written to a
 * temporary name and renamed, so an interrupted build never leaves a half-written file under its real name.
 */
import {writeFileAtomic} from '../atomic-write.js';
import path from 'node:path';
import {writeHubFolder} from '../hf/hub-folder.js';
import type {JudgeConfigInput} from '../judges/judge-config.js';
import {JUDGE_FORMAT} from './data.js';
import type {JudgeSpec} from './judge-specs.js';
import {END_OF_TEXT} from './template.js';
import {asTensors} from './train.js';
import {buildModel} from './train-graph.js';

/** The judge.json of a bundled judge. */
export function judgeJson(spec: JudgeSpec): JudgeConfigInput {
	return {
		name: spec.name,
		description: spec.description,
		family: spec.train.spec.family,
		model: 'model.onnx',
		tokenizer: 'tokenizer.json',
		format: {...JUDGE_FORMAT},
		maxTokens: spec.maxTokens,
		heldout: spec.heldout,
		// Trained with <|endoftext|> before every text and after every answer: the same framing at run time.
		bos: 'always',
		eos: 'always',
		bosToken: END_OF_TEXT,
		eosToken: END_OF_TEXT,
	};
}

/** Write a text file atomically. */
export function writeTextFile(file: string, text: string): void {
	writeFileAtomic(file, text);
}

/** Write model.onnx, config.json, tokenizer.json and judge.json of a trained judge into `dir`. */
export function writeJudgeFolder(dir: string, spec: JudgeSpec, weights: ReadonlyMap<string, Float32Array>, tokenizerJson: string): void {
	const model = buildModel(spec.train.spec, asTensors(weights, spec.train.spec));
	model.metadata = {gmpo_judge: spec.name};
	writeHubFolder(dir, model, spec.train.spec.config);
	writeTextFile(path.join(dir, 'tokenizer.json'), tokenizerJson);
	writeTextFile(path.join(dir, 'judge.json'), `${JSON.stringify(judgeJson(spec), null, 2)}\n`);
}
