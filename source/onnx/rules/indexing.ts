/**
 * Gradients of indexing ops: Gather and GatherElements scatter the output gradient back with accumulation (repeated
 * indices add up), Slice and Pad place it back into zeros. Scatter reductions exist only from opset 16, so below
 * that the accumulation is a one-hot product: Equal(index, Range(n)) cast to the data type, then MatMul or a sum.
 */
import {registerGrad, type GradContext} from '../autodiff.js';
import type {GraphBuilder} from '../graph-builder.js';
import {attr, attrInt, attrInts, attrString, tensorOf, type DType, type Node} from '../ir.js';
import {constInts, dimOf, dimsOf, inversePerm, normAxis, range, refuse, reshapeLike, transpose, zerosLike} from './shape.js';

/**
 * Indices as int64 in [0, n): negative indices count from the end from opset 11 (before 11 they were invalid, so
 * nothing is rewritten there).
 */
function normIndices(b: GraphBuilder, idx: string, dtype: DType, n: string): string {
	const i64 = dtype === 'int64' ? idx : b.cast(idx, 'int64');
	if (b.opset < 11) {
		return i64;
	}
	const negative = b.op('Less', [i64, b.scalar(0, 'int64')]);
	return b.op('Where', [negative, b.op('Add', [i64, n]), i64]);
}

/** 0..n-1 as int64: Range from opset 11, a constant below (which needs the size fixed). */
function arange(ctx: GradContext, x: string, axis: number, n: string): string {
	const {b, node, shape} = ctx;
	if (b.opset >= 11) {
		return b.op('Range', [b.scalar(0, 'int64'), n, b.scalar(1, 'int64')]);
	}
	const size = shape(x).dims[axis];
	if (typeof size !== 'number') {
		throw refuse(node, `at opset ${b.opset}: axis ${axis} varies in size and Range needs opset >= 11`);
	}
	return b.int64s(range(0, size));
}

registerGrad('Gather', {
	nonDiff: [1],
	rule: ctx => {
		const {b, node, dy, shape} = ctx;
		const [x, idx] = node.inputs as [string, string];
		const g = dy[0]!;
		const r = shape(x).dims.length;
		const q = shape(idx).dims.length;
		const axis = normAxis(attrInt(node, 'axis', 0), r);
		const n = dimOf(b, x, axis);
		const ind = normIndices(b, idx, shape(idx).dtype, n);
		if (b.hasScatterReduction) {
			// ScatterND writes slices along the leading axes, so move the gathered axis of x (and the index axes of
			// the gradient) to the front, scatter-add, and move them back.
			const xPerm = [axis, ...range(0, axis), ...range(axis + 1, r)];
			const gPerm = [...range(axis, axis + q), ...range(0, axis), ...range(axis + q, r + q - 1)];
			const zeros = b.op('Expand', [ctx.scalar(0, x), dimsOf(b, x, xPerm)]);
			const scattered = b.op('ScatterND', [zeros, b.unsqueeze(ind, [q]), transpose(b, g, gPerm)], {reduction: attr.string('add')});
			return [transpose(b, scattered, inversePerm(xPerm))];
		}
		// dx[pre, j, post] = sum_i onehot[i, j] * g[pre, i, post], with the index axes of g flattened into i.
		const oneHot = b.cast(b.op('Equal', [b.unsqueeze(b.op('Reshape', [ind, b.int64s([-1])]), [1]), arange(ctx, x, axis, n)]), shape(x).dtype);
		const parts = [...(axis > 0 ? [dimsOf(b, x, range(0, axis))] : []), b.int64s([-1]), ...(axis < r - 1 ? [dimsOf(b, x, range(axis + 1, r))] : [])];
		const g3 = b.op('Reshape', [g, parts.length === 1 ? parts[0]! : b.op('Concat', parts, {axis: attr.int(0)})]);
		const perm = [...range(0, axis), ...range(axis + 1, r), axis];
		return [transpose(b, b.op('MatMul', [transpose(b, g3, perm), oneHot]), inversePerm(perm))];
	},
});

registerGrad('GatherElements', {
	nonDiff: [1],
	minOpset: 11,
	rule: ctx => {
		const {b, node, dy, shape} = ctx;
		const [x, idx] = node.inputs as [string, string];
		const g = dy[0]!;
		const xDims = shape(x).dims;
		const idxDims = shape(idx).dims;
		const r = xDims.length;
		const axis = normAxis(attrInt(node, 'axis', 0), r);
		const ind = normIndices(b, idx, shape(idx).dtype, dimOf(b, x, axis));
		if (b.hasScatterReduction) {
			return [b.op('ScatterElements', [zerosLike(ctx, x), ind, g], {axis: attr.int(axis), reduction: attr.string('add')})];
		}
		// onehot[..., j] = (index == j); summing g * onehot over the gathered axis leaves the other axes and j.
		const oneHot = b.cast(b.op('Equal', [b.unsqueeze(ind, [r]), arange(ctx, x, axis, dimOf(b, x, axis))]), shape(x).dtype);
		const summed = b.reduceSum(b.op('Mul', [b.unsqueeze(g, [r]), oneHot]), [axis], false);
		const placed = transpose(b, summed, [...range(0, axis), r - 1, ...range(axis, r - 1)]);
		// Indices may be shorter than the data along the other axes: pad those with zeros at the end.
		const sameShape = xDims.every((d, i) => i === axis || (typeof d === 'number' && d === idxDims[i]));
		if (sameShape) {
			return [placed];
		}
		const tail = b.op('Sub', [b.op('Shape', [x]), b.op('Shape', [placed])]);
		return [b.op('Pad', [placed, b.op('Concat', [b.int64s(Array(r).fill(0)), tail], {axis: attr.int(0)})])];
	},
});

/** The positions a Slice takes along one axis of size n, with the clamping rules of the ONNX spec. */
function sliceIndices(start: number, end: number, step: number, n: number): number[] {
	let s = start < 0 ? start + n : start;
	let e = end < 0 ? end + n : end;
	const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
	s = step > 0 ? clamp(s, 0, n) : clamp(s, 0, n - 1);
	e = step > 0 ? clamp(e, 0, n) : clamp(e, -1, n - 1);
	const out: number[] = [];
	for (let i = s; step > 0 ? i < e : i > e; i += step) {
		out.push(i);
	}
	return out;
}

/**
 * Place `g` back into zeros along `axis` at the positions `idx` (1-D int64, distinct): the dim of `x` replaces the
 * dim of `g` there. Distinct positions need no accumulation, so plain ScatterElements (opset 11) suffices.
 */
function scatterAlong(b: GraphBuilder, ctx: GradContext, g: string, idx: string, axis: number, rank: number, x: string): string {
	const parts = [...(axis > 0 ? [dimsOf(b, g, range(0, axis))] : []), dimsOf(b, x, [axis]), ...(axis < rank - 1 ? [dimsOf(b, g, range(axis + 1, rank))] : [])];
	const target = parts.length === 1 ? parts[0]! : b.op('Concat', parts, {axis: attr.int(0)});
	const zeros = b.op('Expand', [ctx.scalar(0, x), target]);
	const column = b.op('Reshape', [idx, b.int64s(range(0, rank).map(i => (i === axis ? -1 : 1)))]);
	const positions = b.op('Expand', [column, b.op('Shape', [g])]);
	return b.op('ScatterElements', [zeros, positions, g], {axis: attr.int(axis)});
}

/** Starts, ends, axes and steps of a Slice node: attributes before opset 10, inputs from 10. */
function sliceParams(ctx: GradContext) {
	const {b, node, shape} = ctx;
	const rank = shape(node.inputs[0]!).dims.length;
	if (b.opset < 10) {
		const starts = attrInts(node, 'starts')!;
		const axes = attrInts(node, 'axes') ?? range(0, starts.length);
		return {starts, ends: attrInts(node, 'ends')!, steps: starts.map(() => 1), axes: axes.map(a => normAxis(a, rank))};
	}
	const [, startsIn, endsIn, axesIn, stepsIn] = node.inputs;
	const starts = constInts(b, startsIn);
	const count = starts?.length ?? shape(startsIn!).dims[0];
	const axes = axesIn ? constInts(b, axesIn) : typeof count === 'number' ? range(0, count) : undefined;
	if (!axes) {
		throw refuse(node, 'its axes must be fixed when the graph is built');
	}
	const steps = stepsIn ? constInts(b, stepsIn) : axes.map(() => 1);
	return {starts, ends: constInts(b, endsIn), steps, axes: axes.map(a => normAxis(a, rank))};
}

registerGrad('Slice', {
	nonDiff: [1, 2, 3, 4],
	rule: ctx => {
		const {b, node, dy, shape} = ctx;
		const x = node.inputs[0]!;
		const dims = shape(x).dims;
		const rank = dims.length;
		const {starts, ends, steps, axes} = sliceParams(ctx);
		let g = dy[0]!;
		if (starts && ends && steps && axes.every(a => typeof dims[a] === 'number')) {
			// Everything fixed: work out the positions here.
			const lists = axes.map((a, i) => sliceIndices(starts[i]!, ends[i]!, steps[i]!, dims[a] as number));
			if (steps.every(s => s === 1)) {
				const pads: number[] = Array(2 * rank).fill(0);
				axes.forEach((a, i) => {
					const list = lists[i]!;
					pads[a] = list.length > 0 ? list[0]! : 0;
					pads[a + rank] = (dims[a] as number) - (list.length > 0 ? list[list.length - 1]! + 1 : 0);
				});
				return [b.opset >= 11 ? b.op('Pad', [g, b.int64s(pads)]) : b.op('Pad', [g], {pads: attr.ints(pads)})];
			}
			axes.forEach((a, i) => {
				const list = lists[i]!;
				if (b.opset >= 11) {
					g = scatterAlong(b, ctx, g, b.int64s(list), a, rank, x);
					return;
				}
				// Opset 10 (steps but no ScatterElements): a constant one-hot matrix along the axis.
				const n = dims[a] as number;
				const values = new Array<number>(list.length * n).fill(0);
				list.forEach((p, k) => (values[k * n + p] = 1));
				const oneHot = b.constant(tensorOf(shape(x).dtype, [list.length, n], values), 'slice_onehot');
				const perm = [...range(0, a), ...range(a + 1, rank), a];
				g = transpose(b, b.op('MatMul', [transpose(b, g, perm), oneHot]), inversePerm(perm));
			});
			return [g];
		}
		if (b.opset < 11) {
			throw refuse(node, `at opset ${b.opset}: bounds or sizes that vary need Range and ScatterElements (opset >= 11)`);
		}
		// Run-time bounds: slicing Range(n) with the node's own bounds yields exactly the positions taken, with the
		// runtime's clamping, so nothing is re-derived here.
		const piece = (input: string | undefined, i: number): string | undefined => {
			if (!input) {
				return undefined;
			}
			const one = b.op('Gather', [input, b.int64s([i])]);
			return shape(input).dtype === 'int64' ? one : b.cast(one, 'int64');
		};
		const [, startsIn, endsIn, , stepsIn] = node.inputs;
		axes.forEach((a, i) => {
			const n = dimOf(b, x, a);
			const all = b.op('Range', [b.scalar(0, 'int64'), n, b.scalar(1, 'int64')]);
			const step = piece(stepsIn, i);
			const bounds = [all, piece(startsIn, i)!, piece(endsIn, i)!, b.int64s([0])];
			const positions = b.op('Slice', step ? [...bounds, step] : bounds);
			g = scatterAlong(b, ctx, g, positions, a, rank, x);
		});
		return [g];
	},
});

/** Pad's mode, checked: only constant padding has a gradient here. */
function padMode(node: Node): void {
	const mode = attrString(node, 'mode', 'constant');
	if (mode !== 'constant') {
		throw refuse(node, `mode "${mode}" has no gradient rule (only "constant")`);
	}
}

registerGrad('Pad', {
	nonDiff: [1, 3],
	// Padding with negated amounts undoes a constant pad (negative pads crop, and a crop's gradient pads with zeros).
	rule: ctx => {
		const {b, node, dy, needs, shape} = ctx;
		padMode(node);
		const g = dy[0]!;
		let dx: string;
		if (b.opset < 11) {
			dx = b.op('Pad', [g], {pads: attr.ints(attrInts(node, 'pads')!.map(p => -p))});
		} else {
			const [, padsIn, , axesIn] = node.inputs as [string, string, string?, string?];
			const known = constInts(b, padsIn);
			const negated = known ? b.int64s(known.map(p => -p)) : b.op('Neg', [padsIn]);
			dx = b.op('Pad', axesIn ? [g, negated, '', axesIn] : [g, negated]);
		}
		const value = node.inputs[2];
		let dValue: string | undefined;
		if (needs[2] && value) {
			// The constant fills every position the pad added: its gradient is what the crop back dropped.
			const all = range(0, shape(node.outputs[0]!).dims.length);
			dValue = reshapeLike(ctx, b.op('Sub', [b.reduceSum(g, all, false), b.reduceSum(dx, all, false)]), value);
		}
		return [dx, undefined, dValue, undefined];
	},
});
