/**
 * One graph for everything a judge runs: scoring, attribution, the shared-prefix pass and greedy generation. A
 * session holds its weights once; two graphs over the same weights in one process (a loss graph and an attribution
 * graph) hold them twice, even when both memory-map the same file, since each session maps it. So the loss graph
 * and the attribution graph become the two branches of one If node on a boolean input `want_grad`:
 *
 *   want_grad = false   the forward pass only (loss, and the key/value cache and target logits when asked for);
 *                       activations are freed as it goes, as in the loss graph alone
 *   want_grad = true    forward and backward (loss and segment_grad)
 *
 * Both branches read the weights as outer-scope initializers of the main graph, so they share them; onnxruntime
 * runs only the branch taken. Intermediate names are prefixed per branch (a subgraph may not redefine a name of the
 * outer scope, and the two branches reuse the same names).
 */
import {attr, type DType, type Graph, type Model, type Node, type Tensor, type ValueInfo} from './ir.js';
import {topologicalOrder} from './topo.js';

/** The input choosing the branch. */
export const WANT_GRAD = 'want_grad';

/** Outputs of the unified graph besides loss and segment_grad: names the loss graph computes, with their type. */
export type ExtraOutput = {name: string; dtype: DType};

/** Rename every name a node list defines with `prefix`; references to names defined outside stay. */
function branch(source: Graph, prefix: string, outputs: string[], name: string, types: Map<string, DType>): Graph {
	const defined = new Set(source.nodes.flatMap(n => n.outputs.filter(o => o !== '')));
	const rename = (x: string) => (defined.has(x) ? `${prefix}${x}` : x);
	const nodes: Node[] = source.nodes.map(n => ({
		...n,
		name: `${prefix}${n.name}`,
		inputs: n.inputs.map(rename),
		outputs: n.outputs.map(o => (o === '' ? o : rename(o))),
		attrs: renameInNested(n.attrs, rename),
	}));
	const out: ValueInfo[] = outputs.map(o => ({name: rename(o), dtype: types.get(o)!}));
	for (const o of out) {
		if (!defined.has(o.name.slice(prefix.length)) || !o.name.startsWith(prefix)) {
			throw new Error(`the ${name} branch does not compute "${o.name}"`);
		}
	}
	return {name, nodes, inputs: [], outputs: out, initializers: new Map(), valueInfo: []};
}

/** A node's attributes with outer-scope references inside nested graphs (If, Loop, Scan bodies) renamed. */
function renameInNested(attrs: Node['attrs'], rename: (x: string) => string): Node['attrs'] {
	const out: Node['attrs'] = {};
	for (const [k, a] of Object.entries(attrs)) {
		if (a.type !== 'graph') {
			out[k] = a;
			continue;
		}
		const g = a.value;
		const local = new Set([...g.inputs.map(v => v.name), ...g.initializers.keys(), ...g.nodes.flatMap(n => n.outputs)]);
		const inner = (x: string) => (local.has(x) ? x : rename(x));
		out[k] = {
			type: 'graph',
			value: {
				...g,
				nodes: g.nodes.map(n => ({...n, inputs: n.inputs.map(inner), attrs: renameInNested(n.attrs, inner)})),
				outputs: g.outputs.map(v => ({...v, name: inner(v.name)})),
			},
		};
	}
	return out;
}

/**
 * The unified graph of `loss` (the loss graph: output `loss`) and `attribution` (the same graph with `segment_grad`
 * added), exposing `extra` (computed by both) as outputs. Without an attribution graph (the model cannot be
 * differentiated) it is the loss graph with the extra outputs, and has no want_grad input.
 */
export function unifiedGraph(loss: Model, attribution: Model | undefined, floatType: DType, extra: ExtraOutput[]): Model {
	const types = new Map<string, DType>([
		['loss', floatType],
		['segment_grad', floatType],
		...extra.map(e => [e.name, e.dtype] as const),
	]);
	const outputs: ValueInfo[] = [...types].map(([name, dtype]) => ({name, dtype}));
	if (!attribution) {
		return {...loss, graph: {...loss.graph, outputs: outputs.filter(o => o.name !== 'segment_grad')}};
	}
	const initializers = new Map<string, Tensor>(loss.graph.initializers);
	for (const [name, t] of attribution.graph.initializers) {
		const known = initializers.get(name);
		if (known && known !== t && known.dims.join() !== t.dims.join()) {
			throw new Error(`initializer "${name}" differs between the loss and attribution graphs`);
		}
		initializers.set(name, known ?? t);
	}
	const names = outputs.map(o => o.name);
	const thenBranch = branch(attribution.graph, 'grad/', names, 'attribution', types);
	const forward = names.filter(n => n !== 'segment_grad');
	const elseBranch = branch(loss.graph, 'fwd/', forward, 'forward', types);
	// segment_grad of the forward branch: zeros shaped like segment_mask.
	const zeros = 'fwd/segment_grad';
	const zero: Tensor = {dtype: floatType, dims: [1], data: floatType === 'float64' ? new Float64Array(1) : new Float32Array(1)};
	elseBranch.nodes.push(
		{op: 'Shape', domain: '', name: 'fwd/grad_shape', inputs: ['segment_mask'], outputs: ['fwd/grad_shape'], attrs: {}},
		{op: 'ConstantOfShape', domain: '', name: 'fwd/grad_zeros', inputs: ['fwd/grad_shape'], outputs: [zeros], attrs: {value: attr.tensor(zero)}},
	);
	elseBranch.outputs = names.map(n => (n === 'segment_grad' ? {name: zeros, dtype: floatType} : elseBranch.outputs.find(o => o.name === `fwd/${n}`)!));
	// onnxruntime requires a subgraph's nodes in topological order (it sorts only the main graph itself).
	const outer = {inputs: [...loss.graph.inputs, {name: WANT_GRAD, dtype: 'bool' as const, shape: []}], initializers};
	thenBranch.nodes = topologicalOrder({...thenBranch, ...outer});
	elseBranch.nodes = topologicalOrder({...elseBranch, ...outer});
	const node: Node = {
		op: 'If',
		domain: '',
		name: 'judge/branch',
		inputs: [WANT_GRAD],
		outputs: names,
		attrs: {then_branch: {type: 'graph', value: thenBranch}, else_branch: {type: 'graph', value: elseBranch}},
	};
	const opsets = [...loss.opsets];
	for (const o of attribution.opsets) {
		if (!opsets.some(p => p.domain === o.domain)) {
			opsets.push(o);
		}
	}
	return {
		...loss,
		opsets,
		graph: {
			name: loss.graph.name,
			nodes: [node],
			inputs: outer.inputs,
			outputs,
			initializers,
			valueInfo: [],
		},
	};
}
