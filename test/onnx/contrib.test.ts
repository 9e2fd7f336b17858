import assert from 'node:assert/strict';
import {test} from 'node:test';
import {decomposeContribOps} from '../../source/onnx/decompose.js';
import {attr, tensorOf, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {checkGradients, node, randomTensor, type FdCase} from '../helpers/fd.js';
import {checkDirectional32, randomTensor32} from '../helpers/fd32.js';

const MS = [{domain: 'com.microsoft', version: 1}];
// Decomposed graph vs onnxruntime's float32 kernel: both round in float32, in a different order.
const KERNEL_TOL = 1e-5;
const FD_TOL = 1e-7;
// See test/onnx/grad-math.test.ts and test/helpers/fd32.ts for this float32 tolerance.
const FD32_TOL = 5e-5;

type Tensors = Record<string, Tensor>;

const ms = (op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}) =>
	node(op, inputs, outputs, attrs, 'com.microsoft');

function modelOf(nodes: Node[], inputs: Tensors, outputs: string[], initializers: Tensors = {}): Model {
	return {
		irVersion: 8,
		opsets: [{domain: '', version: 17}, ...MS],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'contrib',
			nodes: [...nodes],
			inputs: Object.entries(inputs).map(([name, t]) => ({name, dtype: t.dtype, shape: t.dims})),
			outputs: outputs.map(name => ({name, dtype: 'float32', untyped: true})),
			initializers: new Map(Object.entries(initializers)),
			valueInfo: [],
		},
	};
}

/** The graph with its contrib ops decomposed (and a check that none is left). */
function decomposed(m: Model): Model {
	const before = m.graph.nodes.filter(n => n.domain === 'com.microsoft' || n.op === 'SimplifiedLayerNormalization').length;
	assert.equal(decomposeContribOps(m), before);
	assert.ok(m.graph.nodes.every(n => n.domain === '' && n.op !== 'SimplifiedLayerNormalization'));
	return m;
}

async function outputsOf(m: Model, inputs: Tensors, names: string[]): Promise<Float32Array[]> {
	const s = await createSession(encodeModel(m), {optimization: 'disabled'});
	const out = await run(s, Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, fromIr(t)])));
	await s.release();
	return names.map(n => out[n]!.data as Float32Array);
}

/** Run the contrib node with onnxruntime's kernel and its decomposition (float32); compare every output. */
async function sameAsKernel(nodes: Node[], inputs: Tensors, outputs: string[], initializers: Tensors = {}) {
	const expected = await outputsOf(modelOf(nodes, inputs, outputs, initializers), inputs, outputs);
	const actual = await outputsOf(decomposed(modelOf(nodes, inputs, outputs, initializers)), inputs, outputs);
	for (const [i, name] of outputs.entries()) {
		assert.equal(actual[i]!.length, expected[i]!.length, `${name}: size`);
		expected[i]!.forEach((e, j) => {
			const err = Math.abs(actual[i]![j]! - e) / Math.max(1, Math.abs(e));
			assert.ok(err <= KERNEL_TOL, `${name}[${j}]: decomposed ${actual[i]![j]} vs kernel ${e}`);
		});
	}
}

/** The FD case with its contrib nodes replaced by their decomposition. */
function decomposedCase(c: FdCase): FdCase {
	const m = decomposed(modelOf(c.nodes, c.inputs, [c.output], c.initializers));
	return {...c, nodes: m.graph.nodes, initializers: Object.fromEntries(m.graph.initializers), extraOpsets: MS};
}

async function fd(c: FdCase): Promise<void> {
	const r = await checkGradients(decomposedCase(c));
	assert.ok(r.checked > 0);
	assert.ok(r.maxError < FD_TOL, `max error ${r.maxError}`);
}

async function fd32(c: FdCase): Promise<void> {
	const r = await checkDirectional32(decomposedCase(c));
	assert.ok(r.maxError < FD32_TOL, `max error ${r.maxError}`);
}

const eps = (v: number) => ({epsilon: attr.float(v)});
const r32 = randomTensor32;
const r64 = randomTensor;

// --- normalisations ---

test('SimplifiedLayerNormalization (default domain) decomposition equals the kernel, with inv_std_var', () =>
	sameAsKernel(
		[node('SimplifiedLayerNormalization', ['x', 'g'], ['y', 'inv'])],
		{x: r32([2, 3, 8], 1, -2, 2), g: r32([8], 2)},
		['y', 'inv'],
	));

test('SimplifiedLayerNormalization over the last two axes (axis 1 of a declared 3-D input) equals the kernel', () =>
	sameAsKernel(
		[node('SimplifiedLayerNormalization', ['x', 'g'], ['y'], {axis: attr.int(1), ...eps(1e-3)})],
		{x: r32([2, 3, 4], 3, -2, 2), g: r32([3, 4], 4)},
		['y'],
	));

test('SkipLayerNormalization with beta and bias equals the kernel on all four outputs', () =>
	sameAsKernel(
		[ms('SkipLayerNormalization', ['x', 's', 'g', 'be', 'bi'], ['y', 'mean', 'inv', 'sum'], eps(1e-5))],
		{x: r32([2, 3, 8], 5, -2, 2), s: r32([2, 3, 8], 6), g: r32([8], 7), be: r32([8], 8), bi: r32([8], 9)},
		['y', 'mean', 'inv', 'sum'],
	));

// Inputs of amplitude 1e-3 (variance ~1e-7), so that the default epsilon (1e-12) is told apart from, e.g., 1e-5.
test('SkipLayerNormalization with a (seq, hidden) skip, no beta/bias, default epsilon equals the kernel', () =>
	sameAsKernel(
		[ms('SkipLayerNormalization', ['x', 's', 'g'], ['y'])],
		{x: r32([2, 3, 8], 10, -1e-3, 1e-3), s: r32([3, 8], 11, -1e-3, 1e-3), g: r32([8], 12)},
		['y'],
	));

test('SkipSimplifiedLayerNormalization with the default epsilon equals the kernel', () =>
	sameAsKernel(
		[ms('SkipSimplifiedLayerNormalization', ['x', 's', 'g'], ['y'])],
		{x: r32([2, 3, 8], 17, -1e-3, 1e-3), s: r32([2, 3, 8], 18, -1e-3, 1e-3), g: r32([8], 19)},
		['y'],
	));

test('SkipSimplifiedLayerNormalization with bias (input 3) equals the kernel, with inv_std_var and the sum', () =>
	sameAsKernel(
		[ms('SkipSimplifiedLayerNormalization', ['x', 's', 'g', 'bi'], ['y', '', 'inv', 'sum'], eps(1e-6))],
		{x: r32([2, 3, 8], 13, -2, 2), s: r32([1, 3, 8], 14), g: r32([8], 15), bi: r32([8], 16)},
		['y', 'inv', 'sum'],
	));

test('SimplifiedLayerNormalization gradient through the decomposition (float64 FD)', () =>
	fd({
		nodes: [node('SimplifiedLayerNormalization', ['x', 'g'], ['y'])],
		inputs: {x: r64([2, 3, 6], 20, -2, 2), g: r64([6], 21)},
		output: 'y',
	}));

test('SkipLayerNormalization gradient through the decomposition, output and residual sum both used (float64 FD)', () =>
	fd({
		nodes: [
			ms('SkipLayerNormalization', ['x', 's', 'g', 'be', 'bi'], ['n', '', '', 'sum'], eps(1e-5)),
			node('Mul', ['n', 'sum'], ['y']),
		],
		inputs: {x: r64([2, 3, 6], 22, -2, 2), s: r64([3, 6], 23), g: r64([6], 24), be: r64([6], 25), bi: r64([6], 26)},
		output: 'y',
	}));

test('SkipSimplifiedLayerNormalization gradient through the decomposition, with bias (float64 FD)', () =>
	fd({
		nodes: [ms('SkipSimplifiedLayerNormalization', ['x', 's', 'g', 'bi'], ['n', '', '', 'sum']), node('Add', ['n', 'sum'], ['y'])],
		inputs: {x: r64([2, 3, 6], 27, -2, 2), s: r64([2, 3, 6], 28), g: r64([6], 29), bi: r64([6], 30)},
		output: 'y',
	}));

// --- GELU variants ---

test('FastGelu decomposition equals the kernel, with and without bias', async () => {
	const x = r32([2, 3, 8], 40, -4, 4);
	await sameAsKernel([ms('FastGelu', ['x', 'b'], ['y'])], {x, b: r32([8], 41)}, ['y']);
	await sameAsKernel([ms('FastGelu', ['x'], ['y'])], {x}, ['y']);
});

test('QuickGelu decomposition equals the kernel, default alpha (1.702) and alpha = 1', async () => {
	const x = r32([2, 3, 8], 42, -4, 4);
	await sameAsKernel([ms('QuickGelu', ['x'], ['y'])], {x}, ['y']);
	await sameAsKernel([ms('QuickGelu', ['x'], ['y'], {alpha: attr.float(1)})], {x}, ['y']);
});

test('BiasGelu and com.microsoft Gelu decompositions equal the kernels', async () => {
	const x = r32([2, 3, 8], 43, -4, 4);
	await sameAsKernel([ms('BiasGelu', ['x', 'b'], ['y'])], {x, b: r32([8], 44)}, ['y']);
	await sameAsKernel([ms('Gelu', ['x'], ['y'])], {x}, ['y']);
});

test('FastGelu gradient through the decomposition, with bias (float64 FD)', () =>
	fd({nodes: [ms('FastGelu', ['x', 'b'], ['y'])], inputs: {x: r64([2, 5], 45, -3, 3), b: r64([5], 46)}, output: 'y'}));

test('QuickGelu gradient through the decomposition (float64 FD)', () =>
	fd({nodes: [ms('QuickGelu', ['x'], ['y'], {alpha: attr.float(1.5)})], inputs: {x: r64([2, 5], 47, -3, 3)}, output: 'y'}));

test('BiasGelu gradient through the decomposition (float32: directional derivative, tolerance 5e-5)', () =>
	fd32({nodes: [ms('BiasGelu', ['x', 'b'], ['y'])], inputs: {x: r32([2, 5], 48, -3, 3), b: r32([5], 49)}, output: 'y'}));

test('com.microsoft Gelu gradient through the decomposition (float32: directional derivative, tolerance 5e-5)', () =>
	fd32({nodes: [ms('Gelu', ['x'], ['y'])], inputs: {x: r32([2, 5], 50, -3, 3)}, output: 'y'}));

// --- RotaryEmbedding ---

/** cos/sin caches of (positions, width) for base-10000 frequencies, in `dtype`. */
function caches(positions: number, width: number, dtype: 'float32' | 'float64'): {cos: Tensor; sin: Tensor} {
	const angles = Array.from({length: positions * width}, (_, i) => Math.floor(i / width) * 10000 ** (-(i % width) / width));
	return {cos: tensorOf(dtype, [positions, width], angles.map(Math.cos)), sin: tensorOf(dtype, [positions, width], angles.map(Math.sin))};
}

const ids = (dims: number[], values: number[]) => tensorOf('int64', dims, values);
type RopeCase = {name: string; x: number[]; positions: Tensor; width: number; attrs: Record<string, number>};
const ropeCases: RopeCase[] = [
	{name: '3-D, per-token positions', x: [2, 3, 8], positions: ids([2, 3], [0, 1, 2, 4, 2, 5]), width: 2, attrs: {}},
	{name: '3-D, one start position', x: [2, 3, 8], positions: ids([1], [2]), width: 2, attrs: {}},
	{name: '3-D interleaved', x: [2, 3, 8], positions: ids([2, 3], [3, 1, 0, 5, 4, 2]), width: 2, attrs: {interleaved: 1}},
	{name: '4-D (batch, heads, seq, head)', x: [2, 2, 3, 4], positions: ids([2, 3], [0, 1, 2, 3, 4, 5]), width: 2, attrs: {}},
	{name: '4-D interleaved, one start position', x: [2, 2, 3, 4], positions: ids([1], [1]), width: 2, attrs: {interleaved: 1}},
	{
		name: '3-D partial rotation (rotary_embedding_dim 4 of head 8)',
		x: [2, 3, 16],
		positions: ids([1], [0]),
		width: 2,
		attrs: {rotary_embedding_dim: 4, num_heads: 2},
	},
	{
		name: '4-D partial interleaved rotation',
		x: [1, 2, 3, 8],
		positions: ids([1, 3], [2, 0, 1]),
		width: 2,
		attrs: {rotary_embedding_dim: 4, num_heads: 2, interleaved: 1},
	},
	{
		name: 'partial rotation with a head/2-wide cache (read with stride rotary_dim/2)',
		x: [1, 3, 16],
		positions: ids([1], [1]),
		width: 4,
		attrs: {rotary_embedding_dim: 4, num_heads: 2},
	},
];

const ropeNode = (c: RopeCase) =>
	ms('RotaryEmbedding', ['x', 'p', 'cos', 'sin'], ['y'], Object.fromEntries(Object.entries(c.attrs).map(([k, v]) => [k, attr.int(v)])));

for (const [i, c] of ropeCases.entries()) {
	test(`RotaryEmbedding decomposition equals the kernel: ${c.name}`, () => {
		const {cos, sin} = caches(8, c.width, 'float32');
		return sameAsKernel([ropeNode(c)], {x: r32(c.x, 60 + i), p: c.positions, cos, sin}, ['y']);
	});
	test(`RotaryEmbedding gradient through the decomposition (float64 FD): ${c.name}`, () => {
		const {cos, sin} = caches(8, c.width, 'float64');
		return fd({nodes: [ropeNode(c)], inputs: {x: r64(c.x, 70 + i), p: c.positions}, initializers: {cos, sin}, output: 'y'});
	});
}
