/**
 * Hugging Face checkpoint folders for tests, in the layout transformers saves: config.json (the architecture's
 * configJson), safetensors weights (optionally bf16/f16, optionally sharded, keys optionally renamed) and the random
 * judges' tokenizer.json, with seeded random weights perturbed so that biases and norms matter.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Architecture} from '../../source/onnx/builders/architecture.js';
import {writeCheckpointWeights, type WriteCheckpointOptions} from '../../source/hf/safetensors-write.js';
import {seededRandom} from '../../source/onnx/builders/common.js';
import {tensorOf, type Tensor} from '../../source/onnx/ir.js';
import {randomJudgeTokenizer} from '../../source/training/random-judge.js';

/** The vocabulary the test tokenizer needs the model to have at least (its ids, added tokens included). */
export function testTokenizerIds(): number {
	const json = JSON.parse(randomJudgeTokenizer()) as {model: {vocab: Record<string, number>}; added_tokens: {id: number}[]};
	return Math.max(...Object.values(json.model.vocab), ...json.added_tokens.map(t => t.id)) + 1;
}

/** The architecture's random weights plus uniform noise of half-width `noise` on every element. */
export function perturbedWeights<C>(arch: Architecture<C>, config: C, seed: number, noise = 0.3): Map<string, Tensor> {
	const r = seededRandom(seed + 1000);
	return new Map(
		[...arch.randomWeights(config, seed)].map(([k, t]) => [k, tensorOf(t.dtype, t.dims, Array.from(t.data as Float64Array, v => v + noise * (2 * r() - 1)))]),
	);
}

/** Options of writeTestCheckpoint. */
export type TestCheckpointOptions = WriteCheckpointOptions & {
	/** Checkpoint key for a weight name (default: the name itself); undefined leaves the weight out. */
	key?: (name: string) => string | undefined;
	/** Extra tensors stored as they are (buffers a real checkpoint carries). */
	extra?: Map<string, Tensor>;
	/** Changes to config.json. */
	config?: Record<string, unknown>;
	/** tokenizer_config.json, when the folder should have one. */
	tokenizerConfig?: Record<string, unknown>;
	/** generation_config.json, when the folder should have one. */
	generationConfig?: Record<string, unknown>;
};

/** Write a checkpoint folder at `dir`; returns `dir`. */
export function writeTestCheckpoint<C>(dir: string, arch: Architecture<C>, config: C, weights: ReadonlyMap<string, Tensor>, options: TestCheckpointOptions = {}): string {
	mkdirSync(dir, {recursive: true});
	writeFileSync(path.join(dir, 'config.json'), JSON.stringify({...arch.configJson(config), ...options.config}, null, 2));
	const stored = new Map<string, Tensor>();
	for (const [name, t] of weights) {
		const key = options.key ? options.key(name) : name;
		if (key !== undefined) stored.set(key, t);
	}
	for (const [name, t] of options.extra ?? []) stored.set(name, t);
	writeCheckpointWeights(dir, stored, options);
	writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
	if (options.tokenizerConfig) writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(options.tokenizerConfig));
	if (options.generationConfig) writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify(options.generationConfig));
	return dir;
}
