import assert from 'node:assert/strict';
import {test} from 'node:test';
import {addGradients} from '../../source/onnx/autodiff.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {attr, tensorOf, type Model, type Node} from '../../source/onnx/ir.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {node, randomTensor} from '../helpers/fd.js';
import '../../source/onnx/grad-rules.js';

function model(nodes: Node[], inputs: Model['graph']['inputs'], opsets: Model['opsets'] = [{domain: '', version: 17}]): Model {
	return {
		irVersion: 8,
		opsets,
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {name: 'errors', nodes, inputs, outputs: [{name: 'loss', dtype: 'float32', shape: []}], initializers: new Map(), valueInfo: []},
	};
}

const named = (n: Node, name: string): Node => ({...n, name});
const MS = [{domain: '', version: 17}, {domain: 'com.microsoft', version: 1}];

// The op check runs before any shape is needed, so these graphs are never run (fused kernels need real weights).
const differentiate = (m: Model) => async () => addGradients(m, {loss: 'loss', wrt: ['x'], shapes: new Map()});

test('GroupQueryAttention on the path: UnsupportedOpError naming the op and node, suggesting an fp32 export', async () => {
	const gqa = named(
		node('GroupQueryAttention', ['x', 'k', 'v', '', '', 'seqlens', 'total'], ['attn', 'present_k', 'present_v'], {num_heads: attr.int(2), kv_num_heads: attr.int(1)}, 'com.microsoft'),
		'/model/layers.0/attn/GroupQueryAttention',
	);
	const m = model(
		[gqa, node('ReduceSum', ['attn'], ['loss'], {keepdims: attr.int(0)})],
		[
			{name: 'x', dtype: 'float32', shape: [1, 'T', 8]},
			{name: 'k', dtype: 'float32', shape: [1, 'T', 4]},
			{name: 'v', dtype: 'float32', shape: [1, 'T', 4]},
			{name: 'seqlens', dtype: 'int32', shape: [1]},
			{name: 'total', dtype: 'int32', shape: []},
		],
		MS,
	);
	await assert.rejects(differentiate(m), {
		name: 'UnsupportedOpError',
		message: /GroupQueryAttention node "\/model\/layers\.0\/attn\/GroupQueryAttention".*unoptimised in fp32/,
	});
});

test('MatMulNBits on the path: UnsupportedOpError naming the op and node, suggesting an fp32 export', async () => {
	const mm = named(node('MatMulNBits', ['x', 'w_q', 'scales'], ['h'], {K: attr.int(8), N: attr.int(4), bits: attr.int(4), block_size: attr.int(32)}, 'com.microsoft'), 'lm_head/MatMulNBits');
	const m = model(
		[mm, node('ReduceSum', ['h'], ['loss'], {keepdims: attr.int(0)})],
		[
			{name: 'x', dtype: 'float32', shape: [2, 8]},
			{name: 'w_q', dtype: 'uint8', shape: [4, 1, 16]},
			{name: 'scales', dtype: 'float32', shape: [4]},
		],
		MS,
	);
	await assert.rejects(differentiate(m), (err: Error & {op?: string; nodeName?: string}) => {
		assert.equal(err.name, 'UnsupportedOpError');
		assert.equal(err.op, 'MatMulNBits');
		assert.equal(err.nodeName, 'lm_head/MatMulNBits');
		assert.match(err.message, /MatMulNBits node "lm_head\/MatMulNBits".*fp32/);
		return true;
	});
});

test('an op without a gradient rule on the path is named in the error', async () => {
	const m = model(
		[node('Mul', ['x', 'x'], ['sq']), named(node('Hardmax', ['sq'], ['hm'], {axis: attr.int(-1)}), 'head/hardmax'), node('ReduceSum', ['hm'], ['loss'], {keepdims: attr.int(0)})],
		[{name: 'x', dtype: 'float32', shape: [2, 3]}],
	);
	await assert.rejects(differentiate(m), {name: 'UnsupportedOpError', message: /Hardmax node "head\/hardmax": no gradient rule for Hardmax/});
});

test('an op off the path (on the position-ids branch) does not block differentiation', async () => {
	// loss = sum(x * Hardmax(float(position_ids))): Hardmax feeds the loss but does not depend on x.
	const m = model(
		[
			node('Cast', ['position_ids'], ['pos_f'], {to: attr.int(1)}),
			node('Hardmax', ['pos_f'], ['weight'], {axis: attr.int(-1)}),
			node('Mul', ['x', 'weight'], ['prod']),
			node('ReduceSum', ['prod'], ['loss'], {keepdims: attr.int(0)}),
		],
		[
			{name: 'x', dtype: 'float32', shape: [2, 3]},
			{name: 'position_ids', dtype: 'int64', shape: [2, 3]},
		],
	);
	const x = randomTensor([2, 3], 1);
	const feeds = {x: fromIr(tensorOf('float32', [2, 3], x.data as Float64Array)), position_ids: fromIr(tensorOf('int64', [2, 3], [0, 2, 1, 1, 0, 0]))};
	const {model: gm, gradOutputs} = await buildGradientModel(m, {loss: 'loss', wrt: ['x'], probes: [feeds, feeds]});
	const session = await createSession(encodeModel(gm), {optimization: 'basic'});
	const out = await run(session, feeds);
	await session.release();
	// Hardmax marks the first maximum of each row: column 1 in row 0, column 0 in row 1.
	assert.deepEqual(Array.from(out[gradOutputs[0]!]!.data as Float32Array), [0, 1, 0, 1, 0, 0]);
});
