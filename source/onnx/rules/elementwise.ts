/**
 * Gradients of elementwise arithmetic with broadcasting.
 */
import {registerGrad} from '../autodiff.js';

registerGrad('Add', {
	rule: ({node, dy, needs, unbroadcast}) => {
		const [a, b] = node.inputs;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		return [needs[0] ? unbroadcast(g, a!, y) : undefined, needs[1] ? unbroadcast(g, b!, y) : undefined];
	},
});

registerGrad('Sub', {
	rule: ({b, node, dy, needs, unbroadcast}) => {
		const [x, z] = node.inputs;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		return [needs[0] ? unbroadcast(g, x!, y) : undefined, needs[1] ? unbroadcast(b.op('Neg', [g]), z!, y) : undefined];
	},
});

registerGrad('Mul', {
	rule: ({b, node, dy, needs, unbroadcast}) => {
		const [x, z] = node.inputs;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		return [
			needs[0] ? unbroadcast(b.op('Mul', [g, z!]), x!, y) : undefined,
			needs[1] ? unbroadcast(b.op('Mul', [g, x!]), z!, y) : undefined,
		];
	},
});

registerGrad('MatMul', {
	rule: ({b, node, dy, needs, shape, unbroadcast}) => {
		const [x, w] = node.inputs as [string, string];
		const g = dy[0]!;
		const dx = shape(x).dims;
		const dw = shape(w).dims;
		if (dx.length < 2 || dw.length < 2) {
			throw new Error(`MatMul node "${node.name}": 1-D operands are not differentiated (ranks ${dx.length}, ${dw.length})`);
		}
		const batch = shape(node.outputs[0]!).dims.slice(0, -2);
		const swapLast = (t: string, rank: number) => {
			const perm = [...Array(rank).keys()];
			[perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
			return b.op('Transpose', [t], {perm: {type: 'ints', value: perm}});
		};
		// g @ w^T has the batch dims of the output and x's matrix dims; reduce the batch dims x was broadcast over.
		return [
			needs[0] ? unbroadcast(b.op('MatMul', [g, swapLast(w, dw.length)]), x, [...batch, ...dx.slice(-2)]) : undefined,
			needs[1] ? unbroadcast(b.op('MatMul', [swapLast(x, dx.length), g]), w, [...batch, ...dw.slice(-2)]) : undefined,
		];
	},
});
