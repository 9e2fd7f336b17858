/**
 * The Llama builder's variants (Qwen2 q/k/v biases, Llama attention and MLP biases, Qwen3 q/k norm with an explicit
 * head_dim, Llama 3 and linear RoPE scaling, Mistral and Qwen sliding windows) against a float64 reference forward
 * written from the transformers modelling code, plus the structural equivalences they must keep.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {seededRandom} from '../../source/onnx/builders/common.js';
import {buildLlama, randomLlamaWeights, ropeInverseFrequencies, type LlamaConfig} from '../../source/onnx/builders/llama.js';
import {tensorOf, type Tensor} from '../../source/onnx/ir.js';
import {createSession, ortTensor, run, type OrtSession, type OrtTensor} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {referenceInvFreq, referenceLlamaLogits} from '../helpers/llama-reference.js';

const base: LlamaConfig = {
	vocabSize: 37, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
	maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 500, tieWordEmbeddings: false, bosTokenId: 0, eosTokenId: 1, dtype: 'float64',
};

const VARIANTS: Record<string, Partial<LlamaConfig>> = {
	'qwen2 q/k/v biases': {attentionBias: 'qkv'},
	'llama attention and MLP biases, tied head': {attentionBias: 'qkvo', mlpBias: true, tieWordEmbeddings: true},
	'qwen3 q/k norm, head_dim 6 != 16 / 4': {qkNorm: true, headDim: 6},
	'llama3 RoPE scaling, head_dim 8': {headDim: 8, ropeScaling: {type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32}},
	'linear RoPE scaling': {ropeScaling: {type: 'linear', factor: 2.5}},
	'mistral sliding window 3 on every layer': {slidingWindow: 3},
	'qwen sliding window 2 on layer 1 only': {slidingWindow: 2, slidingLayers: [1]},
};

/** HF init is trivial (zero biases, unit norms): perturb every weight so mistakes show. */
function perturbed(config: LlamaConfig, seed: number): Map<string, Tensor> {
	const r = seededRandom(seed + 100);
	return new Map([...randomLlamaWeights(config, seed)].map(([k, t]) => [k, tensorOf(t.dtype, t.dims, Array.from(t.data as Float64Array, v => v + 0.5 * (2 * r() - 1)))]));
}

const ints = (rowsOf: number[][]): OrtTensor => ortTensor('int64', BigInt64Array.from(rowsOf.flat(), BigInt), [rowsOf.length, rowsOf[0]!.length]);
const randomIds = (n: number, seed: number): number[] => {
	const r = seededRandom(seed);
	return Array.from({length: n}, () => Math.floor(r() * 37));
};

async function logits(s: OrtSession, config: LlamaConfig, ids: number[], past?: Record<string, OrtTensor>, pastLength = 0): Promise<{rows: number[][]; out: Record<string, OrtTensor>}> {
	const hd = config.headDim ?? config.hiddenSize / config.numAttentionHeads;
	const feeds: Record<string, OrtTensor> = {
		input_ids: ints([ids]),
		attention_mask: ints([new Array<number>(pastLength + ids.length).fill(1)]),
		position_ids: ints([ids.map((_, i) => pastLength + i)]),
	};
	for (let i = 0; i < config.numHiddenLayers; i++) {
		for (const kind of ['key', 'value']) {
			feeds[`past_key_values.${i}.${kind}`] = past?.[`present.${i}.${kind}`] ?? ortTensor('float64', new Float64Array(0), [1, config.numKeyValueHeads, 0, hd]);
		}
	}
	const out = await run(s, feeds);
	const flat = Array.from(out.logits!.data as Float64Array);
	const V = config.vocabSize;
	return {rows: Array.from({length: ids.length}, (_, t) => flat.slice(t * V, (t + 1) * V)), out};
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i]![j]!))));

for (const [name, extra] of Object.entries(VARIANTS)) {
	test(`llama builder, ${name}: float64 logits match the transformers reference, with and without the KV cache`, async () => {
		const config = {...base, ...extra};
		const weights = perturbed(config, 7);
		const s = await createSession(encodeModel(buildLlama(config, weights)), {optimization: 'basic'});
		const ids = randomIds(9, 3);
		const whole = await logits(s, config, ids);
		const expected = referenceLlamaLogits(config, weights, ids);
		assert.ok(maxDiff(whole.rows, expected) < 1e-9, `max difference ${maxDiff(whole.rows, expected)}`);
		let past: Record<string, OrtTensor> | undefined;
		for (const [from, to] of [[0, 4], [4, 6], [6, 9]] as const) {
			const part = await logits(s, config, ids.slice(from, to), past, from);
			assert.ok(maxDiff(part.rows, expected.slice(from, to)) < 1e-9, `tokens ${from}..${to} through the cache`);
			past = part.out;
		}
		await s.release();
	});
}

test('llama3 RoPE scaling: the frequencies fall in all three bands, and factor 1 equals no scaling', async () => {
	const scaled = {...base, ...VARIANTS['llama3 RoPE scaling, head_dim 8']} as LlamaConfig;
	const inv = ropeInverseFrequencies(scaled);
	const plain = ropeInverseFrequencies({...scaled, ropeScaling: undefined});
	assert.deepEqual(inv.map((f, i) => (f === plain[i] ? 'kept' : Math.abs(f - plain[i]! / 8) < 1e-15 ? 'divided' : 'smoothed')), ['kept', 'smoothed', 'divided', 'divided']);
	inv.forEach((f, i) => assert.ok(Math.abs(f - referenceInvFreq(scaled)[i]!) < 1e-15));
	const one = {...scaled, ropeScaling: {type: 'llama3' as const, factor: 1, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32}};
	const weights = perturbed(one, 9);
	const ids = randomIds(8, 4);
	const a = await logits(await createSession(encodeModel(buildLlama(one, weights)), {optimization: 'basic'}), one, ids);
	const b = await logits(await createSession(encodeModel(buildLlama({...one, ropeScaling: undefined}, weights)), {optimization: 'basic'}), one, ids);
	assert.ok(maxDiff(a.rows, b.rows) < 1e-12);
});

test('structural equivalences: zero q/k/v biases equal no biases; a window as long as the text equals none; q/k norm makes heads scale-free', async () => {
	const ids = randomIds(9, 5);
	const run1 = async (config: LlamaConfig, weights: Map<string, Tensor>) => (await logits(await createSession(encodeModel(buildLlama(config, weights)), {optimization: 'basic'}), config, ids)).rows;
	const plain = perturbed(base, 11);
	const biased = {...base, attentionBias: 'qkv' as const};
	const zeroBiases = new Map(plain);
	for (const [k, dims] of [...randomLlamaWeights(biased, 1)].filter(([k]) => k.endsWith('.bias')).map(([k, t]) => [k, t.dims] as const)) zeroBiases.set(k, tensorOf('float64', dims, new Array(dims[0]).fill(0)));
	assert.ok(maxDiff(await run1(biased, zeroBiases), await run1(base, plain)) < 1e-12, 'zero biases');
	assert.ok(maxDiff(await run1({...base, slidingWindow: 9}, plain), await run1(base, plain)) < 1e-12, 'window = text length');
	assert.ok(maxDiff(await run1({...base, slidingWindow: 3}, plain), await run1(base, plain)) > 1e-3, 'a shorter window changes the logits');
	// RMSNorm per head is scale invariant: scaling q_proj and k_proj changes plain Llama but not Qwen3.
	const qk = {...base, qkNorm: true, rmsNormEps: 1e-15}; // eps alone breaks the invariance
	const w = perturbed(qk, 12);
	const scaled = new Map([...w].map(([k, t]) => [k, /[qk]_proj\.weight$/.test(k) ? tensorOf('float64', t.dims, Array.from(t.data as Float64Array, v => 3 * v)) : t]));
	assert.ok(maxDiff(await run1(qk, scaled), await run1(qk, w)) < 1e-9, 'qwen3 ignores the scale of q and k');
	const noNorm = new Map([...w].filter(([k]) => !k.includes('_norm.')));
	const noNormScaled = new Map([...scaled].filter(([k]) => !k.includes('_norm.')));
	assert.ok(maxDiff(await run1(base, noNormScaled), await run1(base, noNorm)) > 1e-3, 'plain llama does not');
});
