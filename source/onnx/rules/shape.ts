/**
 * Gradients of ops that move, copy or route values without arithmetic: layout (Transpose, Reshape, Squeeze,
 * Unsqueeze, Flatten), broadcasting (Expand, Where), pass-through (Identity, Cast, Dropout), joining and splitting
 * (Concat, Split) and masking (Trilu). Dimensions that vary with the input are read at run time with Shape, so one
 * gradient graph serves every batch size and sequence length.
 */
import {registerGrad, UnsupportedOpError, type GradContext} from '../autodiff.js';
import type {GraphBuilder} from '../graph-builder.js';
import {attr, attrInt, attrInts, isFloat, tensorNumbers, type Node} from '../ir.js';

/** 0..n-1 shifted by `from`: the integers in [from, to). */
export function range(from: number, to: number): number[] {
	return Array.from({length: Math.max(0, to - from)}, (_, i) => from + i);
}

/** The inverse of a permutation. */
export function inversePerm(perm: readonly number[]): number[] {
	const inv: number[] = [];
	perm.forEach((p, i) => (inv[p] = i));
	return inv;
}

/** Transpose unless the permutation is the identity (saves a copy). */
export function transpose(b: GraphBuilder, x: string, perm: readonly number[]): string {
	return perm.every((p, i) => p === i) ? x : b.op('Transpose', [x], {perm: attr.ints([...perm])});
}

/** The error for a node this rule cannot handle, naming the op and the node. */
export function refuse(node: Node, why: string): UnsupportedOpError {
	return new UnsupportedOpError(node, `cannot differentiate through ${node.op} node "${node.name}": ${why}`);
}

/** Normalise a possibly negative axis against `rank`. */
export function normAxis(axis: number, rank: number): number {
	return axis < 0 ? axis + rank : axis;
}

/**
 * The values of an integer tensor fixed when the graph is built (an initializer or a Constant node's output), or
 * undefined when it is computed at run time.
 */
export function constInts(b: GraphBuilder, name: string | undefined): number[] | undefined {
	if (!name) {
		return undefined;
	}
	const init = b.graph.initializers.get(name);
	if (init) {
		return tensorNumbers(init);
	}
	const producer = b.graph.nodes.find(n => n.op === 'Constant' && n.domain === '' && n.outputs[0] === name);
	const value = producer?.attrs.value ?? producer?.attrs.value_ints ?? producer?.attrs.value_int;
	if (value?.type === 'tensor') {
		return tensorNumbers(value.value);
	}
	if (value?.type === 'ints') {
		return value.value;
	}
	return value?.type === 'int' ? [value.value] : undefined;
}

/** Dimension `axis` of `x` as a rank-0 int64 tensor computed at run time. */
export function dimOf(b: GraphBuilder, x: string, axis: number): string {
	return b.op('Gather', [b.op('Shape', [x]), b.scalar(axis, 'int64')]);
}

/** The dimensions `axes` of `x` as a 1-D int64 tensor computed at run time. */
export function dimsOf(b: GraphBuilder, x: string, axes: readonly number[]): string {
	return b.op('Gather', [b.op('Shape', [x]), b.int64s(axes)]);
}

/** Zeros shaped like `like` (Expand of a scalar: no arithmetic on `like`, so NaN or Inf there cannot leak in). */
export function zerosLike(ctx: GradContext, like: string): string {
	return ctx.b.op('Expand', [ctx.scalar(0, like), ctx.b.op('Shape', [like])]);
}

/** Reshape `g` to the run-time shape of `x` (allowzero from 14, so a zero-size dim stays literal). */
export function reshapeLike(ctx: GradContext, g: string, x: string): string {
	return ctx.b.op('Reshape', [g, ctx.b.op('Shape', [x])], ctx.opset >= 14 ? {allowzero: attr.int(1)} : {});
}

/** Slice with constant bounds: attributes before opset 10, inputs from 10. */
export function sliceConst(b: GraphBuilder, x: string, starts: number[], ends: number[], axes: number[]): string {
	if (b.opset >= 10) {
		return b.slice(x, starts, ends, axes);
	}
	return b.op('Slice', [x], {starts: attr.ints(starts), ends: attr.ints(ends), axes: attr.ints(axes)});
}

const layout = (ctx: GradContext) => [reshapeLike(ctx, ctx.dy[0]!, ctx.node.inputs[0]!)];

// Reshape-like ops keep the element order, so the gradient is the output gradient in the input's shape. Using
// Shape(x) also makes Squeeze/Unsqueeze independent of whether axes are an attribute (< 13) or an input (>= 13).
registerGrad('Reshape', {nonDiff: [1], rule: layout});
registerGrad('Squeeze', {nonDiff: [1], rule: layout});
registerGrad('Unsqueeze', {nonDiff: [1], rule: layout});
registerGrad('Flatten', {rule: layout});

registerGrad('Identity', {rule: ({dy}) => [dy[0]]});

registerGrad('Transpose', {
	rule: ({b, node, dy, shape}) => {
		const rank = shape(node.inputs[0]!).dims.length;
		const perm = attrInts(node, 'perm') ?? range(0, rank).reverse();
		return [transpose(b, dy[0]!, inversePerm(perm))];
	},
});

registerGrad('Expand', {
	nonDiff: [1],
	// Sums over the new leading axes and over the size-1 axes that were broadcast.
	rule: ({node, dy, unbroadcast}) => [unbroadcast(dy[0]!, node.inputs[0]!, node.outputs[0]!)],
});

registerGrad('Where', {
	nonDiff: [0],
	rule: ({b, node, dy, needs, unbroadcast, scalar}) => {
		const [c, x, z] = node.inputs as [string, string, string];
		const y = node.outputs[0]!;
		const zero = scalar(0, y);
		// Where(c, g, 0) has the output's shape, since g does; each branch is then summed back to its own shape.
		return [
			undefined,
			needs[1] ? unbroadcast(b.op('Where', [c, dy[0]!, zero]), x, y) : undefined,
			needs[2] ? unbroadcast(b.op('Where', [c, zero, dy[0]!]), z, y) : undefined,
		];
	},
});

registerGrad('Cast', {
	rule: ({b, node, dy, shape}) => {
		const from = shape(node.inputs[0]!).dtype;
		const to = shape(node.outputs[0]!).dtype;
		if (!isFloat(from) || !isFloat(to)) {
			throw refuse(node, `a cast from ${from} to ${to} carries no gradient (only float to float)`);
		}
		return [from === to ? dy[0] : b.cast(dy[0]!, from)];
	},
});

/** Whether a Dropout node is known to run in inference mode (then it is the identity). */
function dropoutIsInference(b: GraphBuilder, node: Node): boolean {
	if (b.opset < 12) {
		// Before 12 the training switch did not exist as an input; onnxruntime runs these as inference.
		return true;
	}
	const mode = node.inputs[2];
	if (!mode) {
		return true;
	}
	const value = constInts(b, mode);
	return value !== undefined && value.every(v => v === 0);
}

registerGrad('Dropout', {
	nonDiff: [1, 2],
	rule: ({b, node, dy}) => {
		if (!dropoutIsInference(b, node)) {
			throw refuse(node, 'training_mode is not a constant false (export the model in eval mode)');
		}
		// The mask output (index 1) is not float, so it never carries a gradient.
		return [dy[0]];
	},
});

registerGrad('Concat', {
	rule: ({b, node, dy, needs, shape}) => {
		const rank = shape(node.outputs[0]!).dims.length;
		const axis = normAxis(attrInt(node, 'axis'), rank);
		const sizes = node.inputs.map(x => shape(x).dims[axis]);
		const g = dy[0]!;
		if (sizes.every(s => typeof s === 'number')) {
			let offset = 0;
			return node.inputs.map((_, i) => {
				const start = offset;
				offset += sizes[i]!;
				return needs[i] ? sliceConst(b, g, [start], [offset], [axis]) : undefined;
			});
		}
		if (b.opset < 10) {
			throw refuse(node, `at opset ${b.opset}: inputs of varying size need Slice with tensor bounds (opset >= 10)`);
		}
		// Offsets along the axis accumulate the run-time sizes of the inputs before each one.
		let start = b.int64s([0]);
		return node.inputs.map((x, i) => {
			const end = b.op('Add', [start, dimsOf(b, x, [axis])]);
			const grad = needs[i] ? b.op('Slice', [g, start, end, b.int64s([axis])]) : undefined;
			start = end;
			return grad;
		});
	},
});

registerGrad('Split', {
	nonDiff: [1],
	// Concatenating the output gradients back undoes the split whatever its sizes were (attribute before 13, input
	// from 13, num_outputs from 18); an output that does not reach the loss contributes zeros of its own shape.
	rule: ctx => {
		const {b, node, dy, shape} = ctx;
		const rank = shape(node.inputs[0]!).dims.length;
		const axis = normAxis(attrInt(node, 'axis', 0), rank);
		const parts = node.outputs.map((o, i) => dy[i] ?? zerosLike(ctx, o));
		return [parts.length === 1 ? parts[0] : b.op('Concat', parts, {axis: attr.int(axis)})];
	},
});

registerGrad('Trilu', {
	nonDiff: [1],
	minOpset: 14,
	// Trilu keeps a fixed set of positions and zeroes the rest, so its gradient keeps the same positions.
	rule: ({b, node, dy}) => {
		const inputs = node.inputs[1] ? [dy[0]!, node.inputs[1]] : [dy[0]!];
		return [b.op('Trilu', inputs, {upper: attr.int(attrInt(node, 'upper', 1))})];
	},
});
