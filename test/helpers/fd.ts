/**
 * Finite-difference checks of gradient graphs in float64: build a one-op (or small) graph, reduce its output to a
 * scalar with a fixed random weighting, add gradients with the engine, and compare them with central differences.
 */
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {tensorOf, type Model, type Node, type Tensor} from '../../source/onnx/ir.js';
import {createSession, fromIr, run, type Feeds} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {mulberry32} from '../../source/core/random.js';

/** A deterministic pseudo-random generator. */
export const rng = mulberry32;

/** A float64 tensor of uniform values in [lo, hi). */
export function randomTensor(dims: number[], seed: number, lo = -1, hi = 1): Tensor {
	const r = rng(seed);
	const n = dims.reduce((a, b) => a * b, 1);
	return tensorOf('float64', dims, Array.from({length: n}, () => lo + (hi - lo) * r()));
}

export type FdCase = {
	/** Nodes computing `output` from the inputs (and initializers). */
	nodes: Node[];
	/** Graph inputs with their values (float64 ones are differentiated unless `wrt` says otherwise). */
	inputs: Record<string, Tensor>;
	/** Constant initializers (not differentiated unless listed in `wrt`). */
	initializers?: Record<string, Tensor>;
	/** The tensor whose weighted sum is the loss. */
	output: string;
	/** Tensors to check (default: every float64 input). */
	wrt?: string[];
	/** Default-domain opset (default 17). */
	opset?: number;
	/** Extra opset imports (e.g. com.microsoft). */
	extraOpsets?: {domain: string; version: number}[];
	/** Finite-difference step (default 1e-6). */
	eps?: number;
	/** How many coordinates of each tensor to check (default all, capped at 64). */
	maxCoords?: number;
};

export type FdResult = {
	/** Largest |analytic - numeric| / max(1, |numeric|) over the coordinates checked. */
	maxError: number;
	/** Coordinates checked. */
	checked: number;
};

let uid = 0;

/** Build the model: `loss = ReduceSum(output * R)` with a fixed random R. */
async function buildModel(c: FdCase): Promise<{model: Model; feeds: Feeds}> {
	const opset = c.opset ?? 17;
	const feeds: Feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, fromIr(t)]));
	const initializers = new Map<string, Tensor>(Object.entries(c.initializers ?? {}));
	const base: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: opset}, ...(c.extraOpsets ?? [])],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: `fd${uid++}`,
			nodes: [...c.nodes],
			inputs: Object.entries(c.inputs).map(([name, t]) => ({name, dtype: t.dtype, shape: t.dims})),
			outputs: [{name: c.output, dtype: 'float64', untyped: true}],
			initializers,
			valueInfo: [],
		},
	};
	// One forward run for the output's shape, then the weighting R of that shape.
	const s0 = await createSession(encodeModel(base), {optimization: 'basic'});
	const out = (await run(s0, feeds))[c.output]!;
	await s0.release();
	const weight = randomTensor([...out.dims], 987);
	initializers.set('fd/R', weight);
	base.graph.nodes.push(
		{op: 'Mul', domain: '', name: 'fd/mul', inputs: [c.output, 'fd/R'], outputs: ['fd/weighted'], attrs: {}},
		{op: 'ReduceSum', domain: '', name: 'fd/sum', inputs: ['fd/weighted'], outputs: ['fd/loss'], attrs: {keepdims: {type: 'int', value: 0}}},
	);
	base.graph.outputs = [{name: 'fd/loss', dtype: 'float64', shape: []}];
	return {model: base, feeds};
}

/** Compare the engine's gradients with central differences. */
export async function checkGradients(c: FdCase): Promise<FdResult> {
	const {model, feeds} = await buildModel(c);
	const wrt = c.wrt ?? Object.entries(c.inputs).filter(([, t]) => t.dtype === 'float64').map(([k]) => k);
	// Inputs listed in wrt that are initializers are fed as inputs for the finite differences.
	for (const w of wrt) {
		const init = model.graph.initializers.get(w);
		if (init) {
			model.graph.initializers.delete(w);
			model.graph.inputs.push({name: w, dtype: init.dtype, shape: init.dims});
			feeds[w] = fromIr(init);
		}
	}
	const {model: gm, gradOutputs} = await buildGradientModel(model, {loss: 'fd/loss', wrt, probes: [feeds, feeds]});
	const gs = await createSession(encodeModel(gm), {optimization: 'basic'});
	const analytic = await run(gs, feeds);
	await gs.release();
	const fs = await createSession(encodeModel(model), {optimization: 'basic'});
	const eps = c.eps ?? 1e-6;
	let maxError = 0;
	let checked = 0;
	for (const [i, w] of wrt.entries()) {
		const grad = analytic[gradOutputs[i]!]!.data as Float64Array;
		const base = feeds[w]!.data as Float64Array;
		const n = base.length;
		const coords = Math.min(n, c.maxCoords ?? 64);
		const step = n / coords;
		for (let k = 0; k < coords; k++) {
			const j = Math.floor(k * step);
			const orig = base[j]!;
			const values = new Float64Array(base);
			values[j] = orig + eps;
			const plus = (await run(fs, {...feeds, [w]: fromIr({dtype: 'float64', dims: [...feeds[w]!.dims], data: values})}))['fd/loss']!.data[0] as number;
			values[j] = orig - eps;
			const minus = (await run(fs, {...feeds, [w]: fromIr({dtype: 'float64', dims: [...feeds[w]!.dims], data: values})}))['fd/loss']!.data[0] as number;
			const numeric = (plus - minus) / (2 * eps);
			const err = Math.abs(grad[j]! - numeric) / Math.max(1, Math.abs(numeric));
			maxError = Math.max(maxError, err);
			checked++;
		}
	}
	await fs.release();
	return {maxError, checked};
}

/** A node literal with a generated name. */
export function node(op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}, domain = ''): Node {
	return {op, domain, name: `${op}_${uid++}`, inputs, outputs, attrs};
}
