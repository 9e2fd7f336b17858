/**
 * Topological order of a graph's nodes and simple producer/consumer look-ups.
 */
import type {Graph, Node} from './ir.js';

/**
 * The graph's nodes with every node after the producers of its inputs. Stable: an already ordered graph keeps its
 * order. Throws on a cycle or on an input that nothing produces.
 */
export function topologicalOrder(graph: Graph): Node[] {
	const available = new Set<string>(['']);
	for (const v of graph.inputs) {
		available.add(v.name);
	}
	for (const k of graph.initializers.keys()) {
		available.add(k);
	}
	const producers = new Map<string, Node>();
	for (const n of graph.nodes) {
		for (const o of n.outputs) {
			if (o !== '') {
				producers.set(o, n);
			}
		}
	}
	const waiting = new Map<Node, number>();
	const consumers = new Map<string, Node[]>();
	const ready: Node[] = [];
	for (const n of graph.nodes) {
		const pending = new Set(n.inputs.filter(x => !available.has(x)).concat(outerNames(n)));
		for (const x of pending) {
			if (!producers.has(x)) {
				if (isOuterScope(n, x)) {
					continue;
				}
				throw new Error(`graph is not well formed: input "${x}" of ${n.op} node "${n.name}" is produced by no node`);
			}
			const list = consumers.get(x) ?? [];
			list.push(n);
			consumers.set(x, list);
		}
		const count = [...pending].filter(x => producers.has(x)).length;
		waiting.set(n, count);
		if (count === 0) {
			ready.push(n);
		}
	}
	const order: Node[] = [];
	// Keep the original relative order among ready nodes, so sorted graphs stay as they are.
	const position = new Map(graph.nodes.map((n, i) => [n, i]));
	while (ready.length > 0) {
		ready.sort((a, b) => position.get(b)! - position.get(a)!);
		const n = ready.pop()!;
		order.push(n);
		for (const o of n.outputs) {
			for (const c of consumers.get(o) ?? []) {
				const left = waiting.get(c)! - 1;
				waiting.set(c, left);
				if (left === 0) {
					ready.push(c);
				}
			}
			consumers.delete(o);
		}
	}
	if (order.length !== graph.nodes.length) {
		const stuck = graph.nodes.find(n => !order.includes(n));
		throw new Error(`graph has a cycle through ${stuck?.op} node "${stuck?.name}"`);
	}
	return order;
}

/** Names a subgraph attribute (If/Loop/Scan body) reads from the enclosing scope. */
function outerNames(node: Node): string[] {
	const names: string[] = [];
	for (const a of Object.values(node.attrs)) {
		if (a.type !== 'graph') {
			continue;
		}
		const local = new Set<string>([...a.value.inputs.map(v => v.name), ...a.value.initializers.keys()]);
		for (const n of a.value.nodes) {
			for (const o of n.outputs) {
				local.add(o);
			}
		}
		for (const n of a.value.nodes) {
			for (const x of n.inputs) {
				if (x !== '' && !local.has(x)) {
					names.push(x);
				}
			}
		}
	}
	return names;
}

function isOuterScope(node: Node, name: string): boolean {
	return outerNames(node).includes(name) && !node.inputs.includes(name);
}

/** Map from tensor name to the node producing it. */
export function producerMap(graph: Graph): Map<string, Node> {
	const m = new Map<string, Node>();
	for (const n of graph.nodes) {
		for (const o of n.outputs) {
			if (o !== '') {
				m.set(o, n);
			}
		}
	}
	return m;
}

/** Map from tensor name to the nodes reading it. */
export function consumerMap(graph: Graph): Map<string, Node[]> {
	const m = new Map<string, Node[]>();
	for (const n of graph.nodes) {
		for (const x of n.inputs) {
			const list = m.get(x) ?? [];
			list.push(n);
			m.set(x, list);
		}
	}
	return m;
}
