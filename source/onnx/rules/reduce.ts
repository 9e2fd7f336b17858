/**
 * Gradients of reductions: the output gradient is re-expanded over the reduced axes.
 */
import {registerGrad, type GradContext} from '../autodiff.js';
import {attrInt, attrInts, tensorNumbers} from '../ir.js';

/** The reduced axes of a Reduce* node (normalised to be non-negative), from its attribute or its axes input. */
export function reducedAxes(ctx: GradContext): number[] {
	const {node, shape, b} = ctx;
	const rank = shape(node.inputs[0]!).dims.length;
	let axes = attrInts(node, 'axes');
	if (axes === undefined && node.inputs[1]) {
		const t = b.graph.initializers.get(node.inputs[1]);
		if (!t) {
			throw new Error(`${node.op} node "${node.name}": axes must be a constant to differentiate`);
		}
		axes = tensorNumbers(t);
	}
	if (axes === undefined || axes.length === 0) {
		if (attrInt(node, 'noop_with_empty_axes', 0) === 1) {
			return [];
		}
		return [...Array(rank).keys()];
	}
	return axes.map(a => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
}

/** Bring the output gradient back to the input's shape (undoing keepdims=0, then broadcasting). */
export function expandBack(ctx: GradContext, g: string): string {
	const {node, b} = ctx;
	const x = node.inputs[0]!;
	const axes = reducedAxes(ctx);
	const keep = attrInt(node, 'keepdims', 1) === 1;
	const kept = keep || axes.length === 0 ? g : b.unsqueeze(g, axes);
	return b.op('Expand', [kept, b.op('Shape', [x])]);
}

registerGrad('ReduceSum', {
	nonDiff: [1],
	rule: ctx => [expandBack(ctx, ctx.dy[0]!)],
});

registerGrad('ReduceMean', {
	nonDiff: [1],
	rule: ctx => {
		const {b, node} = ctx;
		const x = node.inputs[0]!;
		const y = node.outputs[0]!;
		const dtype = ctx.shape(x).dtype;
		const count = b.op('Div', [b.cast(b.op('Size', [x]), dtype), b.cast(b.op('Size', [y]), dtype)]);
		return [expandBack(ctx, b.op('Div', [ctx.dy[0]!, count]))];
	},
});
