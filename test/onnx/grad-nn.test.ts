import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UnsupportedOpError} from '../../source/onnx/autodiff.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {attr, type Model} from '../../source/onnx/ir.js';
import {fromIr} from '../../source/onnx/ort.js';
import {checkGradients, node, randomTensor, type FdCase} from '../helpers/fd.js';
import {randomTensor32} from '../helpers/fd32.js';

const TOL = 1e-7;

async function fd(c: FdCase): Promise<void> {
	const r = await checkGradients(c);
	assert.ok(r.checked > 0);
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
}

// Softmax changed at opset 13: before, it normalised jointly over every axis from `axis` on (default 1); from 13,
// over `axis` alone (default -1). Each case runs at the opset whose semantics it checks.
for (const op of ['Softmax', 'LogSoftmax']) {
	for (const [opset, axis] of [
		[13, 1],
		[13, undefined],
		[11, 1],
		[11, undefined],
		[11, 2],
		[11, -2],
	] as const) {
		test(`${op} gradient at opset ${opset} with axis ${axis ?? 'default'} on a 3-D input`, () =>
			fd({
				nodes: [node(op, ['x'], ['y'], axis === undefined ? {} : {axis: attr.int(axis)})],
				inputs: {x: randomTensor([2, 3, 4], 100 + opset + (axis ?? 9), -2, 2)},
				output: 'y',
				opset,
			}));
	}
}

type GemmCase = {name: string; a: number[]; b: number[]; c?: number[]; attrs: Record<string, number>; opset?: number};
const gemmCases: GemmCase[] = [
	{name: 'plain, C of shape (N)', a: [3, 4], b: [4, 5], c: [5], attrs: {}},
	{name: 'transA, alpha, beta, C of shape (M, 1)', a: [4, 3], b: [4, 5], c: [3, 1], attrs: {transA: 1, alpha: 0.7, beta: -1}},
	{name: 'transB, full C', a: [3, 4], b: [5, 4], c: [3, 5], attrs: {transB: 1, beta: 0.5}},
	{name: 'transA and transB, scalar C', a: [4, 3], b: [5, 4], c: [], attrs: {transA: 1, transB: 1, alpha: 2}},
	{name: 'without C (opset 13)', a: [3, 4], b: [4, 5], attrs: {alpha: 1.5}},
	{name: 'with C at opset 9 (C required there)', a: [3, 4], b: [5, 4], c: [1, 5], attrs: {transB: 1}, opset: 9},
];
const gemmAttrs = (attrs: Record<string, number>) =>
	Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, k.startsWith('trans') ? attr.int(v) : attr.float(v)]));

for (const [i, g] of gemmCases.entries()) {
	test(`Gemm gradient: ${g.name}`, () =>
		fd({
			nodes: [node('Gemm', g.c ? ['a', 'b', 'c'] : ['a', 'b'], ['y'], gemmAttrs(g.attrs))],
			inputs: {
				a: randomTensor(g.a, 200 + i),
				b: randomTensor(g.b, 210 + i),
				...(g.c ? {c: randomTensor(g.c, 220 + i)} : {}),
			},
			output: 'y',
			opset: g.opset ?? 13,
		}));
}

test('LayerNormalization gradient (axis -1, with bias) w.r.t. X, Scale and B', () =>
	fd({
		nodes: [node('LayerNormalization', ['x', 's', 'b'], ['y'], {epsilon: attr.float(1e-5)})],
		inputs: {x: randomTensor([2, 3, 5], 300, -2, 2), s: randomTensor([5], 301, 0.5, 1.5), b: randomTensor([5], 302)},
		output: 'y',
	}));

test('LayerNormalization gradient over the last two axes (axis 1), no bias, Mean/InvStdDev outputs present', () =>
	fd({
		nodes: [node('LayerNormalization', ['x', 's'], ['y', 'mean', 'inv'], {axis: attr.int(1)})],
		inputs: {x: randomTensor([2, 3, 4], 303, -2, 2), s: randomTensor([3, 4], 304, 0.5, 1.5)},
		output: 'y',
	}));

test('LayerNormalization with a Scale broadcast over the normalised axes (shape (1, 4))', () =>
	fd({
		nodes: [node('LayerNormalization', ['x', 's'], ['y'], {axis: attr.int(-2)})],
		inputs: {x: randomTensor([2, 3, 4], 305, -2, 2), s: randomTensor([1, 4], 306, 0.5, 1.5)},
		output: 'y',
	}));

test('LayerNormalization refuses a graph whose loss depends on InvStdDev', async () => {
	// float32: onnxruntime's InvStdDev is float32 (stash_type) and it has no float64 stash kernel.
	const x = randomTensor32([2, 4], 307);
	const model: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: 17}],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'ln-inv',
			nodes: [
				node('LayerNormalization', ['x', 's'], ['y', '', 'inv']),
				node('Mul', ['y', 'inv'], ['z']),
				node('ReduceSum', ['z'], ['loss'], {keepdims: attr.int(0)}),
			],
			inputs: [{name: 'x', dtype: 'float32', shape: [2, 4]}],
			outputs: [{name: 'loss', dtype: 'float32', shape: []}],
			initializers: new Map([['s', randomTensor32([4], 308)]]),
			valueInfo: [],
		},
	};
	const feeds = {x: fromIr(x)};
	await assert.rejects(
		buildGradientModel(model, {loss: 'loss', wrt: ['x'], probes: [feeds, feeds]}),
		(e: unknown) => e instanceof UnsupportedOpError && /InvStdDev/.test(e.message),
	);
});
