/**
 * Emitting nodes into a graph with unique names, and opset-aware emitters for the operators whose signature
 * changed across opsets (axes moved from attributes to inputs at 13 for ReduceSum/Squeeze/Unsqueeze/Split and at
 * 18 for the other reductions; Softmax's semantics changed at 13; reductions in Scatter* need 16).
 */
import {attr, dtypeCode, tensorOf, type Attr, type DType, type Graph, type Node, type Tensor} from './ir.js';

export type Attrs = Record<string, Attr>;

export class GraphBuilder {
	readonly graph: Graph;
	readonly opset: number;
	private readonly prefix: string;
	private readonly used = new Set<string>();
	private readonly constCache = new Map<string, string>();
	private counter = 0;

	/**
	 * @param graph graph to append to (its nodes and initializers are changed in place)
	 * @param opset default-domain opset the graph is valid for
	 * @param prefix prefix of every generated name, so generated names never collide with the model's
	 */
	constructor(graph: Graph, opset: number, prefix = 'gmpo') {
		this.graph = graph;
		this.opset = opset;
		this.prefix = prefix;
		for (const n of graph.nodes) {
			this.used.add(n.name);
			for (const o of n.outputs) {
				this.used.add(o);
			}
		}
		for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) {
			this.used.add(v.name);
		}
		for (const k of graph.initializers.keys()) {
			this.used.add(k);
		}
	}

	/** A tensor or node name not used anywhere in the graph yet. */
	fresh(hint: string): string {
		const base = `${this.prefix}/${hint.replace(/[^A-Za-z0-9_./-]/g, '_')}`;
		let name = base;
		while (this.used.has(name)) {
			name = `${base}_${++this.counter}`;
		}
		this.used.add(name);
		return name;
	}

	/** Append a node with `outputs` outputs and return their names. */
	opN(op: string, inputs: string[], outputs: number, attrs: Attrs = {}, domain = ''): string[] {
		const outs = Array.from({length: outputs}, (_, i) => this.fresh(`${op}_out${i}`));
		const node: Node = {op, domain, name: this.fresh(op), inputs, outputs: outs, attrs};
		this.graph.nodes.push(node);
		return outs;
	}

	/** Append a single-output node and return its output name. */
	op(op: string, inputs: string[], attrs: Attrs = {}, domain = ''): string {
		return this.opN(op, inputs, 1, attrs, domain)[0]!;
	}

	/** Append a node writing to a given output name (used where the name is part of an interface). */
	opInto(output: string, op: string, inputs: string[], attrs: Attrs = {}, domain = ''): string {
		this.used.add(output);
		this.graph.nodes.push({op, domain, name: this.fresh(op), inputs, outputs: [output], attrs});
		return output;
	}

	/** Add an initializer and return its name. */
	constant(t: Tensor, hint = 'const'): string {
		const name = this.fresh(hint);
		this.graph.initializers.set(name, t);
		return name;
	}

	/** A scalar (rank 0) constant of `dtype`, shared between uses. */
	scalar(value: number, dtype: DType): string {
		const key = `s:${dtype}:${value}`;
		let name = this.constCache.get(key);
		if (!name) {
			name = this.constant(tensorOf(dtype, [], [value]), `scalar_${dtype}`);
			this.constCache.set(key, name);
		}
		return name;
	}

	/** A 1-D int64 constant, shared between uses. */
	int64s(values: readonly number[]): string {
		const key = `i:${values.join(',')}`;
		let name = this.constCache.get(key);
		if (!name) {
			name = this.constant(tensorOf('int64', [values.length], values), 'ints');
			this.constCache.set(key, name);
		}
		return name;
	}

	/** Sum over `axes` (ReduceSum took axes as an input from opset 13). */
	reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
		return this.reduce('ReduceSum', x, axes, keepdims);
	}

	/** Any Reduce* op over `axes`: axes are an input from opset 13 (ReduceSum) or 18 (the others). */
	reduce(op: string, x: string, axes: readonly number[], keepdims: boolean): string {
		const inputAxes = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
		const k = attr.int(keepdims ? 1 : 0);
		if (inputAxes) {
			return this.op(op, [x, this.int64s(axes)], {keepdims: k});
		}
		return this.op(op, [x], {axes: attr.ints([...axes]), keepdims: k});
	}

	/** Unsqueeze at `axes` (an input from opset 13). */
	unsqueeze(x: string, axes: readonly number[]): string {
		return this.opset >= 13
			? this.op('Unsqueeze', [x, this.int64s(axes)])
			: this.op('Unsqueeze', [x], {axes: attr.ints([...axes])});
	}

	/** Squeeze `axes` (an input from opset 13). */
	squeeze(x: string, axes: readonly number[]): string {
		return this.opset >= 13
			? this.op('Squeeze', [x, this.int64s(axes)])
			: this.op('Squeeze', [x], {axes: attr.ints([...axes])});
	}

	/** Split along `axis` into pieces of the given sizes (sizes are an input from opset 13). */
	split(x: string, axis: number, sizes: readonly number[]): string[] {
		return this.opset >= 13
			? this.opN('Split', [x, this.int64s(sizes)], sizes.length, {axis: attr.int(axis)})
			: this.opN('Split', [x], sizes.length, {axis: attr.int(axis), split: attr.ints([...sizes])});
	}

	/**
	 * Softmax over one axis. Before opset 13 Softmax flattened to 2-D around `axis`, which equals a one-axis
	 * softmax only for the last axis, so any other axis is transposed to the end first.
	 */
	softmax(x: string, axis: number, rank: number, op: 'Softmax' | 'LogSoftmax' = 'Softmax'): string {
		const a = axis < 0 ? axis + rank : axis;
		if (this.opset >= 13 || a === rank - 1) {
			return this.op(op, [x], {axis: attr.int(this.opset >= 13 ? a : rank - 1)});
		}
		const perm = [...Array(rank).keys()].filter(i => i !== a).concat([a]);
		const inv = perm.map((_, i) => perm.indexOf(i));
		const t = this.op('Transpose', [x], {perm: attr.ints(perm)});
		const s = this.op(op, [t], {axis: attr.int(rank - 1)});
		return this.op('Transpose', [s], {perm: attr.ints(inv)});
	}

	/** Slice with starts/ends/axes/steps as inputs (opset >= 10). */
	slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): string {
		const inputs = [x, this.int64s(starts), this.int64s(ends), this.int64s(axes)];
		if (steps) {
			inputs.push(this.int64s(steps));
		}
		return this.op('Slice', inputs);
	}

	/** Cast to `dtype`. */
	cast(x: string, dtype: DType): string {
		return this.op('Cast', [x], {to: attr.int(dtypeCode(dtype))});
	}

	/** Whether Scatter* ops accept a reduction attribute at this opset. */
	get hasScatterReduction(): boolean {
		return this.opset >= 16;
	}
}
