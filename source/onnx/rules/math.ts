/**
 * Gradients of elementwise math: unary functions, division and powers, the n-ary Min/Max/Sum and Clip.
 *
 * Conventions at non-smooth points (documented because finite differences cannot check them):
 * - Relu at x = 0: gradient 0.
 * - Min/Max with ties: the gradient is split evenly among the inputs that attain the extremum (the average of the
 *   one-sided derivatives, so the gradients of all inputs still add up to the output gradient).
 * - Clip: the gradient passes to x only where min < x < max; where x <= min it goes to `min`, where x >= max to
 *   `max` (when those are tensors, opset >= 11).
 *
 * Comparisons use Less/Greater/Not rather than Equal, because Equal accepts floating-point inputs only from opset 11
 * and these rules must also emit valid graphs for older opsets.
 */
import {registerGrad, UnsupportedOpError, type GradContext} from '../autodiff.js';
import {attrString, type Node} from '../ir.js';

/** `g` where `cond` holds, 0 elsewhere (Where from opset 9, a multiplication by the cast mask before). */
function maskGrad(ctx: GradContext, cond: string, g: string, like: string): string {
	const {b} = ctx;
	if (b.opset >= 9) {
		return b.op('Where', [cond, g, ctx.scalar(0, like)]);
	}
	return b.op('Mul', [g, b.cast(cond, ctx.shape(like).dtype)]);
}

type UnaryGrad = (ctx: GradContext, g: string, x: string, y: string) => string;

/** Register a one-input op; `grad` returns the input gradient from the output gradient g, input x and output y. */
function unary(op: string, grad: UnaryGrad, minOpset?: number): void {
	registerGrad(op, {
		minOpset,
		rule: ctx => [grad(ctx, ctx.dy[0]!, ctx.node.inputs[0]!, ctx.node.outputs[0]!)],
	});
}

unary('Neg', ({b}, g) => b.op('Neg', [g]));
unary('Exp', ({b}, g, _x, y) => b.op('Mul', [g, y]));
unary('Log', ({b}, g, x) => b.op('Div', [g, x]));
// d sqrt(x) = 1 / (2 sqrt(x)) = 1 / (2y)
unary('Sqrt', ({b}, g, _x, y) => b.op('Div', [g, b.op('Add', [y, y])]));
// d (1/x) = -1/x^2 = -y^2
unary('Reciprocal', ({b}, g, _x, y) => b.op('Neg', [b.op('Mul', [g, b.op('Mul', [y, y])])]));
unary('Tanh', (ctx, g, _x, y) => ctx.b.op('Mul', [g, ctx.b.op('Sub', [ctx.scalar(1, y), ctx.b.op('Mul', [y, y])])]));
unary('Sigmoid', (ctx, g, _x, y) => ctx.b.op('Mul', [g, ctx.b.op('Mul', [y, ctx.b.op('Sub', [ctx.scalar(1, y), y])])]));
// d erf(x) = 2/sqrt(pi) exp(-x^2)
unary('Erf', (ctx, g, x) => {
	const {b} = ctx;
	const density = b.op('Exp', [b.op('Neg', [b.op('Mul', [x, x])])]);
	return b.op('Mul', [g, b.op('Mul', [density, ctx.scalar(2 / Math.sqrt(Math.PI), x)])]);
});
unary('Relu', (ctx, g, x) => maskGrad(ctx, ctx.b.op('Greater', [x, ctx.scalar(0, x)]), g, x));

/** Derivative of Gelu: exact (erf) form Phi(x) + x phi(x); tanh form differentiated as written in the spec. */
function geluDerivative(ctx: GradContext, node: Node, x: string): string {
	const {b} = ctx;
	const k = (v: number) => ctx.scalar(v, x);
	const mul = (...t: string[]) => t.reduce((p, q) => b.op('Mul', [p, q]));
	const approximate = attrString(node, 'approximate', 'none');
	if (approximate === 'none') {
		const cdf = mul(k(0.5), b.op('Add', [k(1), b.op('Erf', [mul(x, k(Math.SQRT1_2))])]));
		const pdf = mul(b.op('Exp', [mul(k(-0.5), x, x)]), k(1 / Math.sqrt(2 * Math.PI)));
		return b.op('Add', [cdf, mul(x, pdf)]);
	}
	if (approximate === 'tanh') {
		// y = 0.5 x (1 + t), t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3)
		// dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
		const c = Math.sqrt(2 / Math.PI);
		const x2 = mul(x, x);
		const u = mul(k(c), b.op('Add', [x, mul(k(0.044715), x2, x)]));
		const t = b.op('Tanh', [u]);
		const du = mul(k(c), b.op('Add', [k(1), mul(k(3 * 0.044715), x2)]));
		const sech2 = b.op('Sub', [k(1), mul(t, t)]);
		return b.op('Add', [mul(k(0.5), b.op('Add', [k(1), t])), mul(k(0.5), x, sech2, du)]);
	}
	throw new UnsupportedOpError(node, `Gelu node "${node.name}": unknown approximate="${approximate}"`);
}

registerGrad('Gelu', {
	minOpset: 20,
	rule: ctx => [ctx.b.op('Mul', [ctx.dy[0]!, geluDerivative(ctx, ctx.node, ctx.node.inputs[0]!)])],
});

registerGrad('Div', {
	rule: ({b, node, dy, needs, unbroadcast}) => {
		const [n, d] = node.inputs as [string, string];
		const y = node.outputs[0]!;
		const g = dy[0]!;
		const gOverD = b.op('Div', [g, d]);
		// d(n/d)/dd = -n/d^2 = -y/d
		return [
			needs[0] ? unbroadcast(gOverD, n, y) : undefined,
			needs[1] ? unbroadcast(b.op('Neg', [b.op('Mul', [gOverD, y])]), d, y) : undefined,
		];
	},
});

// The exponent is not differentiated. It is not listed as nonDiff so that an exponent that depends on the
// differentiated inputs is detected and refused, instead of its contribution being silently dropped.
registerGrad('Pow', {
	rule: ({b, node, dy, needs, shape, unbroadcast, scalar}) => {
		const [x, e] = node.inputs as [string, string];
		if (needs[1]) {
			throw new UnsupportedOpError(
				node,
				`cannot differentiate through Pow node "${node.name}": its exponent "${e}" depends on the differentiated ` +
					'inputs; only a constant exponent is supported',
			);
		}
		const dtype = shape(x).dtype;
		const constant = b.graph.initializers.get(e);
		const value = constant && constant.dims.every(d => d === 1) && !Array.isArray(constant.data) ? Number(constant.data[0]) : undefined;
		// Common constant exponents get cheap elementwise forms: Pow itself is one of the slowest kernels.
		const special: Record<number, () => string> = {
			1: () => scalar(1, x),
			2: () => b.op('Mul', [x, scalar(2, x)]),
			3: () => b.op('Mul', [b.op('Mul', [x, x]), scalar(3, x)]),
			0.5: () => b.op('Div', [scalar(0.5, x), node.outputs[0]!]),
			[-1]: () => b.op('Neg', [b.op('Mul', [node.outputs[0]!, node.outputs[0]!])]),
		};
		let local: string;
		if (value !== undefined && special[value] && shape(node.outputs[0]!).dims.length === shape(x).dims.length) {
			local = special[value]!();
		} else {
			// The exponent may have another type (an integer or float32 exponent of a float64 base).
			const ef = shape(e).dtype === dtype ? e : b.cast(e, dtype);
			local = b.op('Mul', [ef, b.op('Pow', [x, b.op('Sub', [ef, scalar(1, x)])])]);
		}
		return [unbroadcast(b.op('Mul', [dy[0]!, local]), x, node.outputs[0]!), undefined];
	},
});

registerGrad('Sum', {
	rule: ({node, dy, needs, unbroadcast}) =>
		node.inputs.map((x, i) => (needs[i] ? unbroadcast(dy[0]!, x, node.outputs[0]!) : undefined)),
});

/** Min/Max: each input gets the gradient where it equals the output, split evenly on ties. */
function extremum(op: 'Min' | 'Max'): void {
	registerGrad(op, {
		rule: ({b, node, dy, needs, shape, unbroadcast}) => {
			const y = node.outputs[0]!;
			const g = dy[0]!;
			if (node.inputs.length === 1) {
				return [g];
			}
			const dtype = shape(y).dtype;
			// x attains the maximum iff not (x < y); the minimum iff not (x > y).
			const beaten = op === 'Max' ? 'Less' : 'Greater';
			const hits = node.inputs.map(x => b.cast(b.op('Not', [b.op(beaten, [x, y])]), dtype));
			const share = b.op('Div', [g, b.op('Sum', hits)]);
			return node.inputs.map((x, i) => (needs[i] ? unbroadcast(b.op('Mul', [share, hits[i]!]), x, y) : undefined));
		},
	});
}
extremum('Min');
extremum('Max');

registerGrad('Clip', {
	rule: ctx => {
		const {b, node, dy, needs, opset, unbroadcast, scalar} = ctx;
		const x = node.inputs[0]!;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		let lo: string | undefined;
		let hi: string | undefined;
		if (opset < 11) {
			// Clip-6: bounds are attributes; an absent one means no bound on that side.
			const min = node.attrs['min'];
			const max = node.attrs['max'];
			lo = min && min.type === 'float' ? scalar(min.value, x) : undefined;
			hi = max && max.type === 'float' ? scalar(max.value, x) : undefined;
		} else {
			lo = node.inputs[1] || undefined;
			hi = node.inputs[2] || undefined;
		}
		const above = lo ? b.op('Greater', [x, lo]) : undefined;
		const below = hi ? b.op('Less', [x, hi]) : undefined;
		const inside = above && below ? b.op('And', [above, below]) : (above ?? below);
		const dx = inside ? maskGrad(ctx, inside, g, x) : g;
		// Where x is at or beyond a bound the output is that bound.
		const dlo = needs[1] && lo && above ? unbroadcast(maskGrad(ctx, b.op('Not', [above]), g, x), lo, y) : undefined;
		const dhi = needs[2] && hi && below ? unbroadcast(maskGrad(ctx, b.op('Not', [below]), g, x), hi, y) : undefined;
		return [needs[0] ? dx : undefined, dlo, dhi];
	},
});
