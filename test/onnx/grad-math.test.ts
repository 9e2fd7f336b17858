import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UnsupportedOpError} from '../../source/onnx/autodiff.js';
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {tensorOf, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {checkGradients, node, randomTensor, type FdCase} from '../helpers/fd.js';
import {checkDirectional32, randomTensor32} from '../helpers/fd32.js';

const TOL = 1e-7;
// Float32 directional checks (test/helpers/fd32.ts): the float32 rounding left after extrapolation is a few 1e-6 of
// the derivative, so 5e-5 leaves more than a ten-fold margin; a wrong formula is off by more (even using the tanh
// GELU's derivative for the exact GELU errs by 2e-4 on these data).
const TOL32 = 5e-5;

async function fd(c: FdCase): Promise<void> {
	const r = await checkGradients(c);
	assert.ok(r.checked > 0);
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
}

async function fd32(c: FdCase): Promise<void> {
	const r = await checkDirectional32(c);
	assert.ok(r.maxError < TOL32, `max error ${r.maxError}`);
}

/** Values in [lo, hi) with the sign flipped at random: |x| >= lo, away from the kink of Relu/Abs at 0. */
function awayFromZero(dims: number[], seed: number, lo = 0.1, hi = 1): Tensor {
	const t = randomTensor(dims, seed, lo, hi);
	const sign = randomTensor(dims, seed + 1);
	const d = t.data as Float64Array;
	(sign.data as Float64Array).forEach((s, i) => (d[i] = s < 0 ? -d[i]! : d[i]!));
	return t;
}

/** The engine's gradient of sum(output) w.r.t. `wrt`, as plain numbers (for checks at non-smooth points). */
async function gradientOfSum(nodes: Node[], inputs: Record<string, Tensor>, output: string, wrt: string, opset = 17) {
	const model: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: opset}],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'tie',
			nodes: [...nodes, node('ReduceSum', [output], ['loss'], {keepdims: {type: 'int', value: 0}})],
			inputs: Object.entries(inputs).map(([name, t]) => ({name, dtype: t.dtype, shape: t.dims})),
			outputs: [{name: 'loss', dtype: 'float64', shape: []}],
			initializers: new Map(),
			valueInfo: [],
		},
	};
	const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, fromIr(t)]));
	const {model: gm, gradOutputs} = await buildGradientModel(model, {loss: 'loss', wrt: [wrt], probes: [feeds, feeds]});
	const s = await createSession(encodeModel(gm), {optimization: 'basic'});
	const out = await run(s, feeds);
	await s.release();
	return Array.from(out[gradOutputs[0]!]!.data as Float64Array);
}

const unaryCases: [string, Tensor][] = [
	['Neg', randomTensor([2, 3], 10)],
	['Exp', randomTensor([2, 3], 11)],
	['Log', randomTensor([2, 3], 12, 0.2, 2)],
	['Sqrt', randomTensor([2, 3], 13, 0.2, 2)],
	['Reciprocal', randomTensor([2, 3], 14, 0.3, 2)],
	['Tanh', randomTensor([2, 3], 15, -2, 2)],
	['Sigmoid', randomTensor([2, 3], 16, -3, 3)],
	['Relu', awayFromZero([3, 4], 17)],
];
for (const [op, x] of unaryCases) {
	test(`${op} gradient matches float64 finite differences`, () =>
		fd({nodes: [node(op, ['x'], ['y'])], inputs: {x}, output: 'y'}));
}

test('Erf gradient (float32: directional derivative with Richardson extrapolation, tolerance 5e-5)', () =>
	fd32({nodes: [node('Erf', ['x'], ['y'])], inputs: {x: randomTensor32([3, 4], 20, -2, 2)}, output: 'y'}));

test('Gelu approximate="tanh" gradient at opset 20 matches float64 finite differences', () =>
	fd({
		nodes: [node('Gelu', ['x'], ['y'], {approximate: {type: 'string', value: 'tanh'}})],
		inputs: {x: randomTensor([3, 4], 21, -3, 3)},
		output: 'y',
		opset: 20,
	}));

test('Gelu approximate="none" gradient at opset 20 (float32: directional derivative, tolerance 5e-5)', () =>
	fd32({nodes: [node('Gelu', ['x'], ['y'])], inputs: {x: randomTensor32([3, 4], 22, -3, 3)}, output: 'y', opset: 20}));

test('Div gradient un-broadcasts numerator and denominator', () =>
	fd({
		nodes: [node('Div', ['a', 'b'], ['y'])],
		inputs: {a: randomTensor([2, 3, 4], 30), b: randomTensor([3, 1], 31, 0.5, 1.5)},
		output: 'y',
	}));

test('Pow gradient with a constant scalar exponent (initializer, float64)', () =>
	fd({
		nodes: [node('Pow', ['x', 'e'], ['y'])],
		inputs: {x: randomTensor([2, 3], 32, -1.5, 1.5)},
		initializers: {e: tensorOf('float64', [], [3])},
		output: 'y',
	}));

for (const [exponent, lo] of [[1, -1.5], [2, -1.5], [0.5, 0.2], [-1, 0.3], [2.5, 0.2]] as const) {
	test(`Pow gradient with the constant exponent ${exponent} (special-cased forms and the general one)`, () =>
		fd({
			nodes: [node('Pow', ['x', 'e'], ['y'])],
			inputs: {x: randomTensor([2, 3], 40, lo, 1.5)},
			initializers: {e: tensorOf('float64', [1], [exponent])},
			output: 'y',
		}));
}

test('Pow gradient with a broadcast fractional exponent of another dtype (float32 exponent, float64 base)', () =>
	fd({
		nodes: [node('Pow', ['x', 'e'], ['y'])],
		inputs: {x: randomTensor([2, 1], 33, 0.5, 2)},
		initializers: {e: tensorOf('float32', [3], [0.5, 1.5, -0.75])},
		output: 'y',
	}));

test('Pow refuses an exponent that depends on the differentiated inputs', async () => {
	await assert.rejects(
		checkGradients({
			nodes: [node('Pow', ['x', 'x'], ['y'])],
			inputs: {x: randomTensor([2, 3], 34, 0.5, 2)},
			output: 'y',
		}),
		(e: unknown) => e instanceof UnsupportedOpError && /exponent/.test(e.message),
	);
});

test('Sum gradient with three broadcast inputs', () =>
	fd({
		nodes: [node('Sum', ['a', 'b', 'c'], ['y'])],
		inputs: {a: randomTensor([2, 3, 4], 40), b: randomTensor([4], 41), c: randomTensor([3, 1], 42)},
		output: 'y',
	}));

for (const op of ['Max', 'Min']) {
	test(`${op} gradient with three broadcast inputs (no ties in the data)`, () =>
		fd({
			nodes: [node(op, ['a', 'b', 'c'], ['y'])],
			inputs: {a: randomTensor([2, 3, 4], 43), b: randomTensor([4], 44), c: randomTensor([3, 1], 45)},
			output: 'y',
		}));
}

test('Max splits the gradient evenly between tied inputs', async () => {
	const x = tensorOf('float64', [4], [1, 2, 3, 4]);
	const c = tensorOf('float64', [4], [1, 5, 3, 0]);
	// Ties at positions 0 and 2: each side gets half; position 1 goes to c, position 3 to x.
	assert.deepEqual(await gradientOfSum([node('Max', ['x', 'c'], ['y'])], {x, c}, 'y', 'x'), [0.5, 0, 0.5, 1]);
	assert.deepEqual(await gradientOfSum([node('Max', ['x', 'x', 'c'], ['y'])], {x, c}, 'y', 'x'), [2 / 3, 0, 2 / 3, 1]);
});

test('Clip gradient at opset 13 with min and max inputs, all three differentiated', () =>
	fd({
		nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])],
		// Grid of values 0.05 apart, none within 0.025 of the bounds.
		inputs: {
			x: tensorOf('float64', [2, 6], [-0.9, -0.55, -0.35, -0.1, 0.1, 0.35, 0.55, 0.9, -0.2, 0.2, 0.65, -0.65]),
			lo: tensorOf('float64', [], [-0.425]),
			hi: tensorOf('float64', [], [0.475]),
		},
		output: 'y',
		opset: 13,
	}));

test('Clip gradient at opset 13 with only a max input (min omitted)', () =>
	fd({
		nodes: [node('Clip', ['x', '', 'hi'], ['y'])],
		inputs: {x: tensorOf('float64', [5], [-2, -0.3, 0.1, 0.6, 1.2])},
		initializers: {hi: tensorOf('float64', [], [0.35])},
		output: 'y',
		opset: 13,
	}));

test('Clip gradient with min/max attributes (Clip-6 semantics at opset 10; float32 directional, tolerance 5e-5)', () =>
	fd32({
		nodes: [node('Clip', ['x'], ['y'], {min: {type: 'float', value: -0.4}, max: {type: 'float', value: 0.45}})],
		// Steps of h = 0.02 along a direction in [-1, 1) never cross a bound from these points.
		inputs: {x: tensorOf('float32', [6], [-0.9, -0.3, -0.1, 0.2, 0.35, 0.8])},
		output: 'y',
		opset: 10,
		eps: 0.01,
	}));

for (const [op, opset] of [
	['ReduceMax', 13],
	['ReduceMin', 13],
	['ReduceMax', 18],
	['ReduceMin', 18],
] as const) {
	for (const keepdims of [0, 1]) {
		test(`${op} gradient at opset ${opset}, keepdims=${keepdims}, axes (0, 2)`, () =>
			fd({
				nodes:
					opset >= 18
						? [node(op, ['x', 'axes'], ['y'], {keepdims: {type: 'int', value: keepdims}})]
						: [node(op, ['x'], ['y'], {axes: {type: 'ints', value: [0, -1]}, keepdims: {type: 'int', value: keepdims}})],
				inputs: {x: randomTensor([2, 3, 4], 50 + opset + keepdims)},
				initializers: opset >= 18 ? {axes: tensorOf('int64', [2], [0, -1])} : undefined,
				output: 'y',
				opset,
			}));
	}
}

test('ReduceMax over all axes splits the gradient evenly between tied maxima', async () => {
	const x = tensorOf('float64', [2, 2], [3, 1, 3, 2]);
	const reduce = node('ReduceMax', ['x'], ['y'], {keepdims: {type: 'int', value: 0}});
	assert.deepEqual(await gradientOfSum([reduce], {x}, 'y', 'x', 13), [0.5, 0, 0.5, 0]);
});

test('ReduceL2 gradient at opset 13 over the last axis', () =>
	fd({
		nodes: [node('ReduceL2', ['x'], ['y'], {axes: {type: 'ints', value: [-1]}, keepdims: {type: 'int', value: 0}})],
		inputs: {x: randomTensor([3, 4], 60)},
		output: 'y',
		opset: 13,
	}));
