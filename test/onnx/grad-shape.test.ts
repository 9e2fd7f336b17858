import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {attr, tensorOf, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {createSession, fromIr, run, type Feeds} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {checkGradients, node, randomTensor, type FdCase} from '../helpers/fd.js';

const TOL = 1e-7;

async function expectGrad(c: FdCase, tol = TOL): Promise<void> {
	const r = await checkGradients(c);
	assert.ok(r.checked > 0, 'no coordinates checked');
	assert.ok(r.maxError < tol, `max error ${r.maxError}`);
}

const i64 = (dims: number[], values: number[]) => tensorOf('int64', dims, values);
const bools = (dims: number[], values: number[]) => tensorOf('bool', dims, values);

describe('layout ops', () => {
	test('Transpose with an explicit perm and with the default (reversed) perm', async () => {
		await expectGrad({
			nodes: [node('Transpose', ['x'], ['t'], {perm: attr.ints([2, 0, 1])}), node('Transpose', ['t'], ['y'])],
			inputs: {x: randomTensor([2, 3, 4], 1)},
			output: 'y',
		});
	});

	for (const opset of [13, 14]) {
		test(`Reshape with 0 and -1 in the shape (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('Reshape', ['x', 's'], ['y'])],
				inputs: {x: randomTensor([2, 3, 4], 2)},
				initializers: {s: i64([3], [0, -1, 2])},
				output: 'y',
				opset,
			});
		});
	}

	test('Squeeze and Unsqueeze with axes as attributes (opset 11)', async () => {
		await expectGrad({
			nodes: [node('Squeeze', ['x'], ['s'], {axes: attr.ints([1])}), node('Unsqueeze', ['s'], ['y'], {axes: attr.ints([0, -1])})],
			inputs: {x: randomTensor([2, 1, 3], 3)},
			output: 'y',
			opset: 11,
		});
	});

	test('Squeeze and Unsqueeze with axes as inputs (opset 13), Squeeze without axes', async () => {
		await expectGrad({
			nodes: [node('Squeeze', ['x'], ['s']), node('Unsqueeze', ['s', 'a'], ['y'])],
			inputs: {x: randomTensor([1, 2, 1, 3], 4)},
			initializers: {a: i64([2], [0, -1])},
			output: 'y',
			opset: 13,
		});
	});

	test('Flatten at axis 2', async () => {
		await expectGrad({
			nodes: [node('Flatten', ['x'], ['y'], {axis: attr.int(2)})],
			inputs: {x: randomTensor([2, 3, 4, 2], 5)},
			output: 'y',
		});
	});

	test('Identity', async () => {
		await expectGrad({nodes: [node('Identity', ['x'], ['y'])], inputs: {x: randomTensor([3, 2], 6)}, output: 'y'});
	});
});

describe('broadcasting and pass-through ops', () => {
	test('Expand sums over new leading axes and broadcast size-1 axes', async () => {
		await expectGrad({
			nodes: [node('Expand', ['x', 's'], ['y'])],
			inputs: {x: randomTensor([3, 1], 7)},
			initializers: {s: i64([3], [2, 3, 4])},
			output: 'y',
		});
	});

	test('Expand of a scalar, and Expand to a shape of lower rank', async () => {
		await expectGrad({
			nodes: [node('Expand', ['x', 's'], ['e']), node('Expand', ['z', 't'], ['f']), node('Add', ['e', 'f'], ['y'])],
			inputs: {x: randomTensor([], 8), z: randomTensor([2, 1, 3], 9)},
			initializers: {s: i64([2], [4, 3]), t: i64([2], [4, 1])},
			output: 'y',
		});
	});

	test('Where with both branches and the condition broadcast', async () => {
		await expectGrad({
			nodes: [node('Where', ['c', 'x', 'z'], ['y'])],
			inputs: {x: randomTensor([3, 1], 10), z: randomTensor([4], 11)},
			initializers: {c: bools([2, 1, 4], [1, 0, 0, 1, 0, 1, 1, 0])},
			output: 'y',
		});
	});

	test('Where with a scalar branch, opset 9', async () => {
		await expectGrad({
			nodes: [node('Where', ['c', 'x', 'z'], ['y'])],
			inputs: {x: randomTensor([2, 3], 12), z: randomTensor([], 13)},
			initializers: {c: bools([3], [1, 0, 1])},
			output: 'y',
			opset: 9,
		});
	});

	test('Cast float64 -> float32 -> float64: the gradient comes back as float64', async () => {
		// Values on a 1/1024 grid and a power-of-two step keep the float32 forward pass exact; the gradient itself
		// passes through float32, hence the float32 tolerance.
		const values = Array.from({length: 6}, (_, i) => (i * 37 - 100) / 1024);
		await expectGrad(
			{
				nodes: [
					node('Cast', ['x'], ['h'], {to: attr.int(1)}),
					node('Mul', ['h', 'h'], ['sq']),
					node('Cast', ['sq'], ['d'], {to: attr.int(11)}),
					node('Cast', ['d'], ['y'], {to: attr.int(11)}),
				],
				inputs: {x: tensorOf('float64', [2, 3], values)},
				output: 'y',
				eps: 1 / 64,
			},
			1e-6,
		);
	});

	test('Dropout in inference (opset 12 with ratio input and mask output, opset 10 with attribute)', async () => {
		await expectGrad({
			nodes: [node('Dropout', ['x', 'r'], ['y', 'mask'])],
			inputs: {x: randomTensor([2, 3], 14)},
			initializers: {r: tensorOf('float64', [], [0.3])},
			output: 'y',
			opset: 12,
		});
		await expectGrad({
			nodes: [node('Dropout', ['x'], ['y'], {ratio: attr.float(0.5)})],
			inputs: {x: randomTensor([2, 3], 15)},
			output: 'y',
			opset: 10,
		});
	});

	test('Dropout in training mode is refused', async () => {
		await assert.rejects(
			() =>
				checkGradients({
					nodes: [node('Dropout', ['x', 'r', 't'], ['y'])],
					inputs: {x: randomTensor([2, 3], 16)},
					initializers: {r: tensorOf('float64', [], [0]), t: bools([], [1])},
					output: 'y',
					opset: 13,
				}),
			{name: 'UnsupportedOpError', message: /Dropout node .*training_mode/},
		);
	});
});

describe('Concat, Split, Trilu', () => {
	for (const opset of [9, 11, 13]) {
		test(`Concat of unequal sizes on a negative axis, one input constant (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('Concat', ['a', 'k', 'b', 'a'], ['y'], {axis: attr.int(-2)})],
				inputs: {a: randomTensor([2, 1, 3], 17), b: randomTensor([2, 4, 3], 18)},
				initializers: {k: randomTensor([2, 2, 3], 19)},
				output: 'y',
				opset,
			});
		});
	}

	test('Split with unequal sizes as an attribute, middle output unused (opset 11)', async () => {
		await expectGrad({
			nodes: [
				node('Split', ['x'], ['p', 'q', 'r'], {axis: attr.int(1), split: attr.ints([1, 3, 2])}),
				node('Concat', ['r', 'p'], ['y'], {axis: attr.int(1)}),
			],
			inputs: {x: randomTensor([2, 6], 20)},
			output: 'y',
			opset: 11,
		});
	});

	test('Split with unequal sizes as an input on a negative axis (opset 13)', async () => {
		await expectGrad({
			nodes: [node('Split', ['x', 's'], ['p', 'q', 'r'], {axis: attr.int(-1)}), node('Mul', ['q', 'q'], ['y'])],
			inputs: {x: randomTensor([2, 6], 21)},
			initializers: {s: i64([3], [2, 3, 1])},
			output: 'y',
			opset: 13,
		});
	});

	test('Split with num_outputs and a shorter last piece (opset 18)', async () => {
		await expectGrad({
			nodes: [node('Split', ['x'], ['p', 'q', 'r'], {axis: attr.int(0), num_outputs: attr.int(3)}), node('Concat', ['r', 'p'], ['y'], {axis: attr.int(0)})],
			inputs: {x: randomTensor([8, 2], 22)},
			output: 'y',
			opset: 18,
		});
	});

	test('Split into equal pieces without sizes (opset 11)', async () => {
		await expectGrad({
			nodes: [node('Split', ['x'], ['p', 'q'], {axis: attr.int(1)}), node('Mul', ['p', 'q'], ['y'])],
			inputs: {x: randomTensor([3, 4], 23)},
			output: 'y',
			opset: 11,
		});
	});

	for (const [upper, k] of [[1, 1], [0, -1], [1, 0]] as const) {
		test(`Trilu upper=${upper} k=${k}`, async () => {
			await expectGrad({
				nodes: [node('Trilu', ['x', 'k'], ['y'], {upper: attr.int(upper)})],
				inputs: {x: randomTensor([2, 3, 4], 24 + k)},
				initializers: {k: i64([], [k])},
				output: 'y',
				opset: 14,
			});
		});
	}

	test('Trilu without k (default lower diagonal included)', async () => {
		await expectGrad({nodes: [node('Trilu', ['x'], ['y'], {upper: attr.int(0)})], inputs: {x: randomTensor([4, 3], 27)}, output: 'y', opset: 14});
	});
});

/**
 * Shapes that vary with the input: the gradient graph is built from probes at sizes 2 and 3 (so the varying
 * dimensions are unknown when rules run) and evaluated at size 4 against central differences of sum(y * y).
 */
async function checkDynamic(c: {nodes: Node[]; inputs: (n: number) => Record<string, Tensor>; initializers?: Record<string, Tensor>; output: string; wrt: string[]; opset?: number}): Promise<number> {
	const feedsAt = (n: number): Feeds => Object.fromEntries(Object.entries(c.inputs(n)).map(([k, t]) => [k, fromIr(t)]));
	const sample = c.inputs(4);
	const model: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: c.opset ?? 17}],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'dynamic',
			nodes: [...c.nodes, node('Mul', [c.output, c.output], ['sq']), node('ReduceSum', ['sq'], ['loss'], {keepdims: attr.int(0)})],
			inputs: Object.entries(sample).map(([name, t]) => ({name, dtype: t.dtype, shape: t.dims.map((_, i) => `d${name}${i}`)})),
			outputs: [{name: 'loss', dtype: 'float64', shape: []}],
			initializers: new Map(Object.entries(c.initializers ?? {})),
			valueInfo: [],
		},
	};
	const {model: gm, gradOutputs} = await buildGradientModel(model, {loss: 'loss', wrt: c.wrt, probes: [feedsAt(2), feedsAt(3)]});
	const feeds = feedsAt(4);
	const gs = await createSession(encodeModel(gm), {optimization: 'basic'});
	const analytic = await run(gs, feeds);
	const fs = await createSession(encodeModel(model), {optimization: 'basic'});
	const loss = async (w: string, values: Float64Array) => (await run(fs, {...feeds, [w]: fromIr({dtype: 'float64', dims: [...feeds[w]!.dims], data: values})})).loss!.data[0] as number;
	let maxError = 0;
	for (const [i, w] of c.wrt.entries()) {
		const grad = analytic[gradOutputs[i]!]!.data as Float64Array;
		const base = feeds[w]!.data as Float64Array;
		assert.equal(grad.length, base.length, `gradient of ${w} has the wrong size`);
		for (let j = 0; j < base.length; j++) {
			const values = new Float64Array(base);
			values[j] = base[j]! + 1e-6;
			const plus = await loss(w, values);
			values[j] = base[j]! - 1e-6;
			const numeric = (plus - (await loss(w, values))) / 2e-6;
			maxError = Math.max(maxError, Math.abs(grad[j]! - numeric) / Math.max(1, Math.abs(numeric)));
		}
	}
	await gs.release();
	await fs.release();
	return maxError;
}

describe('dynamic shapes', () => {
	test('Concat, Expand and Reshape with a varying sequence length', async () => {
		const err = await checkDynamic({
			nodes: [
				node('Concat', ['a', 'b'], ['c'], {axis: attr.int(1)}),
				node('Shape', ['c'], ['shape']),
				node('Expand', ['v', 'shape'], ['e']),
				node('Mul', ['c', 'e'], ['m']),
				node('Reshape', ['m', 'flat'], ['y']),
			],
			inputs: n => ({a: randomTensor([2, n], 30), b: randomTensor([2, n + 1], 31), v: randomTensor([1, 1], 32)}),
			initializers: {flat: i64([1], [-1])},
			output: 'y',
			wrt: ['a', 'b', 'v'],
		});
		assert.ok(err < TOL, `max error ${err}`);
	});

	test('Split with num_outputs on a varying axis (opset 18)', async () => {
		const err = await checkDynamic({
			nodes: [node('Split', ['x'], ['p', 'q'], {axis: attr.int(1), num_outputs: attr.int(2)}), node('Mul', ['p', 'p'], ['y'])],
			inputs: n => ({x: randomTensor([2, 2 * n], 33)}),
			output: 'y',
			wrt: ['x'],
			opset: 18,
		});
		assert.ok(err < TOL, `max error ${err}`);
	});

	for (const opset of [13, 18]) {
		test(`Slice with a negative step and Gather on a varying axis (opset ${opset})`, async () => {
			const err = await checkDynamic({
				nodes: [
					node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['s']),
					node('Gather', ['s', 'idx'], ['g'], {axis: attr.int(1)}),
					node('GatherElements', ['s', 'ge'], ['h'], {axis: attr.int(0)}),
					node('Add', ['g', 'h'], ['y']),
				],
				inputs: n => ({x: randomTensor([3, 2 * n], 34)}),
				initializers: {st: i64([1], [-1]), en: i64([1], [-1000]), ax: i64([1], [1]), sp: i64([1], [-2]), idx: i64([2], [0, -1]), ge: i64([3, 2], [0, 2, -1, 0, 1, 1])},
				output: 'y',
				wrt: ['x'],
				opset,
			});
			assert.ok(err < TOL, `max error ${err}`);
		});
	}
});
