/**
 * End-to-end checks of the judge graphs in float64 on both model families: segment_grad against central finite
 * differences of the loss graph (batch of 3 with right padding, at sequence lengths unlike the probe sizes 5 and 7,
 * at a mask point away from 1, for every baseline), weight gradients against finite differences, and the clear
 * error for a graph that is not a causal LM.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import {batchFeeds, makeBatches} from '../../source/judges/batching.js';
import {loadJudgeFolder} from '../../source/judges/judge-folder.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import type {Tensor} from '../../source/onnx/ir.js';
import {buildAttributionGraph, buildLossGraph, inspectCausalLm, probeFeeds, type Baseline} from '../../source/onnx/judge-graph.js';
import {createSession, fromIr, run, type Feeds} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {readModel} from '../../source/onnx/model-file.js';
import {OrtPool} from '../../source/judges/pool.js';
import {rng} from '../helpers/fd.js';
import {tempDir} from '../helpers/temp.js';
import {writeTinyJudge} from '../helpers/tiny-judge.js';

process.env.GMPO_CACHE_DIR = tempDir('gmpo-cache-');

const SEGMENTS = ['You are a helpful assistant. ', 'Convert the word to uppercase. ', 'Answer in lowercase. ', 'Héllo 😀 ok.'];
const EXAMPLES = [
	{input: 'apple', target: 'APPLE'},
	{input: 'a much longer input with many more words in it', target: 'X'},
	{input: 'pear', target: 'PEAR and more'},
];

async function encodedFeeds(dir: string, targetPositions = true) {
	const pool = new OrtPool({workers: 1});
	const judge = await OnnxJudge.open(dir, {pool});
	const encoded = await judge.encode(SEGMENTS, EXAMPLES);
	await pool.close();
	const info = judge.graphInfo;
	const [members] = makeBatches(encoded, {maxBatch: 8, maxTokens: 1 << 16});
	assert.equal(members!.length, 3);
	const batch = batchFeeds(encoded, members!, {...info, targetPositions});
	assert.ok(batch.length !== 5 && batch.length !== 7, 'sequence length differs from the probe sizes');
	assert.ok(new Set(encoded.map(e => e.ids.length)).size === 3, 'examples differ in length, so the batch is padded');
	return {batch, info, folder: await loadJudgeFolder(dir)};
}

function maskTensor(values: number[], B: number, S: number): Tensor {
	return {dtype: 'float64', dims: [B, S], data: Float64Array.from(values)};
}

for (const family of ['gpt2', 'llama'] as const) {
	for (const baseline of ['zero', 'pad', 'mean'] as Baseline[]) {
		if (family === 'gpt2' && baseline !== 'zero') {
			continue;
		}
		test(`${family}: segment_grad equals finite differences of the loss (float64, baseline ${baseline}, padded batch)`, async () => {
			const dir = writeTinyJudge({family, dtype: 'float64'});
			// GPT-2 runs the full-width head (every position), Llama the head at target positions only.
			const targetPositions = family === 'llama';
			const {batch, folder} = await encodedFeeds(dir, targetPositions);
			const source = readModel(folder.modelPath);
			const padTokenId = 3;
			const attr = await buildAttributionGraph(source, {baseline, padTokenId, targetPositions});
			const loss = buildLossGraph(source, {baseline, padTokenId, targetPositions});
			const gs = await createSession(encodeModel(attr.model), {optimization: 'basic'});
			const ls = await createSession(encodeModel(loss.model), {optimization: 'basic'});
			const B = 3;
			const S = SEGMENTS.length;
			const r = rng(7);
			const m = Array.from({length: B * S}, () => 0.5 + r());
			const feeds: Feeds = Object.fromEntries(Object.entries(batch.feeds).map(([k, t]) => [k, fromIr(t)]));
			const out = await run(gs, {...feeds, segment_mask: fromIr(maskTensor(m, B, S))});
			const grad = out.segment_grad!.data as Float64Array;
			const lossAt = async (values: number[]) => (await run(ls, {...feeds, segment_mask: fromIr(maskTensor(values, B, S))})).loss!.data as Float64Array;
			const eps = 1e-6;
			let worst = 0;
			for (let i = 0; i < B * S; i++) {
				const b = Math.floor(i / S);
				const plus = [...m];
				plus[i]! += eps;
				const minus = [...m];
				minus[i]! -= eps;
				const numeric = ((await lossAt(plus))[b]! - (await lossAt(minus))[b]!) / (2 * eps);
				worst = Math.max(worst, Math.abs(numeric - grad[i]!) / Math.max(1e-3, Math.abs(numeric)));
			}
			assert.ok(worst < 1e-5, `worst relative error ${worst}`);
			assert.ok(grad.some(g => Math.abs(g) > 1e-8), 'the gradient is not trivially zero');
			await gs.release();
			await ls.release();
		});
	}

	test(`${family}: weight gradients through the judge loss equal finite differences (float64)`, async () => {
		const dir = writeTinyJudge({family, dtype: 'float64'});
		const {batch, folder} = await encodedFeeds(dir);
		const source = readModel(folder.modelPath);
		const {model, info} = buildLossGraph(source, {targetPositions: true});
		const weightNames = family === 'gpt2' ? ['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_fc.bias'] : ['model.embed_tokens.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.down_proj.weight'];
		const weightFeeds: Feeds = {};
		for (const w of weightNames) {
			const t = model.graph.initializers.get(w)!;
			model.graph.initializers.delete(w);
			model.graph.inputs.push({name: w, dtype: t.dtype, shape: t.dims});
			weightFeeds[w] = fromIr(t);
		}
		const probes = [2, 3].map(b => ({...probeFeeds(info, b, b + 4, 2, b), ...weightFeeds}));
		const total = model;
		// Sum the per-example losses into a scalar so finite differences see one number.
		total.graph.nodes.push({op: 'ReduceSum', domain: '', name: 'test/sum', inputs: ['loss', 'test/axes'], outputs: ['test/total'], attrs: {keepdims: {type: 'int', value: 0}}});
		total.graph.initializers.set('test/axes', {dtype: 'int64', dims: [1], data: BigInt64Array.from([0n])});
		total.graph.outputs = [{name: 'test/total', dtype: 'float64', shape: []}];
		const {model: gm, gradOutputs} = await buildGradientModel(total, {loss: 'test/total', wrt: weightNames, probes});
		const gs = await createSession(encodeModel(gm), {optimization: 'basic'});
		const fs = await createSession(encodeModel(total), {optimization: 'basic'});
		const feeds: Feeds = {...Object.fromEntries(Object.entries(batch.feeds).map(([k, t]) => [k, fromIr(t)])), segment_mask: fromIr(maskTensor([1, 1, 1], 3, 1)), ...weightFeeds};
		const out = await run(gs, feeds);
		const eps = 1e-6;
		let worst = 0;
		for (const [i, w] of weightNames.entries()) {
			const grad = out[gradOutputs[i]!]!.data as Float64Array;
			const base = feeds[w]!.data as Float64Array;
			for (let k = 0; k < 6; k++) {
				const j = Math.floor((k * base.length) / 6) + 1;
				const at = async (delta: number) => {
					const v = new Float64Array(base);
					v[j]! += delta;
					return (await run(fs, {...feeds, [w]: fromIr({dtype: 'float64', dims: [...feeds[w]!.dims], data: v})}))['test/total']!.data[0] as number;
				};
				const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
				worst = Math.max(worst, Math.abs(numeric - grad[j]!) / Math.max(1e-3, Math.abs(numeric)));
			}
		}
		assert.ok(worst < 1e-5, `worst relative error ${worst}`);
		await gs.release();
		await fs.release();
	});
}

test('a graph without a logits output is refused with a clear message', async () => {
	const dir = writeTinyJudge({family: 'gpt2'});
	const model = readModel(path.join(dir, 'model.onnx'));
	model.graph.outputs = model.graph.outputs.filter(o => o.name !== 'logits');
	assert.throws(() => inspectCausalLm(model), {message: /no "logits" output/});
	model.graph.inputs = model.graph.inputs.filter(i => i.name !== 'attention_mask');
	assert.throws(() => inspectCausalLm(model), {message: /no "attention_mask" input/});
});
