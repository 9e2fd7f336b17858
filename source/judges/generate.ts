/**
 * Greedy decoding with a judge's source model (its logits output), batched over prompts. Each step runs the whole
 * sequence again (no key/value cache): the judges are small and the answers short, and it keeps one code path.
 */
import {encodeExample, type JudgeFolder} from './judge-folder.js';
import type {JudgeInfo} from './types.js';
import type {Tensor} from '../onnx/ir.js';
import type {CausalLmInterface} from '../onnx/judge-graph.js';

/**
 * What greedy decoding needs of a judge (OnnxJudge has it): its folder, its source model's interface and a way to run
 * that model for logits. Named here rather than importing OnnxJudge, which loads this module lazily.
 */
export type LogitsModel = {
	/** The judge's facts (context length). */
	readonly info: JudgeInfo;
	/** Tokenizer, framing and special tokens. */
	readonly folder: JudgeFolder;
	/** The source model's inputs (position ids, past key/value inputs). */
	readonly graphInfo: CausalLmInterface;
	/** Runs the source model; returns its logits. */
	runLogits(feeds: Record<string, Tensor>, signal?: AbortSignal): Promise<Tensor>;
};

/** Continue each id sequence greedily until a stop id or `maxTokens` new tokens; returns the new ids. */
export async function greedyFromIds(judge: LogitsModel, prefixes: readonly number[][], maxTokens: number, stopIds: readonly number[], signal?: AbortSignal): Promise<number[][]> {
	const info = judge.graphInfo;
	const sequences = prefixes.map(p => [...p]);
	const generated = prefixes.map((): number[] => []);
	const done = prefixes.map(() => false);
	const limit = judge.info.contextLength ?? Number.POSITIVE_INFINITY;
	for (let step = 0; step < maxTokens; step++) {
		const open = sequences.map((_, i) => i).filter(i => !done[i] && sequences[i]!.length < limit);
		if (open.length === 0) {
			break;
		}
		const B = open.length;
		const T = Math.max(...open.map(i => sequences[i]!.length));
		const ids = new BigInt64Array(B * T);
		const mask = new BigInt64Array(B * T);
		const positions = new BigInt64Array(B * T);
		open.forEach((i, b) => {
			const s = sequences[i]!;
			for (let t = 0; t < T; t++) {
				positions[b * T + t] = BigInt(t);
				if (t < s.length) {
					ids[b * T + t] = BigInt(s[t]!);
					mask[b * T + t] = 1n;
				}
			}
		});
		const feeds: Record<string, Tensor> = {
			input_ids: {dtype: 'int64', dims: [B, T], data: ids},
			attention_mask: {dtype: 'int64', dims: [B, T], data: mask},
		};
		if (info.hasPositionIds) {
			feeds.position_ids = {dtype: 'int64', dims: [B, T], data: positions};
		}
		for (const p of info.pastInputs) {
			feeds[p.name] = {dtype: p.dtype, dims: [B, p.heads, 0, p.headDim], data: new (p.dtype === 'float64' ? Float64Array : Float32Array)(0)};
		}
		const logits = await judge.runLogits(feeds, signal);
		const V = logits.dims[2]!;
		const data = logits.data as Float32Array;
		open.forEach((i, b) => {
			const at = (b * T + sequences[i]!.length - 1) * V;
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
