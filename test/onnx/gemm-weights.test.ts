import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UnsupportedOpError} from '../../source/onnx/autodiff.js';
import {dedupeModel} from '../../source/onnx/dedupe.js';
import {matmulsToGemm} from '../../source/onnx/gemm-weights.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {attr, type DType, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {removeDeadNodes} from '../../source/onnx/judge-graph.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {node, randomTensor} from '../helpers/fd.js';
import {checkDirectional32, randomTensor32} from '../helpers/fd32.js';

const MS = [{domain: 'com.microsoft', version: 1}];

for (const transB of [0, 1]) {
	test(`FusedMatMul gradient with transB=${transB} on a 3-D input by a 2-D weight`, async () => {
		const r = await checkDirectional32({
			nodes: [node('FusedMatMul', ['x', 'w'], ['y'], {transB: attr.int(transB), alpha: attr.float(0.7)}, 'com.microsoft')],
			inputs: {x: randomTensor32([2, 3, 4], 11)},
			initializers: {w: randomTensor32(transB ? [5, 4] : [4, 5], 12)},
			output: 'y',
			extraOpsets: MS,
		});
		assert.ok(r.checked > 0);
		assert.ok(r.maxError < 1e-4, `max error ${r.maxError}`);
	});
}

test('FusedMatMul refuses a gradient for its second input, naming the node', async () => {
	await assert.rejects(
		checkDirectional32({
			nodes: [node('FusedMatMul', ['x', 'w'], ['y'], {}, 'com.microsoft')],
			inputs: {x: randomTensor32([3, 4], 1), w: randomTensor32([4, 2], 2)},
			output: 'y',
			extraOpsets: MS,
		}),
		(error: unknown) => error instanceof UnsupportedOpError && /FusedMatMul node "FusedMatMul_\d+".*second input/.test(error.message),
	);
});

/** x [2,3,4] -> MatMul by Transpose(w1 [6,4]) -> MatMul by w2 [6,5], with a duplicated Shape branch on top. */
function linearModel(dtype: DType, random: (dims: number[], seed: number) => Tensor): Model {
	const nodes: Node[] = [
		node('Transpose', ['w1'], ['w1t'], {perm: attr.ints([1, 0])}),
		node('MatMul', ['x', 'w1t'], ['h']),
		node('MatMul', ['h', 'w2'], ['y']),
		node('Shape', ['y'], ['s1']),
		node('Shape', ['y'], ['s2']),
		node('Add', ['s1', 's2'], ['s']),
	];
	return {
		irVersion: 8,
		opsets: [{domain: '', version: 17}],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'linear',
			nodes,
			inputs: [{name: 'x', dtype, shape: [2, 3, 4]}],
			outputs: [
				{name: 'y', dtype, shape: [2, 3, 5]},
				{name: 's', dtype: 'int64', shape: [3]},
			],
			initializers: new Map([
				['w1', random([6, 4], 21)],
				['w2', random([6, 5], 22)],
			]),
			valueInfo: [],
		},
	};
}

async function outputs(model: Model, x: Tensor): Promise<{y: number[]; s: bigint[]}> {
	const session = await createSession(encodeModel(model), {optimization: 'disabled'});
	const out = await run(session, {x: fromIr(x)});
	return {y: Array.from(out.y!.data as Float32Array | Float64Array), s: Array.from(out.s!.data as BigInt64Array)};
}

for (const [dtype, random] of [
	['float32', randomTensor32],
	['float64', randomTensor],
] as const) {
	test(`matmulsToGemm on ${dtype} reads the weights as stored and computes the same outputs`, async () => {
		const model = linearModel(dtype, (dims, seed) => random(dims, seed));
		const x = random([2, 3, 4], 5);
		const before = await outputs(model, x);
		assert.equal(matmulsToGemm(model, dtype), 2);
		removeDeadNodes(model);
		const ops = model.graph.nodes.map(n => n.op);
		assert.ok(!ops.includes('MatMul') && !ops.includes('Transpose'), ops.join(' '));
		assert.ok(ops.includes(dtype === 'float32' ? 'FusedMatMul' : 'Gemm'), ops.join(' '));
		assert.equal(dedupeModel(model), 1, 'the second Shape of y goes');
		assert.equal(model.graph.nodes.filter(n => n.op === 'Shape' && n.inputs[0] === 'y').length, 1);
		const after = await outputs(model, x);
		assert.deepEqual(after.s, before.s);
		const tol = dtype === 'float32' ? 1e-5 : 1e-12;
		after.y.forEach((v, i) => assert.ok(Math.abs(v - before.y[i]!) <= tol, `y[${i}] ${v} vs ${before.y[i]}`));
		// The rewritten graph still differentiates, and its gradient reads no transposed weight either.
		model.graph.outputs = [{name: 'y', dtype, shape: [2, 3, 5]}];
		const loss = {...model, graph: {...model.graph, nodes: [...model.graph.nodes, node('ReduceSum', ['y'], ['loss'], {keepdims: attr.int(0)})], outputs: [{name: 'loss', dtype, shape: []}]}};
		const grad = (await buildGradientModel(loss, {loss: 'loss', wrt: ['x'], probes: [{x: fromIr(x)}]})).model;
		const weightReaders = grad.graph.nodes.filter(n => n.inputs.includes('w1') || n.inputs.includes('w2'));
		assert.ok(weightReaders.every(n => n.op !== 'Transpose'), weightReaders.map(n => n.op).join(' '));
	});
}

test('matmulsToGemm leaves a MatMul of two activations alone', () => {
	const model = linearModel('float32', randomTensor32);
	model.graph.nodes.push(node('MatMul', ['x', 'x'], ['xx']));
	assert.equal(matmulsToGemm(model, 'float32'), 2);
	assert.equal(model.graph.nodes.filter(n => n.op === 'MatMul').length, 1);
});
