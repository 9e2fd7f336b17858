/**
 * The Gemma and Gemma 2 builders against an independent float64 forward (scaled embedding, 1 + w RMSNorm, GeGLU,
 * explicit head_dim; Gemma 2's extra norms, query_pre_attn_scalar, attention and final soft-capping, sliding window
 * on alternate layers), the KV cache, padding, the judge gradients against finite differences, and config.json
 * reading of google/gemma-2b and google/gemma-2-2b.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import type {FloatDType} from '../../source/onnx/builders/common.js';
import {buildGemma, gemma2Architecture, gemmaArchitecture, gemmaEmbedScale, randomGemmaWeights, type Gemma2Config, type GemmaConfig} from '../../source/onnx/builders/gemma.js';
import {isGemma2} from '../../source/onnx/builders/gemma-config.js';
import type {Tensor} from '../../source/onnx/ir.js';
import {assertClose, checkKvCache, checkPadding, checkStructure, forward, logitsOf, perturb, randomIds, segmentGradError, session, weightGradError, type DecoderIo} from '../helpers/decoder-harness.js';
import {gemma22b, gemma2b} from '../helpers/hub-configs.js';
import {add, attend, geluTanh, inverseFrequencies, linear, mul, rmsNorm, rope, rows, vec, type Vec} from '../helpers/lm-reference.js';

/** Gemma: 2 query heads of 8 on a hidden size of 24 (heads * head_dim != hidden), multi-query attention, tied head. */
const gemmaConfig = (dtype: FloatDType): GemmaConfig => ({
	vocabSize: 37, hiddenSize: 24, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 8,
	maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 100, hiddenActivation: 'gelu_pytorch_tanh', tieWordEmbeddings: true,
	bosTokenId: 2, eosTokenId: 1, padTokenId: 0, dtype,
});
/** Gemma 2: GQA, layers 0 and 2 sliding with a window of 3, small soft caps so they matter, untied head. */
const gemma2Config = (dtype: FloatDType): Gemma2Config => ({
	vocabSize: 37, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 3, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 6,
	maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 100, hiddenActivation: 'gelu_pytorch_tanh', tieWordEmbeddings: false,
	bosTokenId: 2, eosTokenId: 1, padTokenId: 0, dtype, queryPreAttnScalar: 10, attnLogitSoftcapping: 1.5, finalLogitSoftcapping: 2.5,
	slidingWindow: 3, layerTypes: ['sliding_attention', 'full_attention', 'sliding_attention'],
});
const io = (c: GemmaConfig): DecoderIo => ({layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim, vocab: c.vocabSize});
const weightsOf = (c: GemmaConfig, seed = 1) => perturb(randomGemmaWeights(c, seed), seed + 1);

/** sqrt(hidden) as transformers holds it: a float32 buffer, cast to bfloat16 for a bfloat16 model. */
function embedScale(c: GemmaConfig): number {
	const f = new Float32Array([Math.sqrt(c.hiddenSize)]);
	if (c.embedScaleDtype !== 'bfloat16') {
		return f[0]!;
	}
	const bits = new Uint32Array(f.buffer);
	const lsb = (bits[0]! >>> 16) & 1;
	bits[0] = ((bits[0]! + 0x7fff + lsb) >>> 16) << 16; // round to nearest even on the upper 16 bits
	return f[0]!;
}

/** GemmaForCausalLM / Gemma2ForCausalLM on one sequence, from transformers' modelling code. */
function reference(c: GemmaConfig, w: Map<string, Tensor>, ids: number[]): Vec[] {
	const W = (n: string) => rows(w.get(n)!);
	const norm = (x: Vec, n: string) => rmsNorm(x, vec(w.get(n)!), c.rmsNormEps, true);
	const g2 = isGemma2(c) ? c : undefined;
	const r = {headDim: c.headDim, rotaryDim: c.headDim, invFreq: inverseFrequencies(c.ropeTheta, c.headDim)};
	const scale = embedScale(c);
	let h = ids.map(id => W('model.embed_tokens.weight')[id]!.map(v => v * scale));
	for (let l = 0; l < c.numHiddenLayers; l++) {
		const p = `model.layers.${l}.`;
		const a = h.map(x => norm(x, `${p}input_layernorm.weight`));
		const q = a.map((x, t) => rope(linear(x, W(`${p}self_attn.q_proj.weight`)), t, r));
		const k = a.map((x, t) => rope(linear(x, W(`${p}self_attn.k_proj.weight`)), t, r));
		const v = a.map(x => linear(x, W(`${p}self_attn.v_proj.weight`)));
		const ctx = attend(q, k, v, {
			heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, headDim: c.headDim,
			scale: g2 ? g2.queryPreAttnScalar ** -0.5 : undefined,
			softcap: g2?.attnLogitSoftcapping,
			window: g2?.layerTypes[l] === 'sliding_attention' ? g2.slidingWindow : undefined,
		});
		h = h.map((x, t) => {
			const o = linear(ctx[t]!, W(`${p}self_attn.o_proj.weight`));
			return add(x, g2 ? norm(o, `${p}post_attention_layernorm.weight`) : o);
		});
		h = h.map(x => {
			const m = norm(x, g2 ? `${p}pre_feedforward_layernorm.weight` : `${p}post_attention_layernorm.weight`);
			const f = linear(mul(linear(m, W(`${p}mlp.gate_proj.weight`)).map(geluTanh), linear(m, W(`${p}mlp.up_proj.weight`))), W(`${p}mlp.down_proj.weight`));
			return add(x, g2 ? norm(f, `${p}post_feedforward_layernorm.weight`) : f);
		});
	}
	const head = W(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
	const cap = g2?.finalLogitSoftcapping;
	return h.map(x => linear(norm(x, 'model.norm.weight'), head).map(z => (cap === undefined ? z : cap * Math.tanh(z / cap))));
}

const FAMILIES = [
	['gemma', gemmaConfig],
	['gemma2', gemma2Config],
	['gemma (bfloat16 checkpoint)', (dtype: FloatDType): GemmaConfig => ({...gemmaConfig(dtype), embedScaleDtype: 'bfloat16'})],
] as const;

for (const [name, config] of FAMILIES) {
	test(`${name}: float64 logits match the reference forward for lengths 3, 7 and 11`, async () => {
		const c = config('float64');
		const w = weightsOf(c);
		const s = await session(buildGemma(c, w), 'float64');
		for (const [n, seed] of [[3, 10], [7, 11], [11, 12]] as const) {
			const ids = randomIds(n, seed, c.vocabSize);
			const expected = reference(c, w, ids);
			assertClose(logitsOf((await forward(s, io(c), 'float64', [ids])).logits!), expected, 1e-9, `length ${n}`);
			assert.ok(Math.max(...expected.flat().map(Math.abs)) > 0.5, 'logits are not trivially small');
		}
		await s.release();
	});
}

for (const [name, config] of FAMILIES.slice(0, 2)) {
	test(`${name}: the KV cache gives the logits of one pass, padding leaves real positions unchanged`, async () => {
		const c = config('float64');
		const s = await session(buildGemma(c, weightsOf(c)), 'float64');
		await checkKvCache(s, io(c), randomIds(11, 30, c.vocabSize), [4, 7]);
		await checkPadding(s, io(c));
		await s.release();
	});

	test(`${name}: float32 logits match the reference forward to 1e-4`, async () => {
		const c = config('float32');
		const w = weightsOf(c, 3);
		const s = await session(buildGemma(c, w), 'float32');
		const ids = randomIds(9, 20, c.vocabSize);
		assertClose(logitsOf((await forward(s, io(c), 'float32', [ids])).logits!), reference(c, w, ids), 1e-4, 'float32');
		await s.release();
	});

	test(`${name}: weights are the initializers themselves, the scale after the lookup, only differentiable ops`, () => {
		const c = config('float32');
		const w = randomGemmaWeights(c, 1);
		const model = buildGemma(c, w);
		checkStructure(model, w, io(c), 'model.embed_tokens.weight');
		// The judge masks the Gather output; the sqrt(hidden) scale must come after it, as in transformers.
		const gather = model.graph.nodes.find(n => n.op === 'Gather' && n.inputs[1] === 'input_ids')!;
		const readers = model.graph.nodes.filter(n => n.inputs.includes(gather.outputs[0]!));
		assert.deepEqual(readers.map(n => n.op), ['Mul']);
	});
}

test('gemma and gemma2: the judge segment gradient equals finite differences', async () => {
	const g1 = gemmaConfig('float64');
	const e1 = await segmentGradError(buildGemma(g1, weightsOf(g1)), io(g1), {baseline: 'zero', targetPositions: true});
	assert.ok(e1 < 1e-5, `gemma: worst relative error ${e1}`);
	// Gemma 2's final soft cap puts elementwise ops after the head: the full-width head is used.
	const g2 = gemma2Config('float64');
	const e2 = await segmentGradError(buildGemma(g2, weightsOf(g2)), io(g2), {baseline: 'mean', targetPositions: false});
	assert.ok(e2 < 1e-5, `gemma2: worst relative error ${e2}`);
});

test('gemma2: weight gradients (embedding, head, norms, projections) equal finite differences', async () => {
	const c = gemma2Config('float64');
	const names = ['model.embed_tokens.weight', 'lm_head.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.post_feedforward_layernorm.weight', 'model.layers.2.mlp.gate_proj.weight'];
	const worst = await weightGradError(buildGemma(c, weightsOf(c)), io(c), names);
	assert.ok(worst < 1e-5, `worst relative error ${worst}`);
});

test('gemma: readConfig reads google/gemma-2b (bfloat16, hidden_act "gelu" meaning the tanh GELU)', () => {
	const c = gemmaArchitecture.readConfig(gemma2b, 'config.json');
	assert.deepEqual(c, {
		padTokenId: 0, vocabSize: 256000, hiddenSize: 2048, intermediateSize: 16384, numHiddenLayers: 18, numAttentionHeads: 8, numKeyValueHeads: 1,
		headDim: 256, maxPositionEmbeddings: 8192, rmsNormEps: 1e-6, ropeTheta: 10000, hiddenActivation: 'gelu_pytorch_tanh', tieWordEmbeddings: true,
		bosTokenId: 2, eosTokenId: 1, dtype: 'float32', embedScaleDtype: 'bfloat16',
	});
	assert.equal(gemmaEmbedScale(c), 45.25);
	assert.equal(gemmaEmbedScale({...c, embedScaleDtype: undefined}), Math.fround(Math.sqrt(2048)));
	assert.equal(gemmaEmbedScale({...c, embedScaleDtype: 'float16'}), 45.25);
	assert.equal(gemmaEmbedScale({...c, hiddenSize: 3072}), 55.5, 'transformers notes sqrt(3072) = 55.4256 becomes 55.5 in bfloat16');
	assert.equal(gemmaArchitecture.readConfig({...gemma2b, hidden_activation: 'gelu'}, 'config.json').hiddenActivation, 'gelu');
	const shapes = gemmaArchitecture.weightShapes(c);
	assert.deepEqual(shapes.get('model.layers.0.self_attn.q_proj.weight'), [2048, 2048]);
	assert.deepEqual(shapes.get('model.layers.0.self_attn.k_proj.weight'), [256, 2048]);
	assert.equal(shapes.has('lm_head.weight'), false);
});

test('gemma2: readConfig reads google/gemma-2-2b; null switches a feature off', () => {
	const c = gemma2Architecture.readConfig(gemma22b, 'config.json');
	assert.deepEqual(c, {
		padTokenId: 0, vocabSize: 256000, hiddenSize: 2304, intermediateSize: 9216, numHiddenLayers: 26, numAttentionHeads: 8, numKeyValueHeads: 4,
		headDim: 256, maxPositionEmbeddings: 8192, rmsNormEps: 1e-6, ropeTheta: 10000, hiddenActivation: 'gelu_pytorch_tanh', tieWordEmbeddings: true,
		bosTokenId: 2, eosTokenId: 1, dtype: 'float32', queryPreAttnScalar: 256, attnLogitSoftcapping: 50, finalLogitSoftcapping: 30,
		slidingWindow: 4096, layerTypes: Array.from({length: 26}, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
	});
	assert.equal(gemmaEmbedScale(c), 48);
	assert.deepEqual(gemma2Architecture.weightShapes(c).get('model.layers.25.post_feedforward_layernorm.weight'), [2304]);
	const off = gemma2Architecture.readConfig({...gemma22b, final_logit_softcapping: null, attn_logit_softcapping: null, sliding_window: null}, 'config.json');
	assert.equal('finalLogitSoftcapping' in off || 'attnLogitSoftcapping' in off || 'slidingWindow' in off, false);
	const types = ['full_attention', ...Array<string>(25).fill('sliding_attention')];
	assert.deepEqual(gemma2Architecture.readConfig({...gemma22b, layer_types: types}, 'config.json').layerTypes, types);
});

test('gemma and gemma2: configJson round-trips through readConfig', () => {
	for (const c of [gemmaConfig('float64'), {...gemmaConfig('float32'), embedScaleDtype: 'bfloat16' as const}]) {
		assert.deepEqual(gemmaArchitecture.readConfig(gemmaArchitecture.configJson(c), 'config.json'), c);
	}
	const {attnLogitSoftcapping: _a, slidingWindow: _s, ...uncapped} = gemma2Config('float32');
	for (const c of [gemma2Config('float64'), uncapped]) {
		assert.deepEqual(gemma2Architecture.readConfig(gemma2Architecture.configJson(c), 'config.json'), c);
	}
});

test('gemma and gemma2: an unsupported config.json value is one UserError naming file and field', () => {
	const cases: [typeof gemmaArchitecture | typeof gemma2Architecture, Record<string, unknown>, string][] = [
		[gemmaArchitecture, {...gemma2b, attention_bias: true}, 'attention_bias'],
		[gemmaArchitecture, {...gemma2b, hidden_activation: 'relu'}, 'hidden_activation'],
		[gemmaArchitecture, {...gemma2b, rope_scaling: {type: 'linear', factor: 2}}, 'rope_scaling.type'],
		[gemmaArchitecture, {...gemma2b, num_key_value_heads: 3}, 'num_key_value_heads'],
		[gemmaArchitecture, {...gemma2b, head_dim: 255}, 'head_dim'],
		[gemma2Architecture, {...gemma22b, layer_types: ['sliding_attention']}, 'layer_types'],
		[gemma2Architecture, {...gemma22b, sliding_window: 10.5}, 'sliding_window'],
		[gemma2Architecture, {...gemma22b, final_logit_softcapping: 'thirty'}, 'final_logit_softcapping'],
		[gemma2Architecture, {...gemma22b, use_bidirectional_attention: true}, 'use_bidirectional_attention'],
	];
	for (const [arch, json, field] of cases) {
		assert.throws(
			() => arch.readConfig(json, '/m/config.json'),
			(e: unknown) => e instanceof UserError && e.field === field && e.file === '/m/config.json' && !e.line.includes('\n'),
			`names ${field}`,
		);
	}
});
