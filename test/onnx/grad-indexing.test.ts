import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {attr, tensorOf} from '../../source/onnx/ir.js';
import {checkGradients, node, randomTensor, type FdCase} from '../helpers/fd.js';

const TOL = 1e-7;

async function expectGrad(c: FdCase): Promise<void> {
	const r = await checkGradients(c);
	assert.ok(r.checked > 0, 'no coordinates checked');
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
}

const i64 = (dims: number[], values: number[]) => tensorOf('int64', dims, values);
const i32 = (dims: number[], values: number[]) => tensorOf('int32', dims, values);

// Opset 11 and 13 take the one-hot path, 16 and 18 the scatter-with-reduction path.
const GATHER_OPSETS = [11, 13, 16, 18];

describe('Gather', () => {
	for (const opset of GATHER_OPSETS) {
		test(`axis 0, 2-D indices with repeated and negative indices (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('Gather', ['x', 'i'], ['y'])],
				inputs: {x: randomTensor([5, 3], 1)},
				initializers: {i: i64([3, 2], [0, -1, 2, 0, 0, 4])},
				output: 'y',
				opset,
			});
		});

		test(`axis 1 of a rank-3 tensor, 2-D int32 indices (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('Gather', ['x', 'i'], ['y'], {axis: attr.int(1)})],
				inputs: {x: randomTensor([2, 4, 3], 2)},
				initializers: {i: i32([3, 2], [1, 1, 3, 0, -1, 2])},
				output: 'y',
				opset,
			});
		});

		test(`axis -1 with scalar indices, positive and negative (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('Gather', ['x', 'i'], ['a'], {axis: attr.int(-1)}), node('Gather', ['x', 'j'], ['b'], {axis: attr.int(-1)}), node('Mul', ['a', 'b'], ['y'])],
				inputs: {x: randomTensor([2, 3, 4], 3)},
				initializers: {i: i64([], [2]), j: i64([], [-1])},
				output: 'y',
				opset,
			});
		});
	}

	test('1-D repeated indices at opset 9 (one-hot against a constant range)', async () => {
		await expectGrad({
			nodes: [node('Gather', ['x', 'i'], ['y'], {axis: attr.int(1)})],
			inputs: {x: randomTensor([2, 4], 4)},
			initializers: {i: i64([5], [3, 0, 3, 3, 1])},
			output: 'y',
			opset: 9,
		});
	});
});

describe('GatherElements', () => {
	for (const opset of GATHER_OPSETS) {
		test(`axis 1 with repeated and negative indices (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('GatherElements', ['x', 'i'], ['y'], {axis: attr.int(1)})],
				inputs: {x: randomTensor([3, 4], 5)},
				initializers: {i: i64([3, 3], [0, 0, -1, 3, 2, 3, 1, -4, 0])},
				output: 'y',
				opset,
			});
		});

		test(`axis 0 with indices smaller than the data on the other axes (opset ${opset})`, async () => {
			await expectGrad({
				nodes: [node('GatherElements', ['x', 'i'], ['y'], {axis: attr.int(-3)})],
				inputs: {x: randomTensor([3, 4, 2], 6)},
				initializers: {i: i32([4, 2, 1], [2, 2, 0, -1, 1, 1, 0, 2])},
				output: 'y',
				opset,
			});
		});
	}
});

type SliceCase = {name: string; x: number[]; starts: number[]; ends: number[]; axes?: number[]; steps?: number[]};

const SLICES: SliceCase[] = [
	{name: 'step 1, clamped out-of-range starts and ends', x: [3, 5], starts: [-100, 1], ends: [1e9, -1], axes: [0, 1]},
	{name: 'negative step from the end to before the start', x: [3, 6], starts: [-1], ends: [-1000], axes: [1], steps: [-2]},
	{name: 'negative step with an out-of-range start', x: [4, 5], starts: [100], ends: [0], axes: [0], steps: [-1]},
	{name: 'axes omitted', x: [4, 5], starts: [1, 0], ends: [3, -1]},
	{name: 'negative axes and mixed steps on several axes', x: [2, 5, 6], starts: [4, 0], ends: [0, 6], axes: [-2, -1], steps: [-2, 3]},
	{name: 'INT64 extremes as bounds', x: [3, 4], starts: [-1], ends: [-9223372036854775807], axes: [1], steps: [-1]},
];

describe('Slice', () => {
	for (const opset of [10, 11, 13, 18]) {
		for (const c of SLICES) {
			test(`${c.name} (opset ${opset})`, async () => {
				const inputs = ['x', 's', 'e', c.axes ? 'a' : '', ...(c.steps ? ['p'] : [])];
				const initializers = {
					s: i64([c.starts.length], c.starts),
					e: i64([c.ends.length], c.ends),
					...(c.axes ? {a: i64([c.axes.length], c.axes)} : {}),
					...(c.steps ? {p: i64([c.steps.length], c.steps)} : {}),
				};
				await expectGrad({nodes: [node('Slice', inputs, ['y'])], inputs: {x: randomTensor(c.x, 7)}, initializers, output: 'y', opset});
			});
		}
	}

	test('bounds computed at run time, int32, negative step (opset 13)', async () => {
		await expectGrad({
			nodes: [node('Slice', ['x', 's', 'e', 'a', 'p'], ['y'])],
			inputs: {x: randomTensor([3, 7], 8), s: i32([2], [-1, 6]), e: i32([2], [-10, 0])},
			initializers: {a: i32([2], [0, -1]), p: i32([2], [-1, -3])},
			output: 'y',
			opset: 13,
		});
	});

	test('bounds computed at run time, step omitted (opset 11)', async () => {
		await expectGrad({
			nodes: [node('Slice', ['x', 's', 'e'], ['y'])],
			inputs: {x: randomTensor([4, 5], 9), s: i64([2], [1, -3]), e: i64([2], [100, -1])},
			output: 'y',
			opset: 11,
		});
	});

	test('starts, ends and axes as attributes (opset 9)', async () => {
		await expectGrad({
			nodes: [node('Slice', ['x'], ['y'], {starts: attr.ints([-3, 1]), ends: attr.ints([1000, 3]), axes: attr.ints([1, 0])})],
			inputs: {x: randomTensor([4, 5], 10)},
			output: 'y',
			opset: 9,
		});
	});

	test('axes computed at run time are refused', async () => {
		await assert.rejects(
			() =>
				checkGradients({
					nodes: [node('Slice', ['x', 's', 'e', 'a'], ['y'])],
					inputs: {x: randomTensor([4, 5], 11), a: i64([1], [1])},
					initializers: {s: i64([1], [1]), e: i64([1], [3])},
					output: 'y',
					opset: 13,
				}),
			{name: 'UnsupportedOpError', message: /Slice node .*axes must be fixed/},
		);
	});
});

describe('Pad (constant mode)', () => {
	test('pads as attribute with a crop (opset 10)', async () => {
		await expectGrad({
			nodes: [node('Pad', ['x'], ['y'], {pads: attr.ints([1, -1, 0, 2]), value: attr.float(0.5)})],
			inputs: {x: randomTensor([3, 4], 12)},
			output: 'y',
			opset: 10,
		});
	});

	test('pads and constant value as inputs, both differentiated where they can be (opset 13)', async () => {
		await expectGrad({
			nodes: [node('Pad', ['x', 'p', 'v'], ['y'])],
			inputs: {x: randomTensor([3, 4], 13), v: randomTensor([], 14), p: i64([4], [0, 2, -1, 1])},
			output: 'y',
			opset: 13,
			wrt: ['x', 'v'],
		});
	});

	test('pads on selected axes (opset 18)', async () => {
		await expectGrad({
			nodes: [node('Pad', ['x', 'p', '', 'a'], ['y'])],
			inputs: {x: randomTensor([2, 3, 4], 15)},
			initializers: {p: i64([4], [1, -1, 2, 1]), a: i64([2], [-1, 0])},
			output: 'y',
			opset: 18,
		});
	});

	test('reflect mode is refused with a clear message', async () => {
		await assert.rejects(
			() =>
				checkGradients({
					nodes: [node('Pad', ['x', 'p'], ['y'], {mode: attr.string('reflect')})],
					inputs: {x: randomTensor([3, 4], 16)},
					initializers: {p: i64([4], [0, 1, 0, 1])},
					output: 'y',
					opset: 13,
				}),
			{name: 'UnsupportedOpError', message: /Pad node .*mode "reflect"/},
		);
	});
});
