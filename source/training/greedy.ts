/**
 * Batched greedy decoding through a decoder graph with the Optimum interface (input_ids, attention_mask,
 * position_ids, past_key_values.* in, logits and present.* out). Contexts are left-padded, so every row's next
 * token is read at the last position; positions count real tokens only, so a padded row sees the same positions as
 * it would alone. Each step feeds one token per row and the KV cache, so a step costs one token per row, not the
 * whole sequence. Used to check that the bundled judges follow instructions (their quality figures).
 */
import type {CausalLmInterface} from '../onnx/judge-graph.js';
import {ortTensor, run, type Feeds, type OrtSession, type OrtTensor} from '../onnx/ort.js';

/** Options of greedyDecode. */
export type GreedyOptions = {
	/** End-of-sequence id: a row stops after producing it. */
	eos: number;
	/** Id put in padded positions (masked out, so any valid id). */
	pad: number;
	/** Most tokens generated per row. */
	maxNewTokens: number;
};

/** One row's output. */
export type GreedyResult = {
	/** Generated ids, without the final eos. */
	ids: number[];
	/** Whether the row produced eos within maxNewTokens. */
	stopped: boolean;
};

/** Greedy continuations of `contexts` (token ids), decoded together. */
export async function greedyDecode(session: OrtSession, info: CausalLmInterface, contexts: readonly (readonly number[])[], options: GreedyOptions): Promise<GreedyResult[]> {
	const batch = contexts.length;
	const width = Math.max(...contexts.map(c => c.length));
	const ids = new BigInt64Array(batch * width).fill(BigInt(options.pad));
	let mask: number[] = new Array<number>(batch * width).fill(0);
	const positions = new BigInt64Array(batch * width);
	const next = new Array<number>(batch).fill(0);
	contexts.forEach((c, r) => {
		const offset = width - c.length;
		c.forEach((id, i) => {
			ids[r * width + offset + i] = BigInt(id);
			mask[r * width + offset + i] = 1;
			positions[r * width + offset + i] = BigInt(i);
		});
		next[r] = c.length;
	});
	const results: GreedyResult[] = contexts.map(() => ({ids: [], stopped: false}));
	let past: Record<string, OrtTensor> = {};
	for (const p of info.pastInputs) past[p.name] = ortTensor(p.dtype, new Float32Array(0), [batch, p.heads, 0, p.headDim]);
	let feedIds = ids;
	let feedPositions = positions;
	let length = width;
	let total = width;
	for (let step = 0; step < options.maxNewTokens; step++) {
		const feeds: Feeds = {
			input_ids: ortTensor('int64', feedIds, [batch, length]),
			attention_mask: ortTensor('int64', BigInt64Array.from(mask, BigInt), [batch, total]),
			...past,
		};
		if (info.hasPositionIds) feeds.position_ids = ortTensor('int64', feedPositions, [batch, length]);
		const out = await run(session, feeds);
		const logits = out.logits!.data as Float32Array;
		const vocab = logits.length / (batch * length);
		const chosen = new BigInt64Array(batch);
		for (let r = 0; r < batch; r++) {
			const at = (r * length + length - 1) * vocab;
			let best = 0;
			for (let v = 1; v < vocab; v++) if (logits[at + v]! > logits[at + best]!) best = v;
			const result = results[r]!;
			if (!result.stopped) {
				if (best === options.eos) result.stopped = true;
				else result.ids.push(best);
			}
			chosen[r] = BigInt(result.stopped ? options.pad : best);
		}
		if (results.every(r => r.stopped)) break;
		past = {};
		for (const p of info.pastInputs) past[p.name] = out[p.name.replace('past_key_values.', 'present.')]!;
		// The new token is real for every row (a stopped row's padding only feeds a result nobody reads).
		const grown: number[] = [];
		for (let r = 0; r < batch; r++) grown.push(...mask.slice(r * total, (r + 1) * total), 1);
		mask = grown;
		total += 1;
		feedIds = chosen;
		feedPositions = BigInt64Array.from(next, BigInt);
		for (let r = 0; r < batch; r++) next[r] = next[r]! + 1;
		length = 1;
	}
	return results;
}
