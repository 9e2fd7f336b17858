/**
 * Shape probes of a judge's graph (onnx/shapes.ts) run in a worker thread, from a graph file whose weights are
 * referenced in place: a model of real size is never encoded into one message, and the UI thread never blocks on
 * onnxruntime while a judge is built. The probe's worker is its own and ends with the probe, so its session (which
 * maps every weight) does not outlive it.
 */
import {rmSync} from 'node:fs';
import path from 'node:path';
import type {ShapeInfo} from '../onnx/autodiff.js';
import {writeModelExternal} from '../onnx/model-file.js';
import {toIr} from '../onnx/ort.js';
import type {ProbeRunner} from '../onnx/shapes.js';
import {OrtPool} from './pool.js';

/** A probe runner writing into `tmp` (a build folder) and resolving external data in `dataDir`. */
export function poolProbeRunner(options: {tmp: string; dataDir: string; signal?: AbortSignal}): ProbeRunner {
	return async (model, fetch, probes) => {
		const file = path.join(options.tmp, 'probe.onnx');
		await writeModelExternal(file, model, {dataDir: options.dataDir, signal: options.signal});
		const pool = new OrtPool({workers: 1});
		try {
			const runs: Map<string, ShapeInfo>[] = [];
			for (const feeds of probes) {
				const irFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toIr(v)]));
				// No optimisation: every probed tensor stays; no prepacking: the weights stay mapped, not copied.
				const out = await pool.run({key: 'probe', modelPath: file, dataDir: options.dataDir, optimization: 'disabled', prepack: false, feeds: irFeeds, outputs: fetch}, options.signal);
				runs.push(new Map(fetch.map(name => [name, {dtype: out[name]!.dtype, dims: [...out[name]!.dims]}])));
			}
			return runs;
		} finally {
			await pool.close();
			rmSync(file, {force: true});
		}
	};
}
