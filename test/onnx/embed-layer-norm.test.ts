/**
 * com.microsoft.EmbedLayerNormalization, as onnxruntime-genai's GPT-2 exports use it (int32 ids, the token and
 * position embeddings and the first block's LayerNorm in one node, the sum as the residual stream, mask_index
 * unused): reproduced from the project's GPT-2 builder, its decomposition matches onnxruntime's kernel, and once
 * decomposed the judge finds the token lookup, scores like the unfused model and attributes with gradients.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {seededRandom} from '../../source/onnx/builders/common.js';
import {buildGpt2, randomGpt2Weights, type Gpt2Config} from '../../source/onnx/builders/gpt2.js';
import {writeHubFolder} from '../../source/hf/hub-folder.js';
import {cloneModel, tensorOf, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {inspectCausalLm} from '../../source/onnx/judge-graph.js';
import {createSession, ortTensor, run, type OrtTensor} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {exposeEmbeddingLookup} from '../../source/onnx/rules/contrib.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {randomJudgeTokenizer} from '../../source/training/random-judge.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-eln-'));
process.env.GMPO_CACHE_DIR = path.join(work, 'cache');
const pool = new OrtPool({workers: 1});
after(async () => {
	await pool.close();
	rmSync(work, {recursive: true, force: true});
});

const config: Gpt2Config = {vocabSize: 280, nPositions: 128, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: 278, eosTokenId: 278, dtype: 'float32'};
const r = seededRandom(7);
const weights = new Map([...randomGpt2Weights(config, 3)].map(([k, t]) => [k, tensorOf('float32', t.dims, Array.from(t.data as Float32Array, v => v + 0.2 * (2 * r() - 1)))]));
const segmentTable = tensorOf('float32', [2, 16], Array.from({length: 32}, () => 0.3 * (2 * r() - 1)));

type Layout = {
	/** Feed the ids as int32 graph inputs (genai), or keep int64 inputs and Cast before the node (what judges feed). */
	ids: 'int32' | 'int64';
	/** Pass position_ids to the node (else it uses 0..S-1). */
	positions: boolean;
	/** Add a segment_ids input and a segment table. */
	segments?: boolean;
	/** Expose mask_index (from attention_mask) as a graph output. */
	maskIndex?: boolean;
};

/**
 * The GPT-2 graph with its token Gather, position Gather, their Add and block 0's ln_1 replaced by one
 * EmbedLayerNormalization node whose embedding_sum output carries the residual stream.
 */
function fused(layout: Layout): Model {
	const m = cloneModel(buildGpt2(config, weights));
	const g = m.graph;
	const tokenGather = g.nodes.find(n => n.op === 'Gather' && n.inputs[0] === 'transformer.wte.weight')!;
	const positionGather = g.nodes.find(n => n.op === 'Gather' && n.inputs[0] === 'transformer.wpe.weight')!;
	const add = g.nodes.find(n => n.op === 'Add' && n.inputs.includes(tokenGather.outputs[0]!))!;
	const ln = g.nodes.find(n => n.op === 'LayerNormalization' && n.inputs[0] === add.outputs[0])!;
	const cast = (x: string): string => {
		if (layout.ids === 'int32') return x;
		g.nodes.unshift({op: 'Cast', domain: '', name: `cast_${x}`, inputs: [x], outputs: [`${x}_i32`], attrs: {to: {type: 'int', value: 6}}});
		return `${x}_i32`;
	};
	if (layout.ids === 'int32') {
		g.inputs = g.inputs.map(v => (['input_ids', 'position_ids', 'attention_mask'].includes(v.name) ? {...v, dtype: 'int32'} : v));
	}
	if (layout.segments) {
		g.inputs.push({name: 'segment_ids', dtype: 'int32', shape: ['batch_size', 'sequence_length']});
		g.initializers.set('segment_table', segmentTable);
	}
	const eln: Node = {
		op: 'EmbedLayerNormalization',
		domain: 'com.microsoft',
		name: 'embed_ln',
		inputs: [
			cast('input_ids'), layout.segments ? 'segment_ids' : '', 'transformer.wte.weight', 'transformer.wpe.weight', layout.segments ? 'segment_table' : '',
			ln.inputs[1]!, ln.inputs[2]!, layout.maskIndex ? cast('attention_mask') : '', layout.positions ? cast('position_ids') : '',
		],
		outputs: [ln.outputs[0]!, layout.maskIndex ? 'mask_index' : 'mask_index_unused', add.outputs[0]!],
		attrs: {epsilon: {type: 'float', value: config.layerNormEpsilon}},
	};
	const at = g.nodes.indexOf(tokenGather);
	g.nodes = g.nodes.filter(n => n !== tokenGather && n !== positionGather && n !== add && n !== ln);
	g.nodes.splice(Math.min(at, g.nodes.length), 0, eln);
	if (layout.maskIndex) g.outputs.push({name: 'mask_index', dtype: 'int32', untyped: true});
	m.opsets.push({domain: 'com.microsoft', version: 1});
	return m;
}

const IDS = [[5, 17, 250, 3, 3, 99, 42], [7, 1, 0, 120, 9, 8, 2]];
const MASK = [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]];
async function forward(m: Model, ids: 'int32' | 'int64', extra: Record<string, OrtTensor> = {}) {
	const t = (v: number[][]) => (ids === 'int32' ? ortTensor('int32', Int32Array.from(v.flat()), [2, 7]) : ortTensor('int64', BigInt64Array.from(v.flat(), BigInt), [2, 7]));
	const feeds: Record<string, OrtTensor> = {input_ids: t(IDS), attention_mask: t(MASK), position_ids: t(IDS.map(row => row.map((_, i) => i))), ...extra};
	for (let i = 0; i < config.nLayer; i++) for (const k of ['key', 'value']) feeds[`past_key_values.${i}.${k}`] = ortTensor('float32', new Float32Array(0), [2, 2, 0, 8]);
	const s = await createSession(encodeModel(m), {optimization: 'disabled'});
	const out = await run(s, feeds);
	await s.release();
	return out;
}
const maxDiff = (a: OrtTensor, b: OrtTensor) => Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));

test('EmbedLayerNormalization: the decomposition equals onnxruntime\'s kernel in the genai GPT-2 layout, with or without position ids, with segments and mask_index', async () => {
	const reference = await forward(buildGpt2(config, weights), 'int64');
	const segments = {segment_ids: ortTensor('int32', Int32Array.from([0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0]), [2, 7])};
	for (const layout of [
		{ids: 'int32', positions: true},
		{ids: 'int32', positions: false},
		{ids: 'int32', positions: true, segments: true, maskIndex: true},
		{ids: 'int64', positions: true},
	] as Layout[]) {
		const what = JSON.stringify(layout);
		const kernel = fused(layout);
		const decomposed = fused(layout);
		assert.equal(exposeEmbeddingLookup(decomposed), 1, what);
		assert.ok(decomposed.graph.nodes.every(n => n.domain === ''), `${what}: only primitives left`);
		const extra = layout.segments ? segments : {};
		const a = await forward(kernel, layout.ids, extra);
		const b = await forward(decomposed, layout.ids, extra);
		assert.ok(maxDiff(a.logits!, b.logits!) < 1e-5, `${what}: decomposition vs kernel ${maxDiff(a.logits!, b.logits!)}`);
		if (!layout.segments) assert.ok(maxDiff(a.logits!, reference.logits!) < 1e-5, `${what}: fused vs unfused GPT-2`);
		if (layout.maskIndex) {
			assert.deepEqual(Array.from(b.mask_index!.data as Int32Array), [7, 4]);
			assert.deepEqual(Array.from(b.mask_index!.data as Int32Array), Array.from(a.mask_index!.data as Int32Array));
		}
	}
});

test('an EmbedLayerNormalization judge: the token lookup is found only after decomposition; then it scores like the unfused model and attributes with gradients', async () => {
	const model = fused({ids: 'int64', positions: true});
	assert.throws(() => inspectCausalLm(model), /no token-embedding lookup found/);
	exposeEmbeddingLookup(model);
	assert.equal(inspectCausalLm(model).vocabSize, config.vocabSize);
	const folder = (name: string, m: Model) => {
		const dir = path.join(work, name);
		writeHubFolder(dir, m, config);
		writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
		writeFileSync(path.join(dir, 'judge.json'), JSON.stringify({name, eos: 'always', eosToken: '<|endoftext|>'}));
		return dir;
	};
	const fusedJudge = await OnnxJudge.open(folder('fused', model), {pool});
	const plainJudge = await OnnxJudge.open(folder('plain', buildGpt2(config, weights)), {pool});
	assert.equal(fusedJudge.info.gradient.available, true);
	const segments = ['You are careful. ', 'Convert the word to uppercase. ', 'Answer in lowercase.'];
	const examples = [{input: 'apple', target: 'APPLE'}, {input: 'pear tree', target: 'PEAR TREE'}];
	const a = await fusedJudge.attribute(segments, examples);
	const b = await plainJudge.attribute(segments, examples);
	assert.equal(a.method, 'gradient');
	a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]!) < 1e-5, `loss ${l} vs ${b.losses[i]}`));
	const scale = Math.max(...b.importance.flat().map(Math.abs));
	a.importance.flat().forEach((v, i) => assert.ok(Math.abs(v - b.importance.flat()[i]!) < 1e-3 * scale, `importance ${v} vs ${b.importance.flat()[i]}`));
});
