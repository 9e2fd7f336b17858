/**
 * The Phi-3 builder against an independent float64 forward (fused qkv_proj and gate_up_proj, partial RoPE, LongRoPE
 * short/long tables and attention factor, sliding window), the KV cache, padding, the judge gradients against
 * finite differences, and config.json reading of real hub configs.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import type {FloatDType} from '../../source/onnx/builders/common.js';
import {buildPhi3, phi3Architecture, phi3AttentionFactor, randomPhi3Weights, type Phi3Config} from '../../source/onnx/builders/phi3.js';
import type {Tensor} from '../../source/onnx/ir.js';
import {assertClose, checkKvCache, checkPadding, checkStructure, forward, logitsOf, perturb, randomIds, segmentGradError, session, weightGradError, type DecoderIo} from '../helpers/decoder-harness.js';
import {add, attend, inverseFrequencies, linear, mul, rmsNorm, rope, rows, silu, vec, type Vec} from '../helpers/lm-reference.js';
import {phi35MiniInstruct, phi3Mini4kInstruct} from '../helpers/hub-configs.js';

/** Partial rotary (4 of 8), GQA, LongRoPE switching at 8 positions, a window of 4, untied head. */
const longConfig = (dtype: FloatDType): Phi3Config => ({
	vocabSize: 37, hiddenSize: 32, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8,
	maxPositionEmbeddings: 32, originalMaxPositionEmbeddings: 8, rmsNormEps: 1e-5, ropeTheta: 100, partialRotaryFactor: 0.5,
	ropeScaling: {type: 'longrope', shortFactor: [1, 1.5], longFactor: [3, 7]}, slidingWindow: 4, hiddenAct: 'silu',
	tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 2, padTokenId: 0, dtype,
});
/** Whole-head RoPE, no scaling, no window, tied head. */
const plainConfig = (dtype: FloatDType): Phi3Config => ({
	vocabSize: 37, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 4, headDim: 4,
	maxPositionEmbeddings: 64, originalMaxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 500, partialRotaryFactor: 1,
	hiddenAct: 'silu', tieWordEmbeddings: true, bosTokenId: 1, eosTokenId: 2, dtype,
});
const io = (c: Phi3Config): DecoderIo => ({layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim, vocab: c.vocabSize});
const weightsOf = (c: Phi3Config, seed = 1) => perturb(randomPhi3Weights(c, seed), seed + 1);

/** Phi3ForCausalLM on one sequence, from transformers' modelling code; `table` forces the LongRoPE table. */
function reference(c: Phi3Config, w: Map<string, Tensor>, ids: number[], table?: 'short' | 'long'): Vec[] {
	const W = (n: string) => rows(w.get(n)!);
	const g = (n: string) => vec(w.get(n)!);
	const s = c.ropeScaling;
	const rotaryDim = Math.floor(c.headDim * c.partialRotaryFactor);
	// transformers: long factors when max(position_ids) + 1 > original_max_position_embeddings.
	const long = table ? table === 'long' : ids.length > c.originalMaxPositionEmbeddings;
	const invFreq = inverseFrequencies(c.ropeTheta, rotaryDim, s ? (long ? s.longFactor : s.shortFactor) : undefined);
	const ratio = c.maxPositionEmbeddings / c.originalMaxPositionEmbeddings;
	const scale = !s ? 1 : (s.attentionFactor ?? (ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(c.originalMaxPositionEmbeddings))));
	const r = {headDim: c.headDim, rotaryDim, invFreq, scale};
	const qd = c.numAttentionHeads * c.headDim;
	const kvd = c.numKeyValueHeads * c.headDim;
	let h = ids.map(id => W('model.embed_tokens.weight')[id]!);
	for (let l = 0; l < c.numHiddenLayers; l++) {
		const p = `model.layers.${l}.`;
		const qkv = h.map(x => linear(rmsNorm(x, g(`${p}input_layernorm.weight`), c.rmsNormEps), W(`${p}self_attn.qkv_proj.weight`)));
		const q = qkv.map((x, t) => rope(x.slice(0, qd), t, r));
		const k = qkv.map((x, t) => rope(x.slice(qd, qd + kvd), t, r));
		const v = qkv.map(x => x.slice(qd + kvd));
		const ctx = attend(q, k, v, {heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, headDim: c.headDim, window: c.slidingWindow});
		h = h.map((x, t) => add(x, linear(ctx[t]!, W(`${p}self_attn.o_proj.weight`))));
		h = h.map(x => {
			const gu = linear(rmsNorm(x, g(`${p}post_attention_layernorm.weight`), c.rmsNormEps), W(`${p}mlp.gate_up_proj.weight`));
			const inner = mul(gu.slice(c.intermediateSize), gu.slice(0, c.intermediateSize).map(silu));
			return add(x, linear(inner, W(`${p}mlp.down_proj.weight`)));
		});
	}
	const head = W(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
	return h.map(x => linear(rmsNorm(x, g('model.norm.weight'), c.rmsNormEps), head));
}

for (const [name, config] of [['longrope', longConfig], ['plain', plainConfig]] as const) {
	test(`phi3 (${name}): float64 logits match the reference forward for lengths 3, 7 and 11`, async () => {
		const c = config('float64');
		const w = weightsOf(c);
		const s = await session(buildPhi3(c, w), 'float64');
		for (const [n, seed] of [[3, 10], [7, 11], [11, 12]] as const) {
			const ids = randomIds(n, seed, c.vocabSize);
			const out = await forward(s, io(c), 'float64', [ids]);
			const expected = reference(c, w, ids);
			assertClose(logitsOf(out.logits!), expected, 1e-9, `length ${n}`);
			assert.ok(Math.max(...expected.flat().map(Math.abs)) > 0.5, 'logits are not trivially small');
		}
		await s.release();
	});

	test(`phi3 (${name}): the KV cache gives the logits of one pass, padding leaves real positions unchanged`, async () => {
		const c = config('float64');
		const s = await session(buildPhi3(c, weightsOf(c)), 'float64');
		// 8 tokens: every position inside LongRoPE's original context, and the window of 4 spans the chunks.
		await checkKvCache(s, io(c), randomIds(8, 30, c.vocabSize), [3, 5]);
		await checkPadding(s, io(c));
		await s.release();
	});
}

test('phi3: LongRoPE switches to the long factors once max(position_ids) + 1 exceeds the original context', async () => {
	const c = longConfig('float64');
	const w = weightsOf(c);
	const s = await session(buildPhi3(c, w), 'float64');
	const ids = randomIds(11, 12, c.vocabSize);
	const logits = logitsOf((await forward(s, io(c), 'float64', [ids])).logits!);
	assertClose(logits, reference(c, w, ids, 'long'), 1e-9, 'long table');
	const short = reference(c, w, ids, 'short');
	assert.ok(Math.max(...logits.flatMap((r, i) => r.map((v, j) => Math.abs(v - short[i]![j]!)))) > 1e-3, 'the tables differ in effect');
	// At the boundary: 8 tokens (positions 0..7) stay on the short table, 9 tokens switch.
	assertClose(logitsOf((await forward(s, io(c), 'float64', [ids.slice(0, 8)])).logits!), reference(c, w, ids.slice(0, 8), 'short'), 1e-9, '8 tokens, short table');
	assertClose(logitsOf((await forward(s, io(c), 'float64', [ids.slice(0, 9)])).logits!), reference(c, w, ids.slice(0, 9), 'long'), 1e-9, '9 tokens, long table');
	assert.ok(Math.abs(phi3AttentionFactor(c) - Math.sqrt(1 + Math.log(4) / Math.log(8))) < 1e-15);
	await s.release();
});

test('phi3: float32 logits match the reference forward to 1e-4', async () => {
	const c = longConfig('float32');
	const w = weightsOf(c, 3);
	const s = await session(buildPhi3(c, w), 'float32');
	const ids = randomIds(11, 20, c.vocabSize);
	const out = await forward(s, io(c), 'float32', [ids]);
	assert.equal(out.logits!.type, 'float32');
	assertClose(logitsOf(out.logits!), reference(c, w, ids), 1e-4, 'float32');
	await s.release();
});

test('phi3: weights are the initializers themselves, fused ones split in-graph, only differentiable ops', () => {
	for (const config of [longConfig, plainConfig]) {
		const c = config('float32');
		const w = randomPhi3Weights(c, 1);
		checkStructure(buildPhi3(c, w), w, io(c), 'model.embed_tokens.weight');
	}
});

test('phi3: the judge segment gradient equals finite differences (zero baseline at target positions; mean baseline)', async () => {
	const c = longConfig('float64');
	const model = buildPhi3(c, weightsOf(c));
	const zero = await segmentGradError(model, io(c), {baseline: 'zero', targetPositions: true});
	assert.ok(zero < 1e-5, `zero baseline: worst relative error ${zero}`);
	const mean = await segmentGradError(model, io(c), {baseline: 'mean', targetPositions: false});
	assert.ok(mean < 1e-5, `mean baseline: worst relative error ${mean}`);
});

test('phi3: weight gradients through the fused qkv_proj and gate_up_proj equal finite differences', async () => {
	const c = longConfig('float64');
	const names = ['model.layers.0.self_attn.qkv_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight', 'lm_head.weight'];
	const worst = await weightGradError(buildPhi3(c, weightsOf(c)), io(c), names);
	assert.ok(worst < 1e-5, `worst relative error ${worst}`);
});

test('phi3: readConfig reads microsoft/Phi-3-mini-4k-instruct and Phi-3.5-mini-instruct (longrope)', () => {
	const mini = phi3Architecture.readConfig(phi3Mini4kInstruct, 'config.json');
	assert.deepEqual(mini, {
		padTokenId: 32000, vocabSize: 32064, hiddenSize: 3072, intermediateSize: 8192, numHiddenLayers: 32, numAttentionHeads: 32, numKeyValueHeads: 32,
		headDim: 96, maxPositionEmbeddings: 4096, originalMaxPositionEmbeddings: 4096, rmsNormEps: 1e-5, ropeTheta: 10000, partialRotaryFactor: 1,
		slidingWindow: 2047, hiddenAct: 'silu', tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 32000, dtype: 'float32',
	});
	const long = phi3Architecture.readConfig(phi35MiniInstruct, 'config.json');
	assert.equal(long.ropeScaling?.type, 'longrope');
	assert.equal(long.ropeScaling?.shortFactor.length, 48);
	assert.deepEqual(long.ropeScaling?.longFactor, (phi35MiniInstruct.rope_scaling as {long_factor: number[]}).long_factor);
	assert.equal(long.maxPositionEmbeddings, 131072);
	assert.equal(long.slidingWindow, 262144);
	// sqrt(1 + ln(131072 / 4096) / ln(4096))
	assert.ok(Math.abs(phi3AttentionFactor(long) - 1.1902380714238083) < 1e-12, `${phi3AttentionFactor(long)}`);
	const shapes = phi3Architecture.weightShapes(long);
	assert.deepEqual(shapes.get('model.layers.31.self_attn.qkv_proj.weight'), [9216, 3072]);
	assert.deepEqual(shapes.get('model.layers.0.mlp.gate_up_proj.weight'), [16384, 3072]);
	assert.equal(shapes.size, 1 + 32 * 6 + 2);
	// transformers 5 keeps the RoPE settings in rope_parameters; "su" is LongRoPE's older name.
	const {rope_scaling: scaling, rope_theta: _theta, ...rest} = phi35MiniInstruct as Record<string, unknown> & {rope_scaling: Record<string, unknown>};
	const v5 = phi3Architecture.readConfig({...rest, dtype: 'bfloat16', rope_parameters: {...scaling, type: undefined, rope_type: 'su', rope_theta: 10000, partial_rotary_factor: 1}}, 'config.json');
	assert.deepEqual({...v5, ropeScaling: {...v5.ropeScaling, type: 'longrope'}}, long);
});

test('phi3: configJson round-trips through readConfig', () => {
	for (const c of [longConfig('float64'), plainConfig('float32'), {...longConfig('float32'), ropeScaling: {type: 'su' as const, shortFactor: [1, 2], longFactor: [3, 4], attentionFactor: 1.25}}]) {
		assert.deepEqual(phi3Architecture.readConfig(phi3Architecture.configJson(c), 'config.json'), c);
	}
});

test('phi3: an unsupported config.json value is one UserError naming file and field', () => {
	const cases: [Record<string, unknown>, string][] = [
		[{rope_scaling: {type: 'dynamic', factor: 2}}, 'rope_scaling.type'],
		[{rope_scaling: {...(phi35MiniInstruct.rope_scaling as object), short_factor: [1, 2, 3]}}, 'rope_scaling.short_factor'],
		[{rope_scaling: {type: 'longrope', short_factor: 'x', long_factor: []}}, 'rope_scaling.short_factor'],
		[{hidden_act: 'relu'}, 'hidden_act'],
		[{num_key_value_heads: 5}, 'num_key_value_heads'],
		[{partial_rotary_factor: 0.01}, 'partial_rotary_factor'],
		[{sliding_window: -1}, 'sliding_window'],
		[{hidden_size: '3072'}, 'hidden_size'],
	];
	for (const [change, field] of cases) {
		assert.throws(
			() => phi3Architecture.readConfig({...phi35MiniInstruct, ...change}, '/m/config.json'),
			(e: unknown) => e instanceof UserError && e.field === field && e.file === '/m/config.json' && !e.line.includes('\n'),
			`${JSON.stringify(change).slice(0, 60)} names ${field}`,
		);
	}
});
