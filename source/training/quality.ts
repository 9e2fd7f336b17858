/**
 * The quality figures of a bundled judge, computed from its folder exactly as the product loads it
 * (loadJudgeFolder, encodeExample, the judge loss graph over model.onnx), on a fixed sample of held-out problems:
 *
 * - held-out loss: mean cross-entropy (nats per token) of the target tokens (answer and <|endoftext|>) of held-out
 *   corpus examples, against a unigram model of target tokens estimated on training examples;
 * - greedy: the share of clear instructions (only the task's own sentences) whose greedy continuation is exactly
 *   the answer followed by <|endoftext|>;
 * - misleading: the share of pairs where the clear instruction gives the base answer a lower mean target loss than
 *   the same instruction with one misleading sentence added (a modifier that changes the answer).
 */
import {encodeExample, loadJudgeFolder, type JudgeFolder} from '../judges/judge-folder.js';
import {buildLossGraph, inspectCausalLm, type CausalLmInterface} from '../onnx/judge-graph.js';
import {createSession, release, run, type OrtSession} from '../onnx/ort.js';
import {encodeModel} from '../onnx/proto.js';
import {readModel} from '../onnx/model-file.js';
import {generateCorpus, makeExample, type CorpusExample, type InstructionSentence} from './corpus.js';
import {makeBatch, type EncodedExample} from './data.js';
import {greedyDecode} from './greedy.js';
import {applyModifiers, contentApplies, CONTENT_MODIFIERS, FORMAT_MODIFIERS, type ModifierKind} from './modifiers.js';
import {MODIFIER_PHRASES} from './phrases.js';
import {createSampler} from './random.js';
import {TASK_TYPES, type TaskType} from './task-types.js';
import {END_OF_TEXT} from './template.js';
import {batchFeeds} from './train-graph.js';

/** Seed of the held-out quality sample (fixed: every judge and every build is measured on the same problems). */
export const QUALITY_SEED = 4242;
/**
 * Held-out problems per task type in the quality sample. The sample is stratified (the same number of every task
 * type, 204 in all), as the corpus draws task types uniformly: a plain random sample of this size over- or
 * under-represents single task types by a factor of two, which moves the figures by several points.
 */
export const QUALITY_PER_TASK = 12;

/** A judge's quality figures. */
export type QualityReport = {
	/** Held-out examples evaluated. */
	examples: number;
	/** Mean target-token cross-entropy on held-out examples (nats). */
	heldoutLoss: number;
	/** The same for the unigram baseline. */
	unigramLoss: number;
	/** heldoutLoss / unigramLoss. */
	lossRatio: number;
	/** Share of clear instructions answered exactly by greedy decoding. */
	greedyRate: number;
	/** Clear instructions answered exactly by greedy decoding, per task type: [followed, problems]. */
	greedyByTask: Partial<Record<TaskType, [number, number]>>;
	/** Share of pairs where the clean instruction has the lower target loss. */
	misleadingRate: number;
};

/** The held-out problems of the quality sample with clear and misleading variants. */
export type QualityCase = {
	/** The corpus example (its own instruction, filler and modifiers included). */
	example: CorpusExample;
	/** The base task's sentences only; its target is the base answer. */
	clear: CorpusExample;
	/** The clear instruction with one misleading sentence added; scored against the base answer too. */
	misleading: CorpusExample;
};

/** The fixed quality sample: `perTask` held-out examples of every task type. */
export function qualityCases(perTask = QUALITY_PER_TASK, seed = QUALITY_SEED): QualityCase[] {
	const rng = createSampler(seed + 1);
	const examples = TASK_TYPES.flatMap((t, i) => generateCorpus({seed: seed + 100 * (i + 1), count: perTask, split: 'heldout', taskTypes: [t]}));
	return examples.map(example => {
		const helpful = example.instruction.filter(s => s.role === 'helpful');
		const clear = makeExample(example.taskType, example.input, helpful);
		const options: ModifierKind[] = [...CONTENT_MODIFIERS.filter(m => contentApplies(m, clear.target)), ...FORMAT_MODIFIERS];
		const modifier = rng.pick(options.filter(m => applyModifiers(clear.target, [m]) !== clear.target));
		const sentence: InstructionSentence = {text: rng.pick(MODIFIER_PHRASES[modifier]), role: 'misleading', modifier};
		const at = rng.int(0, helpful.length);
		const misleading = makeExample(example.taskType, example.input, [...helpful.slice(0, at), sentence, ...helpful.slice(at)]);
		return {example, clear, misleading};
	});
}

/** Per-example mean target-token losses (nats) of (prompt, input, target) triples under a judge. */
export async function targetLosses(
	judge: JudgeFolder,
	session: OrtSession,
	info: CausalLmInterface,
	items: readonly {prompt: string; input: string; target: string}[]): Promise<{mean: number[]; tokens: number[]}> {
	const encoded: EncodedExample[] = [];
	for (const it of items) {
		const t = await encodeExample(judge, [it.prompt], it.input, it.target);
		encoded.push({ids: Int32Array.from([...t.contextIds, ...t.targetIds]), targetStart: t.contextIds.length});
	}
	const mean: number[] = [];
	for (let i = 0; i < encoded.length; i += 32) {
		const idx = Array.from({length: Math.min(32, encoded.length - i)}, (_, k) => i + k);
		const out = await run(session, batchFeeds(info, makeBatch(encoded, idx, 0, 'row')), ['loss']);
		mean.push(...(out.loss!.data as Float32Array));
	}
	return {mean, tokens: encoded.map(e => e.ids.length - e.targetStart)};
}

/** Unigram target-token distribution (add-one smoothed) from training examples, as negative log-probabilities. */
export async function unigramTargetNll(judge: JudgeFolder, count = 3000, seed = 1): Promise<Float64Array> {
	const counts = new Float64Array(judge.tokenizer.vocabSize).fill(1);
	for (const e of generateCorpus({seed, count, split: 'train'})) {
		for (const id of (await encodeExample(judge, [e.prompt], e.input, e.target)).targetIds) counts[id]! += 1;
	}
	const total = counts.reduce((a, b) => a + b, 0);
	return counts.map(c => -Math.log(c / total));
}

/** Evaluate a judge folder (model.onnx as written, weights as initializers). */
export async function evaluateJudge(dir: string, perTask = QUALITY_PER_TASK): Promise<QualityReport> {
	const judge = await loadJudgeFolder(dir);
	const eos = judge.tokenizer.tokenId(END_OF_TEXT)!;
	const source = readModel(judge.modelPath);
	const info = inspectCausalLm(source);
	const lossSession = await createSession(encodeModel(buildLossGraph(source).model), {threads: 1});
	const decoder = await createSession(judge.modelPath, {threads: 1});
	try {
		const cases = qualityCases(perTask);
		const own = await targetLosses(judge, lossSession, info, cases.map(c => c.example));
		const nll = await unigramTargetNll(judge);
		let uni = 0;
		let tokens = 0;
		for (const c of cases) {
			for (const id of (await encodeExample(judge, [c.example.prompt], c.example.input, c.example.target)).targetIds) uni += nll[id]!;
		}
		own.tokens.forEach(n => (tokens += n));
		const heldoutLoss = own.mean.reduce((a, m, i) => a + m * own.tokens[i]!, 0) / tokens;
		const unigramLoss = uni / tokens;

		const clean = await targetLosses(judge, lossSession, info, cases.map(c => c.clear));
		const misled = await targetLosses(judge, lossSession, info, cases.map(c => ({...c.misleading, target: c.clear.target})));
		const wins = clean.mean.filter((m, i) => m < misled.mean[i]!).length;

		const contexts: number[][] = [];
		for (const c of cases) contexts.push((await encodeExample(judge, [c.clear.prompt], c.clear.input, c.clear.target)).contextIds);
		const decoded = await greedyDecode(decoder, info, contexts, {eos, pad: eos, maxNewTokens: 32});
		let follows = 0;
		const greedyByTask: Partial<Record<TaskType, [number, number]>> = {};
		for (let i = 0; i < cases.length; i++) {
			const text = await judge.tokenizer.decode(decoded[i]!.ids);
			const expected = `${judge.config.format.type === 'plain' ? judge.config.format.targetPrefix : ''}${cases[i]!.clear.target}`;
			const ok = decoded[i]!.stopped && text === expected;
			if (ok) follows++;
			const tally = (greedyByTask[cases[i]!.clear.taskType] ??= [0, 0]);
			tally[0] += ok ? 1 : 0;
			tally[1]++;
		}
		return {
			examples: cases.length,
			heldoutLoss,
			unigramLoss,
			lossRatio: heldoutLoss / unigramLoss,
			greedyRate: follows / cases.length,
			greedyByTask,
			misleadingRate: wins / cases.length,
		};
	} finally {
		await release(lossSession);
		await release(decoder);
	}
}
