/**
 * Gradients of the neural-network ops of a transformer block: Softmax, LogSoftmax, Gemm, LayerNormalization, and
 * com.microsoft FusedMatMul.
 */
import {registerGrad, UnsupportedOpError, type GradContext} from '../autodiff.js';
import {attr, attrFloat, attrInt} from '../ir.js';

const range = (from: number, to: number) => Array.from({length: to - from}, (_, i) => from + i);

/**
 * The axes a Softmax/LogSoftmax normalises over. From opset 13 that is the one `axis` (default -1). Before 13 the op
 * flattened the input to 2-D around `axis` (default 1) and normalised each row, i.e. jointly over every axis from
 * `axis` to the last, so the gradient reduces over all of them.
 */
function softmaxAxes(ctx: GradContext): number[] {
	const {node, opset} = ctx;
	const rank = ctx.shape(node.inputs[0]!).dims.length;
	let axis = attrInt(node, 'axis', opset >= 13 ? -1 : 1);
	if (axis < 0) {
		axis += rank;
	}
	return opset >= 13 ? [axis] : range(axis, rank);
}

// dx = y * (g - sum(g * y))
registerGrad('Softmax', {
	rule: ctx => {
		const {b, node, dy} = ctx;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		const s = b.reduceSum(b.op('Mul', [g, y]), softmaxAxes(ctx), true);
		return [b.op('Mul', [y, b.op('Sub', [g, s])])];
	},
});

// dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)
registerGrad('LogSoftmax', {
	rule: ctx => {
		const {b, node, dy} = ctx;
		const y = node.outputs[0]!;
		const g = dy[0]!;
		const s = b.reduceSum(g, softmaxAxes(ctx), true);
		return [b.op('Sub', [g, b.op('Mul', [b.op('Exp', [y]), s])])];
	},
});

/**
 * Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' = transB ? B^T : B (2-D), C optional and
 * unidirectionally broadcast to Y.
 */
registerGrad('Gemm', {
	rule: ({b, node, dy, needs, unbroadcast, scalar}) => {
		const [a, bm, c] = node.inputs as [string, string, string | undefined];
		const y = node.outputs[0]!;
		const g = dy[0]!;
		const transA = attrInt(node, 'transA', 0) === 1;
		const transB = attrInt(node, 'transB', 0) === 1;
		const alpha = attrFloat(node, 'alpha', 1);
		const beta = attrFloat(node, 'beta', 1);
		const t = (m: string) => b.op('Transpose', [m], {perm: {type: 'ints', value: [1, 0]}});
		const scale = (m: string, s: number) => (s === 1 ? m : b.op('Mul', [m, scalar(s, y)]));
		let da: string | undefined;
		let db: string | undefined;
		if (needs[0]) {
			// dA' = alpha g B'^T: a Gemm that reads B as stored (transB flipped), never a Transpose of it. B is usually a
			// weight, and onnxruntime would fold Transpose(weight) into a second copy of it (see gemm-weights.ts).
			// Gemm's C is optional from opset 11; below it, MatMul and Transpose.
			const daT =
				b.opset >= 11
					? b.op('Gemm', [g, bm], {transB: attr.int(transB ? 0 : 1), alpha: attr.float(alpha)})
					: scale(b.op('MatMul', [g, transB ? bm : t(bm)]), alpha);
			da = transA ? t(daT) : daT;
		}
		if (needs[1]) {
			// dB' = alpha A'^T g, and A'^T is A itself when transA.
			const dbT = b.op('MatMul', [transA ? a : t(a), g]);
			db = scale(transB ? t(dbT) : dbT, alpha);
		}
		const dc = needs[2] && c ? unbroadcast(scale(g, beta), c, y) : undefined;
		return [da, db, dc];
	},
});

/**
 * LayerNormalization: Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the axes from `axis` to the last.
 * Only Y is differentiated; the Mean and InvStdDev outputs may exist but must not reach the loss. Mean and
 * variance are recomputed (those outputs are optional, and in float32 with stash_type=1 for float16 inputs).
 * onnxruntime also accepts this op below opset 17 (its own schema in the default domain, same semantics), so no
 * minimum opset is set.
 */
registerGrad('LayerNormalization', {
	rule: ctx => {
		const {b, node, dy, needs, unbroadcast, scalar, shape} = ctx;
		const [x, s, bias] = node.inputs as [string, string, string | undefined];
		const y = node.outputs[0]!;
		if (dy[1] !== undefined || dy[2] !== undefined) {
			throw new UnsupportedOpError(
				node,
				`cannot differentiate through LayerNormalization node "${node.name}": its Mean/InvStdDev outputs reach ` +
					'the loss, and only the normalised output Y is differentiated',
			);
		}
		const g = dy[0]!;
		const rank = shape(x).dims.length;
		let axis = attrInt(node, 'axis', -1);
		if (axis < 0) {
			axis += rank;
		}
		const axes = range(axis, rank);
		const mean = (t: string) => b.reduce('ReduceMean', t, axes, true);
		const centred = b.op('Sub', [x, mean(x)]);
		const variance = mean(b.op('Mul', [centred, centred]));
		const eps = scalar(attrFloat(node, 'epsilon', 1e-5), x);
		const inv = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, eps])])]);
		const xhat = b.op('Mul', [centred, inv]);
		// dx = inv * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = g * Scale
		let dx: string | undefined;
		if (needs[0]) {
			const gh = b.op('Mul', [g, s]);
			const inner = b.op('Sub', [b.op('Sub', [gh, mean(gh)]), b.op('Mul', [xhat, mean(b.op('Mul', [gh, xhat]))])]);
			dx = b.op('Mul', [inv, inner]);
		}
		const ds = needs[1] ? unbroadcast(b.op('Mul', [g, xhat]), s, y) : undefined;
		const dbias = needs[2] && bias ? unbroadcast(g, bias, y) : undefined;
		return [dx, ds, dbias];
	},
});

/**
 * com.microsoft FusedMatMul: Y = alpha op(A) op(B) with MatMul's broadcasting. gemm-weights.ts writes it for a MatMul
 * by a constant 2-D weight B, so that case is differentiated: dA = alpha g op(B)^T, again a FusedMatMul that reads B as
 * stored (transB flipped), so onnxruntime never folds a transposed copy of the weight. Other forms (transA, the batch
 * transpositions, a gradient for B) are refused by name.
 */
registerGrad(
	'FusedMatMul',
	{
		rule: ({b, node, dy, needs, shape}) => {
			const [, bm] = node.inputs as [string, string];
			const where = `FusedMatMul node "${node.name}"`;
			if (needs[1]) {
				throw new UnsupportedOpError(node, `cannot differentiate ${where} with respect to its second input (only a constant weight is supported there)`);
			}
			if (!needs[0]) {
				return [undefined, undefined];
			}
			if (attrInt(node, 'transA', 0) !== 0 || attrInt(node, 'transBatchA', 0) !== 0 || attrInt(node, 'transBatchB', 0) !== 0) {
				throw new UnsupportedOpError(node, `cannot differentiate ${where}: transA and the batch transpositions are not supported`);
			}
			if (shape(bm).dims.length !== 2) {
				throw new UnsupportedOpError(node, `cannot differentiate ${where}: its second input is not 2-D`);
			}
			const transB = attrInt(node, 'transB', 0) === 1;
			const alpha = attrFloat(node, 'alpha', 1);
			const da = b.op('FusedMatMul', [dy[0]!, bm], {transB: attr.int(transB ? 0 : 1), alpha: attr.float(alpha)}, 'com.microsoft');
			return [da, undefined];
		},
	},
	'com.microsoft',
);
