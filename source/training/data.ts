/**
 * Training data as token rows. Examples are rendered and tokenised with the judges' own run-time code (the plain
 * formatter and encodeJudgeText of source/judges), with the framing the bundled judge.json files declare: an
 * <|endoftext|> before the text (so the first prompt token is predicted from something) and after the target (so a
 * judge learns, and scores, where the answer stops). Training and scoring therefore see identical token ids.
 */
import type {JudgeFormat} from '../judges/judge-config.js';
import {createFormatter} from '../judges/format.js';
import {encodeJudgeText} from '../judges/segment-map.js';
import type {TextTokenizer} from '../judges/tokenizer.js';
import type {CorpusExample} from './corpus.js';
import {createSampler} from './random.js';
import {END_OF_TEXT, PLAIN_TEMPLATE} from './template.js';
import type {TokenBatch} from './train-graph.js';

/** The judge.json format of the bundled judges: PLAIN_TEMPLATE cut before " {target}", the space in targetPrefix. */
export const JUDGE_FORMAT = {
	type: 'plain',
	template: PLAIN_TEMPLATE.slice(0, PLAIN_TEMPLATE.indexOf(' {target}')),
	targetPrefix: ' ',
} as const satisfies JudgeFormat;

if (`${JUDGE_FORMAT.template}${JUDGE_FORMAT.targetPrefix}{target}` !== PLAIN_TEMPLATE) {
	throw new Error('JUDGE_FORMAT does not reproduce PLAIN_TEMPLATE');
}

/** One tokenised example. */
export type EncodedExample = {
	/** All ids: <|endoftext|>, context, target, <|endoftext|>. */
	ids: Int32Array;
	/** Index in `ids` of the first target token. */
	targetStart: number;
};

/** Tokenises (prompt, input, target) exactly as a bundled judge does at run time. */
export type ExampleEncoder = (prompt: string, input: string, target: string) => Promise<EncodedExample>;

/** The encoder of the bundled judges' format over a tokenizer that has <|endoftext|>. */
export function exampleEncoder(tokenizer: TextTokenizer): ExampleEncoder {
	const eot = tokenizer.tokenId(END_OF_TEXT);
	if (eot === undefined) throw new Error(`the tokenizer has no ${END_OF_TEXT}`);
	const formatter = createFormatter({judge: 'training', format: JUDGE_FORMAT});
	return async (prompt, input, target) => {
		const rendered = formatter.render([prompt], input, target);
		const t = await encodeJudgeText(tokenizer, rendered, {prefix: [eot], suffix: [eot]});
		return {ids: Int32Array.from([...t.contextIds, ...t.targetIds]), targetStart: t.contextIds.length};
	};
}

/** Encode corpus examples (in order). */
export async function encodeCorpus(encode: ExampleEncoder, examples: readonly CorpusExample[]): Promise<EncodedExample[]> {
	const out: EncodedExample[] = [];
	for (const e of examples) out.push(await encode(e.prompt, e.input, e.target));
	return out;
}

/**
 * Batches of example indices for `steps` steps. Examples are taken in order, in windows of 32 batches; within a
 * window they are sorted by length and cut into batches (so rows of a batch have similar lengths and little
 * padding), and the window's batches are shuffled with the seed (so lengths do not trend within a window).
 */
export function planBatches(examples: readonly EncodedExample[], batchSize: number, steps: number, seed: number): number[][] {
	const rng = createSampler(seed);
	const window = 32;
	const plan: number[][] = [];
	let next = 0;
	while (plan.length < steps) {
		const take = Math.min(window, steps - plan.length) * batchSize;
		const idx = Array.from({length: take}, (_, i) => (next + i) % examples.length);
		next += take;
		// Stable order by (length, index) so the plan never depends on the sort algorithm.
		idx.sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length || a - b);
		const batches: number[][] = [];
		for (let i = 0; i < idx.length; i += batchSize) batches.push(idx.slice(i, i + batchSize));
		plan.push(...rng.shuffle(batches));
	}
	return plan;
}

/**
 * The rows of a batch: right-padded ids, the next-token targets and their loss weights. A prediction of a target
 * token (the answer and the final <|endoftext|>) has weight 1, of a context token `contextWeight`; weights are then
 * divided by their sum over the batch, so the graph's summed loss is the weighted mean token cross-entropy (or, with
 * normalise "row", by their sum over the row, so loss[b] is row b's own weighted mean).
 */
export function makeBatch(
	examples: readonly EncodedExample[],
	indices: readonly number[],
	contextWeight: number,
	normalise: 'batch' | 'row' = 'batch',
): TokenBatch {
	const rows = indices.map(i => examples[i]!);
	const length = Math.max(...rows.map(r => r.ids.length)) - 1;
	const n = rows.length * length;
	const ids = new BigInt64Array(n);
	const mask = new BigInt64Array(n);
	const targets = new BigInt64Array(n);
	const weights = new Float32Array(n);
	let total = 0;
	rows.forEach((row, r) => {
		const at = r * length;
		let rowTotal = 0;
		for (let t = 0; t < row.ids.length - 1; t++) {
			ids[at + t] = BigInt(row.ids[t]!);
			mask[at + t] = 1n;
			targets[at + t] = BigInt(row.ids[t + 1]!);
			const w = t + 1 >= row.targetStart ? 1 : contextWeight;
			weights[at + t] = w;
			rowTotal += w;
		}
		if (normalise === 'row') for (let t = 0; t < length; t++) weights[at + t] = weights[at + t]! / rowTotal;
		total += rowTotal;
	});
	if (normalise === 'batch') for (let i = 0; i < n; i++) weights[i] = weights[i]! / total;
	return {batch: rows.length, length, ids, mask, targets, weights};
}
