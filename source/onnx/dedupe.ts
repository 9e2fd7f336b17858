/**
 * Common subexpression elimination: a node with the same op, domain, attributes and inputs as an earlier one is
 * dropped, and readers of its outputs read the earlier node's. Graph surgery and the autodiff emit many such
 * duplicates (a Shape of one tensor for each use, the same constant reshape twice); onnxruntime's session creation
 * grows faster than linearly with the node count on large graphs, so a smaller graph opens noticeably faster.
 * Nodes with graph attributes (If, Loop) and nondeterministic ops are kept.
 */
import {isLazy, type Attr, type Graph, type Model, type Node} from './ir.js';
import {topologicalOrder} from './topo.js';

const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout']);

let unique = 0;

function attrKey(a: Attr): string {
	if (a.type === 'tensor') {
		const t = a.value;
		if (isLazy(t)) {
			// Stored outside the model: never loaded to compare, so only the same node can match.
			return `lazy:${unique++}`;
		}
		const data = Array.isArray(t.data) ? t.data : Array.from(t.data as ArrayLike<number | bigint>, String);
		return `tensor:${t.dtype}[${t.dims.join(',')}]=${data.join(',')}`;
	}
	return `${a.type}:${JSON.stringify(a.value)}`;
}

/** Drop duplicate nodes of `graph` (in place); graph outputs keep their names. Returns how many were dropped. */
export function dedupeGraph(graph: Graph): number {
	// Names read inside nested graphs could not follow an alias: such graphs are left as they are.
	if (graph.nodes.some(n => Object.values(n.attrs).some(a => a.type === 'graph'))) {
		return 0;
	}
	const outputs = new Set(graph.outputs.map(o => o.name));
	const seen = new Map<string, Node>();
	const alias = new Map<string, string>();
	const kept: Node[] = [];
	for (const node of topologicalOrder(graph)) {
		const inputs = node.inputs.map(x => alias.get(x) ?? x);
		const current = {...node, inputs};
		const attrs = Object.entries(node.attrs);
		const fixed = !attrs.some(([, a]) => a.type === 'graph') && !NONDETERMINISTIC.has(node.op);
		// A node writing a graph output keeps its name: outputs are part of the interface.
		if (fixed && !node.outputs.some(o => outputs.has(o))) {
			const key = `${node.domain}|${node.op}|${inputs.join(',')}|${node.outputs.map(o => (o === '' ? '-' : '+')).join('')}|${attrs
				.sort(([a], [b]) => (a < b ? -1 : 1))
				.map(([k, a]) => `${k}=${attrKey(a)}`)
				.join(';')}`;
			const earlier = seen.get(key);
			if (earlier) {
				node.outputs.forEach((o, i) => o !== '' && alias.set(o, earlier.outputs[i]!));
				continue;
			}
			seen.set(key, current);
		}
		kept.push(current);
	}
	const dropped = graph.nodes.length - kept.length;
	graph.nodes = kept;
	return dropped;
}

/** dedupeGraph on a model's main graph. */
export function dedupeModel(model: Model): number {
	return dedupeGraph(model.graph);
}
