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

/**
 * ReduceMax/ReduceMin: the gradient goes to the positions that attain the extremum, split evenly among them on
 * ties (so the slice's gradients still add up to the output gradient).
 */
function extremeReduce(op: 'ReduceMax' | 'ReduceMin'): void {
	registerGrad(op, {
		nonDiff: [1],
		rule: ctx => {
			const {b, node} = ctx;
			const x = node.inputs[0]!;
			const y = node.outputs[0]!;
			const g = ctx.dy[0]!;
			const axes = reducedAxes(ctx);
			if (axes.length === 0) {
				// noop_with_empty_axes: the op is the identity.
				return [g];
			}
			const keep = attrInt(node, 'keepdims', 1) === 1;
			const yk = keep ? y : b.unsqueeze(y, axes);
			const gk = keep ? g : b.unsqueeze(g, axes);
			// x attains the maximum iff not (x < y); Less works on floats at every opset, Equal only from 11.
			const hit = b.cast(b.op('Not', [b.op(op === 'ReduceMax' ? 'Less' : 'Greater', [x, yk])]), ctx.shape(x).dtype);
			const count = b.reduceSum(hit, axes, true);
			return [b.op('Mul', [hit, b.op('Div', [gk, count])])];
		},
	});
}
extremeReduce('ReduceMax');
extremeReduce('ReduceMin');

/** Smallest positive normal number of each float type, to keep x / ||x|| finite on an all-zero slice. */
const TINY: Record<string, number> = {
	float64: 2.2250738585072014e-308,
	float32: 1.1754943508222875e-38,
	bfloat16: 1.1754943508222875e-38,
	float16: 6.103515625e-5,
};

registerGrad('ReduceL2', {
	nonDiff: [1],
	rule: ctx => {
		const {b, node} = ctx;
		const x = node.inputs[0]!;
		const y = node.outputs[0]!;
		const axes = reducedAxes(ctx);
		if (axes.length === 0) {
			// noop_with_empty_axes: the op is the identity.
			return [ctx.dy[0]!];
		}
		const keep = attrInt(node, 'keepdims', 1) === 1;
		const yk = keep ? y : b.unsqueeze(y, axes);
		const gk = keep ? ctx.dy[0]! : b.unsqueeze(ctx.dy[0]!, axes);
		// d ||x|| / dx = x / ||x||; an all-zero slice gets gradient 0 (x is 0 there) instead of 0/0.
		const safe = b.op('Max', [yk, ctx.scalar(TINY[ctx.shape(x).dtype] ?? 0, x)]);
		return [b.op('Mul', [x, b.op('Div', [gk, safe])])];
	},
});
