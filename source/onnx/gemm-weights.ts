/**
 * Keeping one copy of the weights in memory. Graphs written in the nn.Linear layout multiply by a transposed weight
 * (MatMul(x, Transpose(W))), and the backward pass of any MatMul by a weight multiplies by its transpose. onnxruntime
 * constant-folds such a Transpose of an initializer into a new, transposed copy of the weight when it creates the
 * session: the weights are then held twice (or three times), and none of them can stay memory-mapped from the file.
 *
 * Gemm takes the transposition as an attribute (transB) and reads the weight as it is stored. So every MatMul of an
 * activation by a constant 2-D weight (an initializer, or a [1,0] Transpose of one) becomes a Gemm on the input
 * flattened to 2-D, reshaped back:
 *
 *   y = MatMul(x, W)             ->  y = Reshape(Gemm(Reshape(x, [-1, in]), W), [...x.shape[:-1], out])
 *   y = MatMul(x, Transpose(W))  ->  the same with Gemm(..., transB = 1)
 *
 * and the Gemm gradient rule (rules/nn.ts) also uses Gemm's transposition flags instead of Transpose nodes.
 */
import {GraphBuilder} from './graph-builder.js';
import {attr, attrInts, defaultOpset, type Model, type Node} from './ir.js';
import {producerMap} from './topo.js';

/** Gemm's C input is optional from opset 11; below it the rewrite is not done. */
const MIN_OPSET = 11;

/** The constant weight a MatMul multiplies by, and whether Gemm must transpose it. */
function constantWeight(model: Model, node: Node, producers: Map<string, Node>): {weight: string; transB: boolean; dims: number[]} | undefined {
	const g = model.graph;
	const w = node.inputs[1]!;
	const init = g.initializers.get(w);
	if (init) {
		return init.dims.length === 2 ? {weight: w, transB: false, dims: init.dims} : undefined;
	}
	const t = producers.get(w);
	if (t?.op !== 'Transpose' || t.domain !== '') {
		return undefined;
	}
	const source = g.initializers.get(t.inputs[0]!);
	const perm = attrInts(t, 'perm');
	if (!source || source.dims.length !== 2 || (perm && (perm[0] !== 1 || perm[1] !== 0))) {
		return undefined;
	}
	return {weight: t.inputs[0]!, transB: true, dims: [source.dims[1]!, source.dims[0]!]};
}

/** Rewrite MatMuls by constant weights into Gemms (see the header); returns how many were rewritten. */
export function matmulsToGemm(model: Model): number {
	const opset = defaultOpset(model);
	if (opset < MIN_OPSET) {
		return 0;
	}
	const g = model.graph;
	const producers = producerMap(g);
	const b = new GraphBuilder(g, opset, 'gemm');
	const replaced = new Set<Node>();
	for (const node of [...g.nodes]) {
		if (node.op !== 'MatMul' || node.domain !== '' || g.initializers.has(node.inputs[0]!)) {
			continue;
		}
		const found = constantWeight(model, node, producers);
		if (!found) {
			continue;
		}
		const [inner, outer] = found.dims as [number, number];
		const x = node.inputs[0]!;
		const flat = b.op('Reshape', [x, b.int64s([-1, inner])]);
		const product = b.op('Gemm', [flat, found.weight], found.transB ? {transB: attr.int(1)} : {});
		const leading = b.op('Slice', [b.op('Shape', [x]), b.int64s([0]), b.int64s([-1]), b.int64s([0])]);
		const shape = b.op('Concat', [leading, b.int64s([outer])], {axis: attr.int(0)});
		b.opInto(node.outputs[0]!, 'Reshape', [product, shape]);
		replaced.add(node);
	}
	if (replaced.size > 0) {
		g.nodes = g.nodes.filter(n => !replaced.has(n));
	}
	return replaced.size;
}
