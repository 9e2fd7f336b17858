import assert from 'node:assert/strict';
import {test} from 'node:test';
import {checkGradients, node, randomTensor} from '../helpers/fd.js';

const TOL = 1e-7;

test('Add gradient un-broadcasts both operands', async () => {
	const r = await checkGradients({
		nodes: [node('Add', ['a', 'b'], ['y'])],
		inputs: {a: randomTensor([2, 3, 4], 1), b: randomTensor([3, 1], 2)},
		output: 'y',
	});
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
});

test('Sub and Mul gradients match finite differences with broadcasting', async () => {
	const r = await checkGradients({
		nodes: [node('Sub', ['a', 'b'], ['d']), node('Mul', ['d', 'a'], ['y'])],
		inputs: {a: randomTensor([2, 3], 3), b: randomTensor([3], 4)},
		output: 'y',
	});
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
});

test('MatMul gradient with batch broadcasting of the right operand', async () => {
	const r = await checkGradients({
		nodes: [node('MatMul', ['x', 'w'], ['y'])],
		inputs: {x: randomTensor([2, 3, 4, 5], 5), w: randomTensor([5, 1], 6)},
		output: 'y',
	});
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
});

test('MatMul gradient with a size-1 batch dimension on the left operand', async () => {
	const r = await checkGradients({
		nodes: [node('MatMul', ['x', 'w'], ['y'])],
		inputs: {x: randomTensor([1, 3, 4], 7), w: randomTensor([2, 4, 2], 8)},
		output: 'y',
	});
	assert.ok(r.maxError < TOL, `max error ${r.maxError}`);
});
