/**
 * Reverse-mode automatic differentiation over ONNX graphs. The gradient graph is made of ordinary inference ops
 * (no training-only com.microsoft ops), so onnxruntime-node runs it.
 *
 * The differentiated path is forward reachability from the requested tensors through floating-point values,
 * intersected with backward reachability from the loss. A reverse topological sweep over that path asks each
 * node's rule for its input gradients and sums the contributions a tensor receives.
 */
import {GraphBuilder} from './graph-builder.js';
import {defaultOpset, dtypeFromCode, isFloat, type DType, type Model, type Node} from './ir.js';
import {topologicalOrder} from './topo.js';

/** Shape and dtype of a tensor as far as they are known: a null dimension varies with the inputs. */
export type ShapeInfo = {
	/** Element type. */
	dtype: DType;
	/** Dimensions: a number where it is the same for every input size, null where it varies. */
	dims: (number | null)[];
};

/** Known shapes by tensor name. */
export type ShapeMap = Map<string, ShapeInfo>;

/** What a gradient rule gets to work with. */
export type GradContext = {
	/** Emits the gradient nodes. */
	b: GraphBuilder;
	/** The node being differentiated. */
	node: Node;
	/** Default-domain opset of the graph. */
	opset: number;
	/** Gradient arriving at each output (undefined: that output does not reach the loss). */
	dy: (string | undefined)[];
	/** Which inputs need a gradient. */
	needs: boolean[];
	/** Shape of a tensor on or next to the path (throws when unknown). */
	shape(name: string): ShapeInfo;
	/**
	 * Sum `grad` back to the shape of input `inName`. `gradShape` is the name of a tensor shaped like `grad`
	 * (usually the broadcast result) or its dims.
	 */
	unbroadcast(grad: string, inName: string, gradShape: string | readonly (number | null)[]): string;
	/** A scalar constant with the dtype of tensor `like`. */
	scalar(value: number, like: string): string;
};

/** A gradient rule returns one gradient (or undefined) per node input. */
export type GradRule = (ctx: GradContext) => (string | undefined)[];

/** A registered gradient. */
export type OpGrad = {
	/** Computes input gradients from output gradients. */
	rule: GradRule;
	/** Input positions that never carry a gradient (indices, shapes, axes, ...). */
	nonDiff?: number[];
	/** Lowest default-domain opset the rule is written for. */
	minOpset?: number;
	/** Highest default-domain opset the rule is written for. */
	maxOpset?: number;
};

const registry = new Map<string, OpGrad>();
const key = (domain: string, op: string) => `${domain === 'ai.onnx' ? '' : domain}:${op}`;

/** Register the gradient of `op` in `domain` ("" for the default domain). */
export function registerGrad(op: string, spec: OpGrad, domain = ''): void {
	registry.set(key(domain, op), spec);
}

/** The registered gradient of a node, if any. */
export function gradFor(node: Node): OpGrad | undefined {
	return registry.get(key(node.domain, node.op));
}

/** Ops that are never differentiated: fused or quantised kernels with no primitive form here. */
const FUSED = new Set(['GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'MatMulNBits', 'PackedAttention', 'DecoderMaskedMultiHeadAttention', 'MatMulInteger', 'DynamicQuantizeMatMul', 'QAttention']);

/** Raised when the graph holds an op on the path that cannot be differentiated. */
export class UnsupportedOpError extends Error {
	readonly op: string;
	readonly nodeName: string;
	constructor(node: Node, reason: string) {
		super(reason);
		this.name = 'UnsupportedOpError';
		this.op = node.op;
		this.nodeName = node.name;
	}
}

function unsupported(node: Node, opset: number, spec?: OpGrad): UnsupportedOpError {
	const where = `${node.domain ? node.domain + '.' : ''}${node.op} node "${node.name}"`;
	if (FUSED.has(node.op)) {
		return new UnsupportedOpError(
			node,
			`cannot differentiate through ${where}: fused or quantised kernels have no gradient here; ` +
				'export the model unoptimised in fp32 (e.g. optimum-cli export onnx without --optimize, no quantisation)',
		);
	}
	if (spec) {
		return new UnsupportedOpError(
			node,
			`cannot differentiate through ${where} at opset ${opset}: its gradient rule covers opsets ` +
				`${spec.minOpset ?? 1}-${spec.maxOpset ?? 'latest'}`,
		);
	}
	return new UnsupportedOpError(node, `cannot differentiate through ${where}: no gradient rule for ${node.op}`);
}

/** Every node on the path has a usable rule; else UnsupportedOpError naming the first node that has none. */
function checkRules(pathNodes: readonly Node[], opset: number): void {
	for (const node of pathNodes) {
		const spec = gradFor(node);
		if (!spec || FUSED.has(node.op) || (spec.minOpset && opset < spec.minOpset) || (spec.maxOpset && opset > spec.maxOpset)) {
			throw unsupported(node, opset, spec);
		}
	}
}

/**
 * Check, before any shape probe runs, that the gradient of `loss` w.r.t. `wrt` can be built: the error for an
 * unsupported op must not be hidden behind a failing probe run of the same graph.
 */
export function checkDifferentiable(model: Model, loss: string, wrt: readonly string[]): void {
	checkRules(differentiatedPath(model, loss, wrt).pathNodes, defaultOpset(model));
}

/** Ops whose outputs are never floating point, whatever their inputs. */
const NON_FLOAT_OUTPUTS = new Set(['Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'NonZero', 'IsNaN', 'IsInf']);

/** Whether output `k` of `node` can be a float tensor, judged from the op alone (before shapes are probed). */
function mayBeFloat(node: Node, k: number): boolean {
	if (node.domain === '' && NON_FLOAT_OUTPUTS.has(node.op)) {
		return false;
	}
	if (node.op === 'Cast' && node.attrs.to?.type === 'int') {
		return isFloat(dtypeFromCode(node.attrs.to.value));
	}
	return !(node.op === 'TopK' && k === 1);
}

/** What to differentiate. */
export type GradientRequest = {
	/** The loss tensor; its gradient is seeded with ones (so a loss of shape [B] gives per-example gradients). */
	loss: string;
	/** Tensors (graph inputs, initializers or intermediates) to differentiate with respect to. */
	wrt: string[];
	/** Shapes of the tensors on the path (see shapes.ts). */
	shapes: ShapeMap;
	/** Output name for each gradient (default `grad/<name>`). */
	gradNames?: Record<string, string>;
};

/** The tensors the gradient of `loss` w.r.t. `wrt` flows through, and the nodes it flows through in order. */
export function differentiatedPath(model: Model, loss: string, wrt: readonly string[], dtypeOf?: (name: string) => DType | undefined) {
	const nodes = topologicalOrder(model.graph);
	const forward = new Set(wrt);
	for (const node of nodes) {
		const spec = gradFor(node);
		const live = node.inputs.some((x, i) => x !== '' && forward.has(x) && !spec?.nonDiff?.includes(i));
		if (!live) {
			continue;
		}
		node.outputs.forEach((out, k) => {
			const dt = dtypeOf?.(out);
			if (out !== '' && (dt === undefined ? mayBeFloat(node, k) : isFloat(dt))) {
				forward.add(out);
			}
		});
	}
	const backward = new Set([loss]);
	for (let i = nodes.length - 1; i >= 0; i--) {
		const node = nodes[i]!;
		if (node.outputs.some(o => backward.has(o))) {
			for (const x of node.inputs) {
				backward.add(x);
			}
		}
	}
	const active = new Set([...forward].filter(t => backward.has(t)));
	const pathNodes = nodes.filter(n => n.outputs.some(o => active.has(o)) && n.inputs.some(x => active.has(x)));
	return {active, pathNodes};
}

/**
 * Add gradient outputs to `model` (in place): for each tensor in `wrt`, an output holding d(sum of loss)/d(tensor).
 * Throws UnsupportedOpError naming the first node on the path with no usable rule.
 */
export function addGradients(model: Model, request: GradientRequest): string[] {
	const opset = defaultOpset(model);
	const graph = model.graph;
	const shapeOf = (name: string) => {
		const s = request.shapes.get(name);
		if (!s) {
			throw new Error(`autodiff: the shape of tensor "${name}" is unknown (not probed)`);
		}
		return s;
	};
	const {active, pathNodes} = differentiatedPath(model, request.loss, request.wrt, n => request.shapes.get(n)?.dtype);
	checkRules(pathNodes, opset);
	const b = new GraphBuilder(graph, opset, 'grad');
	const contributions = new Map<string, string[]>();
	const add = (name: string, g: string) => {
		const list = contributions.get(name) ?? [];
		list.push(g);
		contributions.set(name, list);
	};
	const total = (name: string): string | undefined => {
		const list = contributions.get(name);
		if (!list || list.length === 0) {
			return undefined;
		}
		if (list.length === 1) {
			return list[0];
		}
		const s = b.op('Sum', list);
		contributions.set(name, [s]);
		return s;
	};
	const scalar = (value: number, like: string) => b.scalar(value, shapeOf(like).dtype);
	const unbroadcast = (grad: string, inName: string, gradShape: string | readonly (number | null)[]): string => {
		const inDims = shapeOf(inName).dims;
		const outDims = typeof gradShape === 'string' ? shapeOf(gradShape).dims : gradShape;
		const lead = outDims.length - inDims.length;
		const axes: number[] = [];
		for (let i = 0; i < lead; i++) {
			axes.push(i);
		}
		for (let i = 0; i < inDims.length; i++) {
			if (inDims[i] === 1 && outDims[i + lead] !== 1) {
				axes.push(i + lead);
			}
		}
		if (axes.length === 0) {
			return grad;
		}
		const summed = b.reduceSum(grad, axes, true);
		return lead > 0 ? b.squeeze(summed, [...Array(lead).keys()]) : summed;
	};

	const lossShape = shapeOf(request.loss);
	const seed =
		lossShape.dims.length === 0
			? b.scalar(1, lossShape.dtype)
			: b.op('Expand', [b.scalar(1, lossShape.dtype), b.op('Shape', [request.loss])]);
	add(request.loss, seed);

	for (let i = pathNodes.length - 1; i >= 0; i--) {
		const node = pathNodes[i]!;
		const dy = node.outputs.map(o => (active.has(o) ? total(o) : undefined));
		if (dy.every(g => g === undefined)) {
			continue;
		}
		const spec = gradFor(node)!;
		const needs = node.inputs.map((x, k) => x !== '' && active.has(x) && !spec.nonDiff?.includes(k));
		if (!needs.some(Boolean)) {
			continue;
		}
		const grads = spec.rule({b, node, opset, dy, needs, shape: shapeOf, unbroadcast, scalar});
		node.inputs.forEach((x, k) => {
			const g = grads[k];
			if (needs[k] && g !== undefined) {
				add(x, g);
			}
		});
	}

	const names: string[] = [];
	for (const w of request.wrt) {
		const out = request.gradNames?.[w] ?? `grad/${w}`;
		const g = total(w);
		const info = request.shapes.get(w);
		const dtype = info?.dtype ?? 'float32';
		if (g === undefined) {
			// The loss does not depend on this tensor: its gradient is zero (Expand, not w * 0, which is NaN for inf).
			b.opInto(out, 'Expand', [b.scalar(0, dtype), b.op('Shape', [w])]);
		} else {
			b.opInto(out, 'Identity', [g]);
		}
		graph.outputs.push({name: out, dtype, shape: info?.dims.map(d => d)});
		names.push(out);
	}
	return names;
}
