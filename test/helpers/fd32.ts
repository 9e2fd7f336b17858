/**
 * Gradient checks in float32, for ops onnxruntime runs only in float32 (Erf and what is built on it, Clip-6).
 *
 * The check is a directional derivative: for each differentiated tensor x and a random direction v, the engine's
 * gradient g (a float32 gradient graph) is compared with central differences of the loss along v. To keep float32
 * noise out of the comparison:
 * - the loss sum(R * y) is summed in float64 in JavaScript from the float32 outputs y, so its rounding error is that
 *   of y alone (about sqrt(n) 2^-24 |y|);
 * - the steps actually taken (x ± h v rounded to float32) are used on the analytic side too: g · (x+ - x-);
 * - the O(h^2) truncation error is removed by Richardson extrapolation over the steps h and 2h.
 * What remains is the rounding of the loss, about 1e-7 / (2h) relative to its scale, plus O(h^4): a few 1e-6 for the
 * default h = 3e-2 and the small tensors used in the tests (measured: at most 3e-6 on the GELU/Erf cases).
 */
import {buildGradientModel} from '../../source/onnx/gradient.js';
import {attr, tensorOf, type Model, type Tensor} from '../../source/onnx/ir.js';
import {createSession, fromIr, run, type Feeds} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {rng, type FdCase, type FdResult} from './fd.js';

/** A float32 tensor of uniform values in [lo, hi). */
export function randomTensor32(dims: number[], seed: number, lo = -1, hi = 1): Tensor {
	const r = rng(seed);
	const n = dims.reduce((a, b) => a * b, 1);
	return tensorOf('float32', dims, Array.from({length: n}, () => lo + (hi - lo) * r()));
}

let uid = 0;

function baseModel(c: FdCase): Model {
	return {
		irVersion: 8,
		opsets: [{domain: '', version: c.opset ?? 17}, ...(c.extraOpsets ?? [])],
		producerName: 'gmpo-test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: `fd32_${uid++}`,
			nodes: [...c.nodes],
			inputs: Object.entries(c.inputs).map(([name, t]) => ({name, dtype: t.dtype, shape: t.dims})),
			outputs: [{name: c.output, dtype: 'float32', untyped: true}],
			initializers: new Map(Object.entries(c.initializers ?? {})),
			valueInfo: [],
		},
	};
}

/**
 * Directional-derivative check in float32 (see the file comment). Returns the largest
 * |analytic - numeric| / max(1, |numeric|) over the differentiated tensors (default: every float32 input).
 */
export async function checkDirectional32(c: FdCase): Promise<FdResult> {
	const forward = baseModel(c);
	const feeds: Feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, fromIr(t)]));
	const fs = await createSession(encodeModel(forward), {optimization: 'basic'});
	const outputOf = async (f: Feeds) => Float32Array.from((await run(fs, f))[c.output]!.data as Float32Array);
	const y0 = await run(fs, feeds);
	const weight = randomTensor32([...y0[c.output]!.dims], 987);
	const w = weight.data as Float32Array;
	const loss = async (f: Feeds) => (await outputOf(f)).reduce((s, v, i) => s + v * w[i]!, 0);

	// The gradient graph: loss = ReduceSum(y * R) in float32, differentiated by the engine.
	const withLoss = baseModel(c);
	withLoss.graph.initializers.set('fd/R', weight);
	withLoss.graph.nodes.push(
		{op: 'Mul', domain: '', name: 'fd/mul', inputs: [c.output, 'fd/R'], outputs: ['fd/weighted'], attrs: {}},
		{op: 'ReduceSum', domain: '', name: 'fd/sum', inputs: ['fd/weighted'], outputs: ['fd/loss'], attrs: {keepdims: attr.int(0)}},
	);
	withLoss.graph.outputs = [{name: 'fd/loss', dtype: 'float32', shape: []}];
	const wrt = c.wrt ?? Object.entries(c.inputs).filter(([, t]) => t.dtype === 'float32').map(([k]) => k);
	const {model: gm, gradOutputs} = await buildGradientModel(withLoss, {loss: 'fd/loss', wrt, probes: [feeds, feeds]});
	const gs = await createSession(encodeModel(gm), {optimization: 'basic'});
	const grads = await run(gs, feeds);
	await gs.release();

	const h = c.eps ?? 3e-2;
	let maxError = 0;
	for (const [i, name] of wrt.entries()) {
		const g = grads[gradOutputs[i]!]!.data as Float32Array;
		const x = c.inputs[name]!;
		const base = x.data as Float32Array;
		const v = randomTensor32(x.dims, 4242 + i).data as Float32Array;
		// Analytic and numeric change of the loss between x - step v and x + step v, over the float32 points hit.
		const along = async (step: number) => {
			const plus = Float32Array.from(base, (t, j) => t + step * v[j]!);
			const minus = Float32Array.from(base, (t, j) => t - step * v[j]!);
			const at = (d: Float32Array) => ({...feeds, [name]: fromIr({dtype: 'float32', dims: [...x.dims], data: d})});
			const numeric = ((await loss(at(plus))) - (await loss(at(minus)))) / (2 * step);
			const analytic = g.reduce((s, gj, j) => s + gj * (plus[j]! - minus[j]!), 0) / (2 * step);
			return {numeric, analytic};
		};
		const small = await along(h);
		const large = await along(2 * h);
		// The difference numeric - analytic is O(step^2); extrapolate it to step 0.
		const gap = (4 * (small.numeric - small.analytic) - (large.numeric - large.analytic)) / 3;
		maxError = Math.max(maxError, Math.abs(gap) / Math.max(1, Math.abs(small.numeric)));
	}
	await fs.release();
	return {maxError, checked: wrt.length};
}
