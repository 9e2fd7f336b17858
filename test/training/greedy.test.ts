import assert from 'node:assert/strict';
import {test} from 'node:test';
import {inspectCausalLm} from '../../source/onnx/judge-graph.js';
import {createSession, ortTensor, release, run, type Feeds, type OrtSession} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {greedyDecode} from '../../source/training/greedy.js';
import {buildModel, initialWeights, type ModelSpec} from '../../source/training/train-graph.js';
import type {CausalLmInterface} from '../../source/onnx/judge-graph.js';

const VOCAB = 50;
const specs: ModelSpec[] = [
	{
		family: 'llama',
		config: {vocabSize: VOCAB, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true, bosTokenId: 0, eosTokenId: 0, dtype: 'float32'},
	},
	{family: 'gpt2', config: {vocabSize: VOCAB, nPositions: 32, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: 0, eosTokenId: 0, dtype: 'float32'}},
];

/** Greedy decoding the slow way: one row at a time, the whole sequence every step, no cache, no padding. */
async function naive(session: OrtSession, info: CausalLmInterface, context: readonly number[], eos: number, max: number): Promise<number[]> {
	const seq = [...context];
	const out: number[] = [];
	for (let k = 0; k < max; k++) {
		const n = seq.length;
		const feeds: Feeds = {
			input_ids: ortTensor('int64', BigInt64Array.from(seq, BigInt), [1, n]),
			attention_mask: ortTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
			position_ids: ortTensor('int64', BigInt64Array.from(seq, (_, i) => BigInt(i)), [1, n]),
		};
		for (const p of info.pastInputs) feeds[p.name] = ortTensor('float32', new Float32Array(0), [1, p.heads, 0, p.headDim]);
		const logits = (await run(session, feeds)).logits!.data as Float32Array;
		let best = 0;
		for (let v = 1; v < VOCAB; v++) if (logits[(n - 1) * VOCAB + v]! > logits[(n - 1) * VOCAB + best]!) best = v;
		if (best === eos) break;
		out.push(best);
		seq.push(best);
	}
	return out;
}

test('batched greedy decoding with left padding and a KV cache equals row-by-row decoding', async () => {
	const contexts = [[1, 5, 9, 10, 20], [3], [7, 7, 7, 7, 7, 7, 7, 8, 2], [4, 11]];
	for (const spec of specs) {
		const model = buildModel(spec, initialWeights(spec, 5));
		// Larger weights than the init so the argmax changes from step to step instead of repeating one token.
		for (const t of model.graph.initializers.values()) if (t.dims.length === 2) (t.data as Float32Array).forEach((x, i, a) => (a[i] = x * 40));
		const info = inspectCausalLm(model);
		const session = await createSession(encodeModel(model));
		try {
			for (const eos of [0, 13]) {
				const got = await greedyDecode(session, info, contexts, {eos, pad: 0, maxNewTokens: 7});
				for (const [i, c] of contexts.entries()) {
					const want = await naive(session, info, c, eos, 7);
					assert.deepEqual(got[i]!.ids, want, `${spec.family} row ${i}`);
					assert.equal(got[i]!.stopped, want.length < 7);
				}
			}
		} finally {
			await release(session);
		}
	}
});
