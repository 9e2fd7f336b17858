/**
 * Building one bundled judge end to end: corpus, encoding, training (with checkpoints), the judge folder, its
 * quality figures and its model card.
 */
import {mkdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {tokenizerFromJson} from '../judges/tokenizer.js';
import {generateCorpus} from './corpus.js';
import {encodeCorpus, exampleEncoder} from './data.js';
import {writeJudgeFolder, writeTextFile} from './judge-folder-writer.js';
import {weightedTaskTypes, type JudgeSpec} from './judge-specs.js';
import {modelCard} from './model-card.js';
import {evaluateJudge, type QualityReport} from './quality.js';
import {duration, train, type CurvePoint} from './train.js';
import {parameterCount} from './train-graph.js';

/** Seed of the held-out examples of the training curve (shared by every judge, so curves compare). */
export const CURVE_SEED = 777;
/** Size of the curve set. */
export const CURVE_COUNT = 256;

/** Where and how to build. */
export type BuildJudgeOptions = {
	/** The judge folder to write (models/<name>). */
	outDir: string;
	/** The checkpoint file. */
	checkpointPath: string;
	/** Steps between checkpoints. */
	checkpointEvery: number;
	/** Continue from the checkpoint when there is one. */
	resume: boolean;
	/** The tokenizer.json text shared by the judges. */
	tokenizerJson: string;
	/** Base seed (for the card). */
	seed: number;
	/** Command line that rebuilds the judge (for the card). */
	command: string;
	/** Progress lines. */
	log: (line: string) => void;
};

/** What a build produced (also written next to the checkpoint for the build summary). */
export type BuildSummary = {
	/** Judge name. */
	name: string;
	/** Trainable parameters. */
	parameters: number;
	/** Bytes of model.onnx. */
	modelBytes: number;
	/** Quality figures. */
	quality: QualityReport;
	/** Held-out curve. */
	curve: CurvePoint[];
	/** Seconds of training in this process. */
	trainSeconds: number;
	/** Seconds of the whole build of this judge in this process. */
	seconds: number;
	/** CPU seconds (user + system) of this judge's process: what the build costs whatever else runs on the machine. */
	cpuSeconds: number;
};

/** Build one judge. */
export async function buildJudge(spec: JudgeSpec, options: BuildJudgeOptions): Promise<BuildSummary> {
	const began = performance.now();
	const label = spec.name;
	const tokenizer = await tokenizerFromJson(options.tokenizerJson);
	const encode = exampleEncoder(tokenizer);
	const count = spec.train.steps * spec.train.batchSize;
	const corpus = generateCorpus({seed: spec.dataSeed, count, split: 'train', mix: spec.mix, taskTypes: weightedTaskTypes(spec.taskWeights)});
	const data = await encodeCorpus(encode, corpus);
	const curveSet = await encodeCorpus(encode, generateCorpus({seed: CURVE_SEED, count: CURVE_COUNT, split: 'heldout'}));
	const trainTokens = data.reduce((a, e) => a + e.ids.length - 1, 0);
	options.log(`[${label}] ${parameterCount(spec.train.spec).toLocaleString('en-US')} parameters; ${data.length} examples (${trainTokens} tokens) encoded in ${duration((performance.now() - began) / 1000)}`);

	mkdirSync(path.dirname(options.checkpointPath), {recursive: true});
	const result = await train(spec.train, data, curveSet, {
		checkpointPath: options.checkpointPath,
		checkpointEvery: options.checkpointEvery,
		resume: options.resume,
		log: options.log,
		label,
	});

	mkdirSync(options.outDir, {recursive: true});
	writeJudgeFolder(options.outDir, spec, result.weights, options.tokenizerJson);
	const quality = await evaluateJudge(options.outDir);
	const modelBytes = statSync(path.join(options.outDir, 'model.onnx')).size;
	const trainSeconds = result.seconds;
	writeTextFile(
		path.join(options.outDir, 'README.md'),
		modelCard(spec, {seed: options.seed, quality, curve: result.curve, trainExamples: data.length, trainTokens, seconds: trainSeconds, modelBytes, command: options.command}),
	);
	options.log(
		`[${label}] held-out loss ${quality.heldoutLoss.toFixed(3)} (unigram ${quality.unigramLoss.toFixed(3)}, ratio ${(100 * quality.lossRatio).toFixed(1)}%), ` +
			`greedy ${(100 * quality.greedyRate).toFixed(1)}%, clean beats misleading ${(100 * quality.misleadingRate).toFixed(1)}%`,
	);
	return {
		name: spec.name,
		parameters: parameterCount(spec.train.spec),
		modelBytes,
		quality,
		curve: result.curve,
		trainSeconds,
		seconds: (performance.now() - began) / 1000,
		cpuSeconds: cpuSeconds(process.cpuUsage()),
	};
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
	return (usage.user + usage.system) / 1e6;
}
