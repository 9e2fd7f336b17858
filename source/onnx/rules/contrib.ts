/**
 * Decompositions of the fused ops that onnxruntime's transformer optimiser writes into exports (normalisations, GELU
 * variants and the fused embedding) into primitives, following onnxruntime's CPU kernels: the same formulas,
 * constants and defaults. RotaryEmbedding is in rotary.ts.
 *
 * A decomposition sees only the node, not the shapes, so constants get their element type from the graph
 * (elementType below) and reductions run over negative axes, which need no rank.
 */
import {decomposeContribOps, registerDecomposition} from '../decompose.js';
import type {Attrs, GraphBuilder} from '../graph-builder.js';
import {attr, attrFloat, attrInt, dtypeCode, dtypeFromCode, isFloat, tensorOf, type DType, type Graph, type Model, type Node} from '../ir.js';

/** Ops whose output type is fixed whatever their inputs. */
const FIXED_TYPE: Record<string, DType> = {
	Shape: 'int64',
	Size: 'int64',
	NonZero: 'int64',
	ArgMax: 'int64',
	ArgMin: 'int64',
	Equal: 'bool',
	Less: 'bool',
	Greater: 'bool',
	LessOrEqual: 'bool',
	GreaterOrEqual: 'bool',
	Not: 'bool',
	And: 'bool',
	Or: 'bool',
	IsNaN: 'bool',
	IsInf: 'bool',
};

/**
 * The element type of tensor `name`: from an initializer or a declared type, else by walking up its producers
 * (Cast and Constant say it, most other ops keep the type of their first input). Falls back to the float type of
 * the graph's initializers, then float32.
 */
export function elementType(graph: Graph, name: string): DType {
	const declared = new Map<string, DType>();
	for (const v of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) {
		if (!v.untyped) {
			declared.set(v.name, v.dtype);
		}
	}
	const producers = new Map<string, Node>();
	for (const n of graph.nodes) {
		for (const o of n.outputs) {
			producers.set(o, n);
		}
	}
	const seen = new Set<string>();
	let current: string | undefined = name;
	while (current && !seen.has(current)) {
		seen.add(current);
		const known = graph.initializers.get(current)?.dtype ?? declared.get(current);
		if (known) {
			return known;
		}
		const p = producers.get(current);
		if (!p) {
			break;
		}
		const to = p.attrs['to'];
		if (p.op === 'Cast' && to?.type === 'int') {
			return dtypeFromCode(to.value) ?? 'float32';
		}
		const value = p.attrs['value'];
		if (p.op === 'Constant' || p.op === 'ConstantOfShape') {
			// A tensor value says its type; Constant's value_float(s) and ConstantOfShape's default are float32.
			if (value?.type === 'tensor') {
				return value.value.dtype;
			}
			return p.attrs['value_int'] || p.attrs['value_ints'] ? 'int64' : 'float32';
		}
		if (FIXED_TYPE[p.op]) {
			return FIXED_TYPE[p.op]!;
		}
		// These take their type from the second input, everything else from the first.
		const second = p.op === 'Where' || p.op === 'CastLike' || p.op === 'DequantizeLinear';
		current = second ? p.inputs[1] : p.inputs.find(i => i !== '');
	}
	for (const t of graph.initializers.values()) {
		if (isFloat(t.dtype)) {
			return t.dtype;
		}
	}
	return 'float32';
}

/** Emit into `out` when the node's output is requested (non-empty name), else into a fresh name. */
export function emit(b: GraphBuilder, out: string | undefined, op: string, inputs: string[], attrs: Attrs = {}) {
	return out ? b.opInto(out, op, inputs, attrs) : b.op(op, inputs, attrs);
}

/** Mean over `axes` (negative ones, or the last by default), keeping them; axes are an input from opset 18. */
function meanOver(b: GraphBuilder, x: string, axes: number[] = [-1], out?: string): string {
	return b.opset >= 18
		? emit(b, out, 'ReduceMean', [x, b.int64s(axes)], {keepdims: attr.int(1)})
		: emit(b, out, 'ReduceMean', [x], {axes: attr.ints(axes), keepdims: attr.int(1)});
}

/** onnxruntime's default epsilon of the Skip*LayerNormalization ops (kDefaultSkipLayerNormEpsilon). */
const SKIP_EPSILON = 1e-12;

/**
 * RMS normalisation y = x / sqrt(mean(x^2) + eps) * gamma over `axes`, written into `out`; also writes the inverse
 * RMS into `invOut` when asked.
 */
function rmsNorm(b: GraphBuilder, x: string, gamma: string, eps: string, axes: number[], out: string, invOut?: string) {
	const denom = b.op('Sqrt', [b.op('Add', [meanOver(b, b.op('Mul', [x, x]), axes), eps])]);
	b.opInto(out, 'Mul', [b.op('Div', [x, denom]), gamma]);
	if (invOut) {
		b.opInto(invOut, 'Reciprocal', [denom]);
	}
}

/**
 * SimplifiedLayerNormalization (registered by onnxruntime in the default domain): RMS norm over the axes from
 * `axis` (default -1) to the last; outputs Y and optionally inv_std_var.
 */
function simplifiedLayerNorm(b: GraphBuilder, node: Node): void {
	const [x, scale] = node.inputs as [string, string];
	let axis = attrInt(node, 'axis', -1);
	if (axis >= 0) {
		// Negative axes need no rank; a non-negative one is converted with the rank declared for X, if any.
		const shape = [...b.graph.inputs, ...b.graph.valueInfo].find(v => v.name === x)?.shape;
		if (!shape) {
			throw new Error(
				`SimplifiedLayerNormalization node "${node.name}": axis=${axis} needs the rank of "${x}", which the graph ` +
					'does not declare; use a negative axis',
			);
		}
		axis -= shape.length;
	}
	const axes = Array.from({length: -axis}, (_, i) => axis + i);
	const eps = b.scalar(attrFloat(node, 'epsilon', 1e-5), elementType(b.graph, x));
	rmsNorm(b, x, scale, eps, axes, node.outputs[0]!, node.outputs[1] || undefined);
}
registerDecomposition('SimplifiedLayerNormalization', '', simplifiedLayerNorm);
registerDecomposition('SimplifiedLayerNormalization', 'ai.onnx', simplifiedLayerNorm);

/**
 * The residual sum input + skip (+ bias) of the Skip*LayerNormalization ops, written into output 3
 * (input_skip_bias_sum) when that is requested so the residual stream keeps its name. skip broadcasts: it may be
 * (batch, seq, hidden), (1, seq, hidden) or (seq, hidden).
 */
function skipSum(b: GraphBuilder, node: Node, bias: string | undefined): string {
	const [input, skip] = node.inputs as [string, string];
	const sumOut = node.outputs[3] || undefined;
	if (!bias) {
		return emit(b, sumOut, 'Add', [input, skip]);
	}
	return emit(b, sumOut, 'Add', [b.op('Add', [input, skip]), bias]);
}

// com.microsoft SkipLayerNormalization: inputs input, skip, gamma, beta?, bias?; outputs output, mean?,
// inv_std_var?, input_skip_bias_sum?. LayerNorm over the last axis; mean/inv_std_var keep that axis as 1.
registerDecomposition('SkipLayerNormalization', 'com.microsoft', (b, node) => {
	const gamma = node.inputs[2]!;
	const beta = node.inputs[3] || undefined;
	const s = skipSum(b, node, node.inputs[4] || undefined);
	const dtype = elementType(b.graph, node.inputs[0]!);
	const mean = meanOver(b, s, [-1], node.outputs[1] || undefined);
	const centred = b.op('Sub', [s, mean]);
	const eps = b.scalar(attrFloat(node, 'epsilon', SKIP_EPSILON), dtype);
	const denom = b.op('Sqrt', [b.op('Add', [meanOver(b, b.op('Mul', [centred, centred])), eps])]);
	const normed = b.op('Div', [centred, denom]);
	if (beta) {
		b.opInto(node.outputs[0]!, 'Add', [b.op('Mul', [normed, gamma]), beta]);
	} else {
		b.opInto(node.outputs[0]!, 'Mul', [normed, gamma]);
	}
	if (node.outputs[2]) {
		b.opInto(node.outputs[2], 'Reciprocal', [denom]);
	}
});

// com.microsoft SkipSimplifiedLayerNormalization: inputs input, skip, gamma, bias? (the schema has no beta, so
// bias is input 3); RMS norm over the last axis. onnxruntime's kernel writes zeros to the optional mean output.
registerDecomposition('SkipSimplifiedLayerNormalization', 'com.microsoft', (b, node) => {
	const s = skipSum(b, node, node.inputs[3] || undefined);
	const dtype = elementType(b.graph, node.inputs[0]!);
	const eps = b.scalar(attrFloat(node, 'epsilon', SKIP_EPSILON), dtype);
	rmsNorm(b, s, node.inputs[2]!, eps, [-1], node.outputs[0]!, node.outputs[2] || undefined);
	if (node.outputs[1]) {
		b.opInto(node.outputs[1], 'Mul', [meanOver(b, s), b.scalar(0, dtype)]);
	}
});

/** Exact GELU 0.5 x (1 + erf(x / sqrt 2)), as onnxruntime's BiasGelu/Gelu kernels compute it, into `out`. */
function erfGelu(b: GraphBuilder, x: string, dtype: DType, out: string): void {
	const k = (v: number) => b.scalar(v, dtype);
	const e = b.op('Erf', [b.op('Mul', [x, k(Math.SQRT1_2)])]);
	b.opInto(out, 'Mul', [b.op('Mul', [x, k(0.5)]), b.op('Add', [e, k(1)])]);
}

// com.microsoft BiasGelu: Gelu(A + B), B a 1-D bias over the last axis.
registerDecomposition('BiasGelu', 'com.microsoft', (b, node) => {
	const [a, bias] = node.inputs as [string, string];
	erfGelu(b, b.op('Add', [a, bias]), elementType(b.graph, a), node.outputs[0]!);
});

// com.microsoft Gelu (the exact GELU of BERT-style exports, before Gelu entered the default domain at opset 20).
registerDecomposition('Gelu', 'com.microsoft', (b, node) => {
	erfGelu(b, node.inputs[0]!, elementType(b.graph, node.inputs[0]!), node.outputs[0]!);
});

// com.microsoft FastGelu: y = 0.5 x (1 + tanh(x (C x^2 + B))) on x = X (+ bias), with the kernel's float
// constants B = sqrt(2/pi), C = 0.044715 sqrt(2/pi).
registerDecomposition('FastGelu', 'com.microsoft', (b, node) => {
	const dtype = elementType(b.graph, node.inputs[0]!);
	const k = (v: number) => b.scalar(Math.fround(v), dtype);
	const x = node.inputs[1] ? b.op('Add', [node.inputs[0]!, node.inputs[1]]) : node.inputs[0]!;
	const poly = b.op('Add', [b.op('Mul', [b.op('Mul', [x, x]), k(0.035677408136300125)]), k(0.7978845608028654)]);
	const t = b.op('Tanh', [b.op('Mul', [x, poly])]);
	b.opInto(node.outputs[0]!, 'Mul', [b.op('Mul', [x, k(0.5)]), b.op('Add', [t, k(1)])]);
});

// com.microsoft QuickGelu: y = x * sigmoid(alpha x), alpha default 1.702.
registerDecomposition('QuickGelu', 'com.microsoft', (b, node) => {
	const x = node.inputs[0]!;
	const alpha = attrFloat(node, 'alpha', 1.702);
	const scaled = alpha === 1 ? x : b.op('Mul', [x, b.scalar(Math.fround(alpha), elementType(b.graph, x))]);
	b.opInto(node.outputs[0]!, 'Mul', [x, b.op('Sigmoid', [scaled])]);
});

/**
 * com.microsoft EmbedLayerNormalization (BERT-style fused embedding; onnxruntime-genai's GPT-2 exports use it for the
 * token and position embeddings plus the first block's LayerNorm): inputs input_ids, segment_ids?, word_embedding,
 * position_embedding, segment_embedding?, gamma, beta, mask?, position_ids?; outputs output, mask_index?,
 * embedding_sum?. Positions are position_ids ([B, S] or [1, S]) or 0..S-1; LayerNorm over the last axis with the
 * kernel's default epsilon 1e-12; mask_index counts the mask's ones per row (zeros without a mask). The token lookup
 * becomes a plain Gather of word_embedding by input_ids, which is what the judge surgery masks.
 */
registerDecomposition('EmbedLayerNormalization', 'com.microsoft', (b, node) => {
	const input = (i: number) => node.inputs[i] || undefined;
	const ids = input(0)!;
	const dtype = elementType(b.graph, input(2)!);
	const tokens = b.op('Gather', [input(2)!, ids], {axis: attr.int(0)});
	let positionIds = input(8);
	if (!positionIds) {
		const seq = b.squeeze(b.op('Shape', [ids], {start: attr.int(1), end: attr.int(2)}), [0]);
		positionIds = b.op('Range', [b.scalar(0, 'int64'), seq, b.scalar(1, 'int64')]);
	}
	let sum = b.op('Add', [tokens, b.op('Gather', [input(3)!, positionIds], {axis: attr.int(0)})]);
	if (input(1) && input(4)) {
		sum = b.op('Add', [sum, b.op('Gather', [input(4)!, input(1)!], {axis: attr.int(0)})]);
	}
	if (node.outputs[2]) {
		sum = b.opInto(node.outputs[2], 'Identity', [sum]);
	}
	const centred = b.op('Sub', [sum, meanOver(b, sum)]);
	const eps = b.scalar(attrFloat(node, 'epsilon', SKIP_EPSILON), dtype);
	const denom = b.op('Sqrt', [b.op('Add', [meanOver(b, b.op('Mul', [centred, centred])), eps])]);
	b.opInto(node.outputs[0]!, 'Add', [b.op('Mul', [b.op('Div', [centred, denom]), input(5)!]), input(6)!]);
	if (node.outputs[1]) {
		const mask = input(7);
		const int32 = dtypeCode('int32');
		if (mask) {
			const ones = b.op('Cast', [b.op('Equal', [mask, b.scalar(1, elementType(b.graph, mask))])], {to: attr.int(int32)});
			b.opInto(node.outputs[1], 'Cast', [b.reduceSum(ones, [1], false)], {to: attr.int(int32)});
		} else {
			const batch = b.op('Shape', [ids], {start: attr.int(0), end: attr.int(1)});
			b.opInto(node.outputs[1], 'ConstantOfShape', [batch], {value: attr.tensor(tensorOf('int32', [1], [0]))});
		}
	}
});

/**
 * Decompose the fused ops that hide the token-embedding lookup (EmbedLayerNormalization) in place, so the judge
 * surgery finds its Gather of the embedding table by input_ids. Call before inspecting a model as a causal LM; other
 * fused ops are left for the gradient pipeline (the loss graph keeps their fast kernels). Returns how many nodes were
 * rewritten.
 */
export function exposeEmbeddingLookup(model: Model): number {
	return decomposeContribOps(model, n => n.domain === 'com.microsoft' && n.op === 'EmbedLayerNormalization');
}
