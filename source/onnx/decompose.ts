/**
 * Rewriting fused contrib ops (com.microsoft) into primitive ONNX ops before differentiation, so each primitive's
 * gradient rule applies. A decomposition replaces the node by primitives that write the same output names.
 */
import {GraphBuilder} from './graph-builder.js';
import {defaultOpset, ensureOpset, type Model, type Node} from './ir.js';

/** Emit primitives computing `node`'s outputs (written to the node's own output names). */
export type Decomposition = (b: GraphBuilder, node: Node) => void;

const decompositions = new Map<string, Decomposition>();

/** Register how to rewrite `op` of `domain`. */
export function registerDecomposition(op: string, domain: string, fn: Decomposition): void {
	decompositions.set(`${domain}:${op}`, fn);
}

/**
 * Replace every node that has a decomposition (in place), or only those `only` accepts. Returns how many nodes were
 * rewritten.
 */
export function decomposeContribOps(model: Model, only?: (node: Node) => boolean): number {
	const graph = model.graph;
	const todo = graph.nodes.filter(n => decompositions.has(`${n.domain}:${n.op}`) && (!only || only(n)));
	if (todo.length === 0) {
		return 0;
	}
	ensureOpset(model, '', 17);
	const b = new GraphBuilder(graph, defaultOpset(model), 'decomp');
	for (const node of todo) {
		const at = graph.nodes.indexOf(node);
		const before = graph.nodes.length;
		graph.nodes.splice(at, 1);
		decompositions.get(`${node.domain}:${node.op}`)!(b, node);
		// Keep the primitives where the fused node was, so the graph stays in topological order.
		const added = graph.nodes.splice(before - 1);
		graph.nodes.splice(at, 0, ...added);
	}
	return todo.length;
}
