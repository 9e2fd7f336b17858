/**
 * Decomposition of com.microsoft RotaryEmbedding into primitives, following onnxruntime's CPU kernel:
 *
 *   out[i] = x[i] cos[p][k(i)] + sign(i) x[j(i)] sin[p][k(i)]   for i < R (R = rotary_embedding_dim or head size)
 *   out[i] = x[i]                                               for R <= i < head size
 *
 * with, per head, j(i) = i ± R/2 and k(i) = i mod R/2 (sign - for the first half), or, when interleaved, the pairs
 * (2m, 2m+1) rotated with k = m. The position p is position_ids[b][s], or position_ids[0] + s when position_ids
 * holds one element. The kernel reads the caches with a row stride of R/2 (the cache seen as (-1, R/2)), which is
 * what it does when rotary_embedding_dim is set; the cache's own width is used otherwise.
 *
 * Input layouts (3-D (batch, seq, hidden) or 4-D (batch, heads, seq, head_size)) are told apart at run time,
 * because a decomposition does not know ranks: x is reshaped to (batch, d1, d2, head_size) either way and the
 * cos/sin tables are shaped to broadcast along the right axis.
 *
 * The partner term x[j] sign is x @ P for a constant signed permutation P (head_size x head_size) built in the
 * graph. A matrix product costs head_size multiply-adds per element, small beside the model's projections, and
 * keeps the differentiated path to Reshape, MatMul, Mul and Add: only the cos/sin tables and P, which do not depend
 * on x, use gathers and index arithmetic.
 */
import {registerDecomposition} from '../decompose.js';
import {attr, attrInt} from '../ir.js';
import {elementType} from './contrib.js';

registerDecomposition('RotaryEmbedding', 'com.microsoft', (b, node) => {
	const [x, positionIds, cosCache, sinCache] = node.inputs as [string, string, string, string];
	const where = `RotaryEmbedding node "${node.name}"`;
	if (b.opset < 11) {
		throw new Error(`${where}: the decomposition needs default-domain opset 11 or later (Range), not ${b.opset}`);
	}
	if (attrInt(node, 'is_packed_batching', 0) === 1) {
		throw new Error(`${where}: is_packed_batching=1 (ragged batches) is not supported`);
	}
	const interleaved = attrInt(node, 'interleaved', 0) === 1;
	const rotaryDim = attrInt(node, 'rotary_embedding_dim', 0);
	const numHeads = attrInt(node, 'num_heads', 0);
	if (rotaryDim > 0 && numHeads <= 0) {
		throw new Error(`${where}: rotary_embedding_dim is set, so num_heads must be too (as onnxruntime requires)`);
	}
	const dtype = elementType(b.graph, cosCache);
	const i64 = (v: number) => b.scalar(v, 'int64');
	const op = (o: string, ...inputs: string[]) => b.op(o, inputs);
	/** Dimension i of t as a rank-0 int64. */
	const dim = (t: string, i: number) => op('Gather', op('Shape', t), i64(i));
	/** A 1-D int64 tensor from rank-0 ones. */
	const vec = (...scalars: string[]) => b.op('Concat', scalars.map(s => b.unsqueeze(s, [0])), {axis: attr.int(0)});
	/** 1 when the condition holds, else 0 (int64), for selecting between layouts arithmetically. */
	const flag = (cond: string) => b.cast(cond, 'int64');
	/** a when f = 1, c when f = 0. */
	const pick = (f: string, a: string, c: string) => op('Add', c, op('Mul', f, op('Sub', a, c)));

	const shapeX = op('Shape', x);
	const is3 = flag(op('Equal', op('Size', shapeX), i64(3)));
	// head_size: from the cache when rotary_embedding_dim is 0, else hidden / num_heads (3-D) or the last dim (4-D).
	const head =
		rotaryDim > 0 ? op('Div', dim(x, -1), pick(is3, i64(numHeads), i64(1))) : op('Mul', dim(cosCache, 1), i64(2));
	const rot = rotaryDim > 0 ? i64(rotaryDim) : head;
	const half = rotaryDim > 0 ? i64(rotaryDim / 2) : dim(cosCache, 1);
	const seq = pick(is3, dim(x, 1), dim(x, 2));

	// x as (batch, d1, d2, head_size): (batch, seq, heads, .) from 3-D, unchanged from 4-D.
	const firstTwo = b.slice(shapeX, [0], [2], [0]);
	const x4 = op('Reshape', x, b.op('Concat', [firstTwo, b.int64s([-1]), b.unsqueeze(head, [0])], {axis: attr.int(0)}));

	// Positions (batch or 1, seq): position_ids itself, or position_ids[0] + 0..seq-1 when it has one element.
	const single = flag(op('Equal', op('Size', positionIds), i64(1)));
	const rows = b.op('Reshape', [positionIds, vec(i64(-1), pick(single, i64(1), seq))]);
	const offsets = b.unsqueeze(op('Range', i64(0), seq, i64(1)), [0]);
	const pos = op('Add', rows, op('Mul', offsets, single));

	// Per column c of a head: the cache column it reads, and whether it is rotated at all.
	const c = op('Range', i64(0), head, i64(1));
	const source = interleaved ? op('Min', op('Div', c, i64(2)), op('Sub', half, i64(1))) : op('Mod', c, half);
	const rotated = op('Less', c, rot);
	const table = (cache: string, outside: number) => {
		const view = rotaryDim > 0 ? b.op('Reshape', [cache, b.int64s([-1, rotaryDim / 2])]) : cache;
		const perPosition = b.op('Gather', [view, pos], {axis: attr.int(0)});
		const perColumn = b.op('Gather', [perPosition, source], {axis: attr.int(2)});
		const full = op('Where', rotated, perColumn, b.scalar(outside, dtype));
		// (batch|1, seq, 1, head) against the 3-D layout's (batch, seq, heads, head); (batch|1, 1, seq, head) for 4-D.
		const notSeq = i64(1);
		return b.op('Reshape', [full, vec(dim(full, 0), pick(is3, seq, notSeq), pick(is3, notSeq, seq), head)]);
	};
	const cos = table(cosCache, 1);
	const sin = table(sinCache, 0);

	// P[r][c] = -1 or +1 where x[r] is column c's partner, with its sign; 0 elsewhere (and for c >= R).
	const r = b.unsqueeze(c, [1]);
	const col = b.unsqueeze(c, [0]);
	const and = (...t: string[]) => t.reduce((p, q) => op('And', p, q));
	const inRange = op('Less', col, rot);
	let minus: string;
	let plus: string;
	if (interleaved) {
		const even = op('Equal', op('Mod', col, i64(2)), i64(0));
		minus = and(even, op('Equal', r, op('Add', col, i64(1))), inRange);
		plus = and(op('Not', even), op('Equal', op('Add', r, i64(1)), col), inRange);
	} else {
		const first = op('Less', col, half);
		minus = and(first, op('Equal', r, op('Add', col, half)));
		plus = and(op('Not', first), op('Equal', op('Add', r, half), col), inRange);
	}
	const p = op('Sub', b.cast(plus, dtype), b.cast(minus, dtype));

	const y4 = op('Add', op('Mul', x4, cos), op('Mul', op('MatMul', x4, p), sin));
	b.opInto(node.outputs[0]!, 'Reshape', [y4, shapeX]);
});
