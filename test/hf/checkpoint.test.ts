/**
 * Checkpoint folders written in transformers' layout (from seeded random weights) load into the same graph the
 * builders make, their judges' segment gradients agree with finite differences, and every layout variant (bf16,
 * sharded, bare GPT-2 keys, buffers, transformers 4 and 5 configs) loads to the same model.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import type {Architecture} from '../../source/onnx/builders/architecture.js';
import {loadCheckpoint, isCheckpointFolder} from '../../source/hf/checkpoint.js';
import {bf16ToF32, f32ToBf16} from '../../source/hf/float-convert.js';
import {gpt2Architecture} from '../../source/hf/gpt2.js';
import {importHf} from '../../source/judges/import-hf.js';
import {llamaArchitecture, mistralArchitecture, qwen2Architecture, qwen3Architecture} from '../../source/hf/llama-family.js';
import type {Gpt2Config} from '../../source/onnx/builders/gpt2.js';
import type {LlamaConfig} from '../../source/onnx/builders/llama.js';
import {tensorOf, type Model, type Tensor} from '../../source/onnx/ir.js';
import {createSession, ortTensor, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {perturbedWeights, testTokenizerIds, writeTestCheckpoint} from '../helpers/hf-checkpoint.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-hfckpt-'));
process.env.GMPO_CACHE_DIR = path.join(work, 'cache');
const pool = new OrtPool({workers: 1});
after(async () => {
	await pool.close();
	rmSync(work, {recursive: true, force: true});
});
let n = 0;
const folder = (name: string) => path.join(work, `${name}-${n++}`);

const vocab = testTokenizerIds() + 1;
const llama: LlamaConfig = {
	vocabSize: vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128,
	rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: vocab - 2, eosTokenId: vocab - 2, dtype: 'float64',
};
const gpt2: Gpt2Config = {vocabSize: vocab, nPositions: 128, nEmbd: 16, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-5, bosTokenId: vocab - 2, eosTokenId: vocab - 2, dtype: 'float64'};

type Case = {name: string; arch: Architecture<any>; config: LlamaConfig | Gpt2Config};
const CASES: Case[] = [
	{name: 'llama', arch: llamaArchitecture, config: llama},
	{name: 'llama 3 (llama3 RoPE scaling, head_dim 8)', arch: llamaArchitecture, config: {...llama, headDim: 8, ropeScaling: {type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32}}},
	{name: 'mistral (sliding window 16)', arch: mistralArchitecture, config: {...llama, slidingWindow: 16}},
	{name: 'qwen2 (q/k/v biases, tied head)', arch: qwen2Architecture, config: {...llama, attentionBias: 'qkv', tieWordEmbeddings: true}},
	{name: 'qwen3 (q/k norm, head_dim 6)', arch: qwen3Architecture, config: {...llama, qkNorm: true, headDim: 6}},
	{name: 'gpt2', arch: gpt2Architecture, config: gpt2},
];

async function logitsOf(model: Model, ids: number[], layers: number, kvHeads: number, headDim: number): Promise<Float64Array | Float32Array> {
	const s = await createSession(encodeModel(model), {optimization: 'basic'});
	const ints = (v: number[]) => ortTensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);
	const feeds: Record<string, ReturnType<typeof ints>> = {input_ids: ints(ids), attention_mask: ints(ids.map(() => 1)), position_ids: ints(ids.map((_, i) => i))};
	const float64 = model.graph.outputs[0]!.dtype === 'float64';
	for (let i = 0; i < layers; i++) {
		for (const k of ['key', 'value']) feeds[`past_key_values.${i}.${k}`] = float64 ? ortTensor('float64', new Float64Array(0), [1, kvHeads, 0, headDim]) : ortTensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
	}
	const out = await run(s, feeds);
	await s.release();
	return out.logits!.data as Float64Array | Float32Array;
}
const shapeOf = (c: LlamaConfig | Gpt2Config): [number, number, number] =>
	'nEmbd' in c ? [c.nLayer, c.nHead, c.nEmbd / c.nHead] : [c.numHiddenLayers, c.numKeyValueHeads, c.headDim ?? c.hiddenSize / c.numAttentionHeads];
const IDS = [5, 17, 250, 3, 3, 99, 42, 7, 1, 0, 120];

const SEGMENTS = ['You are careful. ', 'Convert the word to uppercase. ', 'Answer in lowercase.'];
const EXAMPLE = {input: 'apple pie', target: 'APPLE PIE'};

for (const c of CASES) {
	test(`${c.name}: the checkpoint loads to the builder's graph, and its judge's gradients match finite differences`, async () => {
		const weights = perturbedWeights(c.arch, c.config, 3);
		const dir = writeTestCheckpoint(folder('ckpt'), c.arch, c.config, weights);
		assert.ok(isCheckpointFolder(dir));
		const loaded = await loadCheckpoint(dir);
		assert.deepEqual(loaded.config, c.config, 'config.json reads back to the same config');
		assert.equal(loaded.architecture, c.arch.modelTypes[0]);
		for (const name of weights.keys()) {
			const t = loaded.model.graph.initializers.get(name)!;
			assert.ok(t.dtype === 'float64' && t.stored, `${name}: F64 weights of a float64 config are float64, referenced in place`);
		}
		const expected = await logitsOf(c.arch.build(c.config, weights), IDS, ...shapeOf(c.config));
		assert.deepEqual(await logitsOf(loaded.model, IDS, ...shapeOf(c.config)), expected, 'same logits');

		const judgeDir = folder('judge');
		await importHf(dir, judgeDir);
		const judge = await OnnxJudge.open(judgeDir, {pool, baseline: 'zero', maskPoint: 1});
		const grad = (await judge.attribute(SEGMENTS, [EXAMPLE])).importance[0]!.map(v => -v);
		const eps = 1e-5;
		const fd = [];
		for (let k = 0; k < SEGMENTS.length; k++) {
			const at = (m: number) => judge.maskedLoss(SEGMENTS, [EXAMPLE], SEGMENTS.map((_, j) => (j === k ? m : 1)));
			fd.push(((await at(1 + eps))[0]! - (await at(1 - eps))[0]!) / (2 * eps));
		}
		const scale = Math.max(...fd.map(Math.abs));
		assert.ok(scale > 1e-4, `gradients are not trivially small (${scale})`);
		fd.forEach((f, k) => assert.ok(Math.abs(grad[k]! - f) < 1e-6 * scale, `segment ${k}: gradient ${grad[k]} vs finite difference ${f}`));
	});
}

test('bf16 and sharded checkpoints load to the f32 single-file model (after bf16 rounding); a float32 F32 weight points at its bytes', async () => {
	const config = {...llama, dtype: 'float32' as const, tieWordEmbeddings: true};
	const weights = perturbedWeights(llamaArchitecture, config, 4);
	const rounded = new Map([...weights].map(([k, t]) => [k, {...t, data: bf16ToF32(f32ToBf16(t.data as Float32Array))} as Tensor]));
	const single = await loadCheckpoint(writeTestCheckpoint(folder('f32'), llamaArchitecture, config, weights));
	const sharded = await loadCheckpoint(writeTestCheckpoint(folder('sharded'), llamaArchitecture, config, weights, {shardBytes: 20_000}));
	const bf16 = await loadCheckpoint(writeTestCheckpoint(folder('bf16'), llamaArchitecture, config, weights, {dtype: 'BF16'}));
	const bf16Sharded = await loadCheckpoint(writeTestCheckpoint(folder('bf16-sharded'), llamaArchitecture, config, weights, {dtype: 'BF16', shardBytes: 10_000}));
	for (const [name, t] of weights) {
		assert.deepEqual(single.model.graph.initializers.get(name)!.data, t.data, `${name}: f32`);
		assert.deepEqual(sharded.model.graph.initializers.get(name)!.data, t.data, `${name}: sharded`);
		assert.deepEqual(bf16.model.graph.initializers.get(name)!.data, rounded.get(name)!.data, `${name}: bf16`);
		assert.deepEqual(bf16Sharded.model.graph.initializers.get(name)!.data, rounded.get(name)!.data, `${name}: bf16 sharded`);
	}
	assert.ok(single.model.graph.initializers.get('model.embed_tokens.weight')!.stored, 'F32 weights can be referenced in place');
	assert.equal(bf16.model.graph.initializers.get('model.embed_tokens.weight')!.stored, undefined);
	assert.equal(single.weightBytes, bf16.weightBytes);
	const f32 = await logitsOf(single.model, IDS, 2, 2, 4);
	assert.deepEqual(await logitsOf(sharded.model, IDS, 2, 2, 4), f32);
	const expected = await logitsOf(llamaArchitecture.build(config, rounded), IDS, 2, 2, 4);
	assert.deepEqual(await logitsOf(bf16.model, IDS, 2, 2, 4), expected);
});

test('GPT-2 with bare h.0... keys, attn.bias buffers and a saved lm_head loads like the transformer.* layout', async () => {
	const weights = perturbedWeights(gpt2Architecture, gpt2, 5);
	const buffers = new Map<string, Tensor>();
	for (let i = 0; i < gpt2.nLayer; i++) {
		buffers.set(`h.${i}.attn.bias`, tensorOf('uint8', [1, 1, 4, 4], new Array(16).fill(1)));
		buffers.set(`h.${i}.attn.masked_bias`, tensorOf('float64', [], [-1e4]));
	}
	buffers.set('lm_head.weight', weights.get('transformer.wte.weight')!);
	const bare = await loadCheckpoint(writeTestCheckpoint(folder('bare'), gpt2Architecture, gpt2, weights, {key: k => k.replace(/^transformer\./, ''), extra: buffers}));
	const prefixed = await loadCheckpoint(writeTestCheckpoint(folder('prefixed'), gpt2Architecture, gpt2, weights));
	assert.deepEqual(await logitsOf(bare.model, IDS, 2, 4, 4), await logitsOf(prefixed.model, IDS, 2, 4, 4));
});

test('a tied Llama checkpoint that also saved lm_head.weight, and old rotary buffers, load (both are ignored)', async () => {
	const config = {...llama, tieWordEmbeddings: true};
	const weights = perturbedWeights(llamaArchitecture, config, 6);
	const extra = new Map<string, Tensor>([
		['lm_head.weight', tensorOf('float64', [vocab, 16], new Array(vocab * 16).fill(7))],
		['model.layers.0.self_attn.rotary_emb.inv_freq', tensorOf('float32', [2], [1, 0.01])],
	]);
	const loaded = await loadCheckpoint(writeTestCheckpoint(folder('tied'), llamaArchitecture, config, weights, {extra}));
	assert.deepEqual(await logitsOf(loaded.model, IDS, 2, 2, 4), await logitsOf(llamaArchitecture.build(config, weights), IDS, 2, 2, 4));
});

test('transformers 5 configs (rope_parameters, dtype) read like transformers 4 ones (rope_theta, rope_scaling, torch_dtype)', async () => {
	for (const c of CASES.filter(x => x.arch !== gpt2Architecture)) {
		const v4 = c.arch.configJson(c.config);
		const {rope_theta: theta, rope_scaling: scaling, torch_dtype: dtype, ...rest} = v4;
		const v5 = {...rest, dtype, rope_parameters: {rope_theta: theta, ...((scaling as object | null) ?? {rope_type: 'default'})}};
		assert.deepEqual(c.arch.readConfig(v5, 'config.json'), c.arch.readConfig(v4, 'config.json'), c.name);
		assert.deepEqual(c.arch.readConfig(v5, 'config.json'), c.config, c.name);
	}
});

test('Qwen sliding windows follow layer_types or use_sliding_window / max_window_layers; a window that cannot bind is left out', () => {
	const base = qwen2Architecture.configJson({...llama, attentionBias: 'qkv'});
	const read = (patch: Record<string, unknown>) => qwen2Architecture.readConfig({...base, ...patch}, 'config.json') as LlamaConfig;
	assert.equal(read({sliding_window: 32, layer_types: ['full_attention', 'full_attention']}).slidingWindow, undefined, 'no sliding layer');
	assert.deepEqual(read({sliding_window: 32, layer_types: ['full_attention', 'sliding_attention']}).slidingLayers, [1]);
	const v4 = {...base, layer_types: undefined};
	assert.equal(read({...v4, sliding_window: 32, use_sliding_window: false}).slidingWindow, undefined);
	const on = read({...v4, sliding_window: 32, use_sliding_window: true, max_window_layers: 1});
	assert.deepEqual([on.slidingWindow, on.slidingLayers], [32, [1]]);
	assert.equal(read({...v4, sliding_window: 4096, use_sliding_window: true, max_window_layers: 0}).slidingWindow, undefined, 'longer than max_position_embeddings');
	const mistral = mistralArchitecture.readConfig({...mistralArchitecture.configJson(llama), sliding_window: 16}, 'config.json') as LlamaConfig;
	assert.deepEqual([mistral.slidingWindow, mistral.slidingLayers], [16, undefined]);
});
