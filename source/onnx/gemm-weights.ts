/**
 * Keeping one copy of the weights in memory. Graphs written in the nn.Linear layout multiply by a transposed weight
 * (MatMul(x, Transpose(W))), and the backward pass of any MatMul by a weight multiplies by its transpose. onnxruntime
 * constant-folds such a Transpose of an initializer into a new, transposed copy of the weight when it creates the
 * session: the weights are then held twice (or three times), and none of them can stay memory-mapped from the file.
 *
 * So every MatMul of an activation by a constant 2-D weight (an initializer, or a [1,0] Transpose of one) takes the
 * transposition as an attribute and reads the weight as it is stored:
 *
 *   float32: y = com.microsoft.FusedMatMul(x, W, transB)       (any rank, like MatMul)
 *   float64: y = Reshape(Gemm(Reshape(x, [-1, in]), W, transB), [...x.shape[:-1], out])
 *
 * and their gradients (rules/nn.ts, rules/contrib.ts) use the same flags instead of Transpose nodes. FusedMatMul,
 * onnxruntime's own kernel, keeps the shapes symbolic; the flattening Reshapes leave dimensions unknown, and
 * onnxruntime's session creation grows quadratically with the number of unknown dimensions it meets (measured: 4,000
 * flattened Gemms took 5.0 s to open, 4,000 FusedMatMuls 0.2 s). FusedMatMul has float32 kernels only, so float64
 * graphs (tests, small models) flatten.
 */
import {GraphBuilder, type Attrs} from './graph-builder.js';
import {attr, attrInts, defaultOpset, ensureOpset, type DType, type Model, type Node} from './ir.js';
import {producerMap} from './topo.js';

/** Gemm's C input is optional from opset 11; below it the float64 rewrite is not done. */
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

/** Rewrite MatMuls by constant weights (see the header); returns how many were rewritten. */
export function matmulsToGemm(model: Model, floatType: DType): number {
	const opset = defaultOpset(model);
	const fused = floatType === 'float32';
	if (!fused && opset < MIN_OPSET) {
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
		const x = node.inputs[0]!;
		const transB: Attrs = found.transB ? {transB: attr.int(1)} : {};
		if (fused) {
			b.opInto(node.outputs[0]!, 'FusedMatMul', [x, found.weight], transB, 'com.microsoft');
		} else {
			const [inner, outer] = found.dims as [number, number];
			const flat = b.op('Reshape', [x, b.int64s([-1, inner])]);
			const product = b.op('Gemm', [flat, found.weight], transB);
			const leading = b.op('Slice', [b.op('Shape', [x]), b.int64s([0]), b.int64s([-1]), b.int64s([0])]);
			const shape = b.op('Concat', [leading, b.int64s([outer])], {axis: attr.int(0)});
			b.opInto(node.outputs[0]!, 'Reshape', [product, shape]);
		}
		replaced.add(node);
	}
	if (replaced.size > 0) {
		g.nodes = g.nodes.filter(n => !replaced.has(n));
		if (fused) {
			ensureOpset(model, 'com.microsoft', 1);
		}
	}
	return replaced.size;
}
