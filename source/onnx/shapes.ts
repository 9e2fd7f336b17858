/**
 * Shapes and dtypes of the tensors on a differentiated path, by probe runs: the model is run with those tensors
 * exposed as outputs at two small input sizes that differ in every dynamic dimension. A dimension equal in both runs
 * is taken as static; one that differs is dynamic (null). Probe sizes are at least 2 so that a dynamic dimension is
 * never mistaken for a broadcast dimension of size 1.
 */
import type {ShapeMap, ShapeInfo} from './autodiff.js';
import {cloneModel, type Model} from './ir.js';
import {createSession, release, run, toIr, type Feeds, type OrtTensor} from './ort.js';
import {encodeModel} from './proto.js';

/** Runs `model` once per probe feed set and returns the dtype and dims of each fetched tensor, per probe. */
export type ProbeRunner = (model: Model, fetch: string[], probes: Feeds[]) => Promise<Map<string, ShapeInfo>[]>;

/**
 * The probe runs on the calling thread, from the model encoded in memory: for small models (tests, training). A
 * judge of real size is probed in the worker pool instead (judges/graph-cache.ts), so neither its weights are
 * encoded into one message nor the UI thread blocked.
 */
export const probeInThread: ProbeRunner = async (model, fetch, probes) => {
	// No graph optimisation: every probed tensor stays, and float64 graphs run (fusions may have float-only kernels).
	const session = await createSession(encodeModel(model), {optimization: 'disabled'});
	try {
		const runs: Map<string, ShapeInfo>[] = [];
		for (const feeds of probes) {
			const result = fetch.length > 0 ? await run(session, feeds, fetch) : {};
			runs.push(new Map(fetch.map(name => [name, shapeOf(result[name], name)])));
		}
		return runs;
	} finally {
		await release(session);
	}
};

function shapeOf(t: OrtTensor | undefined, name: string): ShapeInfo {
	if (!t) {
		throw new Error(`probe run returned no tensor "${name}"`);
	}
	const ir = toIr(t);
	return {dtype: ir.dtype, dims: [...ir.dims]};
}

/**
 * Probe the shapes of `names`. `probes` are feeds at different sizes (two or more). Initializers are read directly
 * and never probed; graph inputs are read from the feeds.
 */
export async function probeShapes(model: Model, names: Iterable<string>, probes: Feeds[], runner: ProbeRunner = probeInThread): Promise<ShapeMap> {
	const shapes: ShapeMap = new Map();
	const wanted: string[] = [];
	const inputNames = new Set(model.graph.inputs.map(v => v.name));
	for (const name of new Set(names)) {
		const init = model.graph.initializers.get(name);
		if (init) {
			shapes.set(name, {dtype: init.dtype, dims: [...init.dims]});
		} else if (name !== '') {
			wanted.push(name);
		}
	}
	if (wanted.length === 0) {
		return shapes;
	}
	const probeModel = cloneModel(model);
	const outputNames = new Set(probeModel.graph.outputs.map(v => v.name));
	const fetch = wanted.filter(n => !inputNames.has(n));
	for (const name of fetch) {
		if (!outputNames.has(name)) {
			probeModel.graph.outputs.push({name, dtype: 'float32', untyped: true});
		}
	}
	const fetched = await runner(probeModel, fetch, probes);
	const runs = probes.map((feeds, i) => {
		const m = new Map(fetched[i]!);
		for (const name of wanted) {
			if (inputNames.has(name)) {
				m.set(name, shapeOf(feeds[name], name));
			}
		}
		return m;
	});
	for (const name of wanted) {
		const first = runs[0]!.get(name)!;
		const dims = first.dims.map((d, i) => (runs.every(r => r.get(name)!.dims[i] === d) ? d : null));
		const sameRank = runs.every(r => r.get(name)!.dims.length === first.dims.length);
		if (!sameRank) {
			throw new Error(`tensor "${name}" changes rank with the input size; the graph cannot be differentiated statically`);
		}
		shapes.set(name, {dtype: first.dtype, dims});
	}
	return shapes;
}
