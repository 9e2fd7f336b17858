/**
 * Greedy decoding with a judge's graph (the logits after each sequence), batched over prompts. Each step runs the
 * whole sequence again (no key/value cache): answers are short, and it keeps one code path.
 */
import {encodeExample, type JudgeFolder} from './judge-folder.js';
import type {JudgeInfo} from './types.js';
import type {Tensor} from '../onnx/ir.js';

/**
 * What greedy decoding needs of a judge (OnnxJudge has it): its folder and the logits of the token after each
 * sequence. Named here rather than importing OnnxJudge, which loads this module lazily.
 */
export type LogitsModel = {
	/** The judge's facts (context length). */
	readonly info: JudgeInfo;
	/** Tokenizer, framing and special tokens. */
	readonly folder: JudgeFolder;
	/** Logits [B, 1, V] of the token after each sequence. */
	nextTokenLogits(sequences: readonly (readonly number[])[], signal?: AbortSignal): Promise<Tensor>;
};

/** Continue each id sequence greedily until a stop id or `maxTokens` new tokens; returns the new ids. */
export async function greedyFromIds(judge: LogitsModel, prefixes: readonly number[][], maxTokens: number, stopIds: readonly number[], signal?: AbortSignal): Promise<number[][]> {
	const sequences = prefixes.map(p => [...p]);
	const generated = prefixes.map((): number[] => []);
	const done = prefixes.map(() => false);
	const limit = judge.info.contextLength ?? Number.POSITIVE_INFINITY;
	for (let step = 0; step < maxTokens; step++) {
		const open = sequences.map((_, i) => i).filter(i => !done[i] && sequences[i]!.length < limit);
		if (open.length === 0) {
			break;
		}
		const logits = await judge.nextTokenLogits(open.map(i => sequences[i]!), signal);
		const V = logits.dims[2]!;
		const data = logits.data as Float32Array;
		open.forEach((i, b) => {
			const at = b * V;
			let best = 0;
			for (let v = 1; v < V; v++) {
				if (data[at + v]! > data[at + best]!) {
					best = v;
				}
			}
			if (stopIds.includes(best)) {
				done[i] = true;
			} else {
				sequences[i]!.push(best);
				generated[i]!.push(best);
			}
		});
	}
	return generated;
}

/** Greedy answers of a judge for the prompt applied to each input (decoded, leading whitespace removed). */
export async function generateGreedy(judge: LogitsModel, segments: readonly string[], inputs: readonly string[], maxTokens: number, signal?: AbortSignal): Promise<string[]> {
	const folder = judge.folder;
	const contexts = await Promise.all(inputs.map(async input => (await encodeExample(folder, segments, input, '')).contextIds));
	const stop = [...(folder.framing.suffix ?? [])];
	const eos = folder.specialTokens.eos_token ? folder.tokenizer.tokenId(folder.specialTokens.eos_token) : undefined;
	if (eos !== undefined) {
		stop.push(eos);
	}
	const out = await greedyFromIds(judge, contexts, maxTokens, stop, signal);
	return Promise.all(out.map(async ids => (await folder.tokenizer.decode(ids, {skipSpecialTokens: true})).trimStart()));
}
