/**
 * The GPT-NeoX builder against an independent float64 forward (per-head interleaved query_key_value, partial
 * rotary, parallel and sequential residual, exact GELU, untied embed_out), the KV cache, padding, the judge
 * gradients against finite differences, and config.json reading of EleutherAI/pythia-160m.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import type {FloatDType} from '../../source/onnx/builders/common.js';
import {buildGptNeox, gptNeoxArchitecture, gptNeoxRotaryDim, randomGptNeoxWeights, type GptNeoxConfig} from '../../source/onnx/builders/gpt-neox.js';
import type {Tensor} from '../../source/onnx/ir.js';
import {assertClose, checkKvCache, checkPadding, checkStructure, forward, logitsOf, perturb, randomIds, segmentGradError, session, weightGradError, type DecoderIo} from '../helpers/decoder-harness.js';
import {pythia160m} from '../helpers/hub-configs.js';
import {add, attend, geluErf, geluTanh, inverseFrequencies, layerNorm, linear, rope, rows, vec, type Vec} from '../helpers/lm-reference.js';

/** Pythia-like: parallel residual, a quarter of each head rotated, biases, exact GELU, untied head. */
const parallelConfig = (dtype: FloatDType): GptNeoxConfig => ({
	vocabSize: 37, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, rotaryPct: 0.25, rotaryEmbBase: 100,
	maxPositionEmbeddings: 64, layerNormEps: 1e-5, useParallelResidual: true, attentionBias: true, hiddenAct: 'gelu', tieWordEmbeddings: false,
	bosTokenId: 0, eosTokenId: 0, dtype,
});
/** Sequential residual, half of each head rotated, no attention biases, tanh GELU, tied head. */
const sequentialConfig = (dtype: FloatDType): GptNeoxConfig => ({
	vocabSize: 37, hiddenSize: 16, intermediateSize: 40, numHiddenLayers: 2, numAttentionHeads: 2, rotaryPct: 0.5, rotaryEmbBase: 10000,
	maxPositionEmbeddings: 64, layerNormEps: 1e-5, useParallelResidual: false, attentionBias: false, hiddenAct: 'gelu_new', tieWordEmbeddings: true,
	bosTokenId: 0, eosTokenId: 2, padTokenId: 1, dtype,
});
const headDim = (c: GptNeoxConfig) => c.hiddenSize / c.numAttentionHeads;
const io = (c: GptNeoxConfig): DecoderIo => ({layers: c.numHiddenLayers, kvHeads: c.numAttentionHeads, headDim: headDim(c), vocab: c.vocabSize});
const weightsOf = (c: GptNeoxConfig, seed = 1) => perturb(randomGptNeoxWeights(c, seed), seed + 1);

/** GPTNeoXForCausalLM on one sequence, from transformers' modelling code. */
function reference(c: GptNeoxConfig, w: Map<string, Tensor>, ids: number[]): Vec[] {
	const W = (n: string) => rows(w.get(n)!);
	const g = (n: string) => vec(w.get(n)!);
	const bias = (n: string) => (w.has(n) ? g(n) : undefined);
	const hd = headDim(c);
	const rotaryDim = Math.floor(hd * c.rotaryPct);
	const r = {headDim: hd, rotaryDim, invFreq: inverseFrequencies(c.rotaryEmbBase, rotaryDim)};
	const act = c.hiddenAct === 'gelu' ? geluErf : geluTanh;
	const ln = (x: Vec, p: string) => layerNorm(x, g(`${p}.weight`), g(`${p}.bias`), c.layerNormEps);
	const mlp = (x: Vec, p: string) => linear(linear(x, W(`${p}mlp.dense_h_to_4h.weight`), g(`${p}mlp.dense_h_to_4h.bias`)).map(act), W(`${p}mlp.dense_4h_to_h.weight`), g(`${p}mlp.dense_4h_to_h.bias`));
	// query_key_value rows are grouped by head: [q_h, k_h, v_h] for head h, each of head_dim.
	const part = (x: Vec, which: number) => Array.from({length: c.numAttentionHeads}, (_, h) => x.slice((3 * h + which) * hd, (3 * h + which + 1) * hd)).flat();
	let h = ids.map(id => W('gpt_neox.embed_in.weight')[id]!);
	for (let l = 0; l < c.numHiddenLayers; l++) {
		const p = `gpt_neox.layers.${l}.`;
		const qkv = h.map(x => linear(ln(x, `${p}input_layernorm`), W(`${p}attention.query_key_value.weight`), bias(`${p}attention.query_key_value.bias`)));
		const q = qkv.map((x, t) => rope(part(x, 0), t, r));
		const k = qkv.map((x, t) => rope(part(x, 1), t, r));
		const ctx = attend(q, k, qkv.map(x => part(x, 2)), {heads: c.numAttentionHeads, kvHeads: c.numAttentionHeads, headDim: hd});
		const attn = ctx.map(x => linear(x, W(`${p}attention.dense.weight`), bias(`${p}attention.dense.bias`)));
		h = h.map((x, t) => {
			if (c.useParallelResidual) {
				return add(add(mlp(ln(x, `${p}post_attention_layernorm`), p), attn[t]!), x);
			}
			const y = add(attn[t]!, x);
			return add(mlp(ln(y, `${p}post_attention_layernorm`), p), y);
		});
	}
	const head = W(c.tieWordEmbeddings ? 'gpt_neox.embed_in.weight' : 'embed_out.weight');
	return h.map(x => linear(ln(x, 'gpt_neox.final_layer_norm'), head));
}

for (const [name, config] of [['parallel residual', parallelConfig], ['sequential residual', sequentialConfig]] as const) {
	test(`gpt_neox (${name}): float64 logits match the reference forward for lengths 3, 7 and 11`, async () => {
		const c = config('float64');
		const w = weightsOf(c);
		const s = await session(buildGptNeox(c, w), 'float64');
		for (const [n, seed] of [[3, 10], [7, 11], [11, 12]] as const) {
			const ids = randomIds(n, seed, c.vocabSize);
			const expected = reference(c, w, ids);
			assertClose(logitsOf((await forward(s, io(c), 'float64', [ids])).logits!), expected, 1e-9, `length ${n}`);
			assert.ok(Math.max(...expected.flat().map(Math.abs)) > 0.5, 'logits are not trivially small');
		}
		await s.release();
	});

	test(`gpt_neox (${name}): the KV cache gives the logits of one pass, padding leaves real positions unchanged`, async () => {
		const c = config('float64');
		const s = await session(buildGptNeox(c, weightsOf(c)), 'float64');
		await checkKvCache(s, io(c), randomIds(11, 30, c.vocabSize), [4, 5]);
		await checkPadding(s, io(c));
		await s.release();
	});

	test(`gpt_neox (${name}): weights are the initializers themselves, the fused qkv split in-graph, only differentiable ops`, () => {
		for (const dtype of ['float32', 'float64'] as const) {
			const c = config(dtype);
			const w = randomGptNeoxWeights(c, 1);
			checkStructure(buildGptNeox(c, w), w, io(c), 'gpt_neox.embed_in.weight');
		}
	});
}

test('gpt_neox: float32 logits match the reference forward to 1e-4', async () => {
	const c = parallelConfig('float32');
	const w = weightsOf(c, 3);
	const s = await session(buildGptNeox(c, w), 'float32');
	const ids = randomIds(9, 20, c.vocabSize);
	assertClose(logitsOf((await forward(s, io(c), 'float32', [ids])).logits!), reference(c, w, ids), 1e-4, 'float32');
	await s.release();
});

test('gpt_neox: the judge segment gradient equals finite differences (both residual forms)', async () => {
	const p = parallelConfig('float64');
	const e1 = await segmentGradError(buildGptNeox(p, weightsOf(p)), io(p), {baseline: 'zero', targetPositions: true});
	assert.ok(e1 < 1e-5, `parallel: worst relative error ${e1}`);
	const s = sequentialConfig('float64');
	const e2 = await segmentGradError(buildGptNeox(s, weightsOf(s)), io(s), {baseline: 'mean', targetPositions: false});
	assert.ok(e2 < 1e-5, `sequential: worst relative error ${e2}`);
});

test('gpt_neox: weight gradients through the fused query_key_value (weight and bias) equal finite differences', async () => {
	const c = parallelConfig('float64');
	const names = ['gpt_neox.layers.0.attention.query_key_value.weight', 'gpt_neox.layers.1.attention.query_key_value.bias', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight', 'embed_out.weight'];
	const worst = await weightGradError(buildGptNeox(c, weightsOf(c)), io(c), names);
	assert.ok(worst < 1e-5, `worst relative error ${worst}`);
});

test('gpt_neox: readConfig reads EleutherAI/pythia-160m (and the transformers 5 form of its RoPE settings)', () => {
	const c = gptNeoxArchitecture.readConfig(pythia160m, 'config.json');
	assert.deepEqual(c, {
		vocabSize: 50304, hiddenSize: 768, intermediateSize: 3072, numHiddenLayers: 12, numAttentionHeads: 12, rotaryPct: 0.25, rotaryEmbBase: 10000,
		maxPositionEmbeddings: 2048, layerNormEps: 1e-5, useParallelResidual: true, attentionBias: true, hiddenAct: 'gelu', tieWordEmbeddings: false,
		bosTokenId: 0, eosTokenId: 0, dtype: 'float32',
	});
	assert.equal(gptNeoxRotaryDim(c), 16);
	const shapes = gptNeoxArchitecture.weightShapes(c);
	assert.equal(shapes.size, 1 + 12 * 12 + 2 + 1);
	assert.deepEqual(shapes.get('gpt_neox.layers.11.attention.query_key_value.weight'), [2304, 768]);
	assert.deepEqual(shapes.get('embed_out.weight'), [50304, 768]);
	const {rotary_pct: _pct, rotary_emb_base: _base, ...rest} = pythia160m;
	assert.deepEqual(gptNeoxArchitecture.readConfig({...rest, rope_parameters: {rope_theta: 10000, partial_rotary_factor: 0.25, rope_type: 'default'}}, 'config.json'), c);
	const canonical = gptNeoxArchitecture.canonicalName!;
	for (const dropped of ['gpt_neox.layers.0.attention.bias', 'gpt_neox.layers.3.attention.masked_bias', 'gpt_neox.layers.0.attention.rotary_emb.inv_freq']) {
		assert.equal(canonical(dropped, c), undefined, dropped);
	}
	for (const kept of ['gpt_neox.layers.0.attention.dense.bias', 'gpt_neox.layers.0.attention.query_key_value.bias', 'embed_out.weight']) {
		assert.equal(canonical(kept, c), kept);
	}
});

test('gpt_neox: configJson round-trips through readConfig', () => {
	for (const c of [parallelConfig('float64'), sequentialConfig('float32')]) {
		assert.deepEqual(gptNeoxArchitecture.readConfig(gptNeoxArchitecture.configJson(c), 'config.json'), c);
	}
});

test('gpt_neox: an unsupported config.json value is one UserError naming file and field', () => {
	const cases: [Record<string, unknown>, string][] = [
		[{rotary_pct: 0.3}, 'rotary_pct'],
		[{hidden_act: 'relu'}, 'hidden_act'],
		[{rope_scaling: {type: 'linear', factor: 2}}, 'rope_scaling.type'],
		[{num_attention_heads: 7}, 'num_attention_heads'],
		[{use_parallel_residual: 'yes'}, 'use_parallel_residual'],
		[{rope_parameters: {rope_type: 'dynamic', factor: 2, rope_theta: 10000}}, 'rope_parameters.rope_type'],
	];
	for (const [change, field] of cases) {
		assert.throws(
			() => gptNeoxArchitecture.readConfig({...pythia160m, ...change}, '/m/config.json'),
			(e: unknown) => e instanceof UserError && e.field === field && e.file === '/m/config.json' && !e.line.includes('\n'),
			`${JSON.stringify(change)} names ${field}`,
		);
	}
});
