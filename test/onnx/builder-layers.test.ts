/**
 * Shared builder layers on their own: the float64 erf built from double-precision ops (onnxruntime has no float64
 * Erf kernel) and its gradient, and the rounding of constants to the checkpoint's type.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {GraphBuilder} from '../../source/onnx/graph-builder.js';
import {roundLikeTorch} from '../../source/onnx/builders/hf-config.js';
import {erf} from '../../source/onnx/builders/layers.js';
import {tensorOf, type Graph, type Model} from '../../source/onnx/ir.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {checkGradients} from '../helpers/fd.js';
import {erf as referenceErf} from '../helpers/lm-reference.js';

/** A graph y = erf(x) for a float64 vector x, as the builders emit it. */
function erfGraph(n: number): {graph: Graph; nodes: Graph['nodes']; initializers: Graph['initializers']} {
	const graph: Graph = {name: 'erf', nodes: [], inputs: [{name: 'x', dtype: 'float64', shape: [n]}], outputs: [{name: 'y', dtype: 'float64', shape: [n]}], initializers: new Map(), valueInfo: []};
	const b = new GraphBuilder(graph, 17, 'test');
	b.opInto('y', 'Identity', [erf(b, 'x', 'float64')]);
	return {graph, nodes: graph.nodes, initializers: graph.initializers};
}

test('float64 erf: within 4e-15 of the reference from -8 to 8 (both sides of the 2.5 switch) and exactly +-1 far out', async () => {
	const xs = [...Array.from({length: 3201}, (_, i) => -8 + i * 0.005), 2.5, -2.5, 2.4999999, 40, -1e3, 1e6, 0];
	const {graph} = erfGraph(xs.length);
	const model: Model = {irVersion: 8, opsets: [{domain: '', version: 17}], producerName: 'test', producerVersion: '', metadata: {}, graph};
	const s = await createSession(encodeModel(model), {optimization: 'basic'});
	const y = (await run(s, {x: fromIr(tensorOf('float64', [xs.length], xs))})).y!.data as Float64Array;
	let worst = 0;
	xs.forEach((x, i) => {
		worst = Math.max(worst, Math.abs(y[i]! - referenceErf(x)));
	});
	assert.ok(worst < 4e-15, `worst absolute error ${worst}`);
	assert.deepEqual([...y.slice(-4)], [1, -1, 1, 0]);
	await s.release();
});

test('float64 erf: the gradient equals finite differences, also across the switch and far from zero', async () => {
	const xs = [-5, -2.6, -2.4, -1, -0.3, 0, 0.2, 1.1, 2.45, 2.55, 3.7, 7];
	const {nodes, initializers} = erfGraph(xs.length);
	const result = await checkGradients({nodes, initializers: Object.fromEntries(initializers), inputs: {x: tensorOf('float64', [xs.length], xs)}, output: 'y'});
	assert.equal(result.checked, xs.length);
	assert.ok(result.maxError < 1e-7, `max error ${result.maxError}`);
});

test('roundLikeTorch: float32 first, then bfloat16 or float16 with ties to even', () => {
	assert.equal(roundLikeTorch(Math.sqrt(2048)), Math.fround(Math.sqrt(2048)));
	assert.equal(roundLikeTorch(Math.sqrt(2048), 'bfloat16'), 45.25);
	assert.equal(roundLikeTorch(Math.sqrt(3072), 'bfloat16'), 55.5);
	assert.equal(roundLikeTorch(Math.sqrt(2304), 'bfloat16'), 48);
	assert.equal(roundLikeTorch(Math.sqrt(3072), 'float16'), 55.4375);
	// 1 + 2^-8 lies halfway between two bfloat16 values (1 and 1 + 2^-7): ties go to the even one, 1.
	assert.equal(roundLikeTorch(1 + 2 ** -8, 'bfloat16'), 1);
	assert.equal(roundLikeTorch(1 + 3 * 2 ** -8, 'bfloat16'), 1 + 2 ** -6);
	assert.equal(roundLikeTorch(-3.3, 'float16'), -3.30078125);
});
