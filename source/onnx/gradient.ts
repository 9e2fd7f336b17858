/**
 * The whole gradient pipeline for one model: rewrite fused contrib ops into primitives, probe the shapes on the
 * differentiated path, then add the gradient outputs.
 */
import {addGradients, checkDifferentiable, differentiatedPath} from './autodiff.js';
import {decomposeContribOps} from './decompose.js';
import {cloneModel, type Model} from './ir.js';
import type {Feeds} from './ort.js';
import {probeShapes, type ProbeRunner} from './shapes.js';
import './grad-rules.js';

/** What to differentiate and how to probe shapes. */
export type GradientModelOptions = {
	/** Loss tensor (seeded with ones: a loss of shape [B] gives per-example gradients). */
	loss: string;
	/** Tensors to differentiate with respect to. */
	wrt: string[];
	/** Two or more feed sets at different sizes, for the shape probe. */
	probes: Feeds[];
	/** Output name of each gradient (default `grad/<name>`). */
	gradNames?: Record<string, string>;
	/** Where the shape probe runs (default: on this thread, from the model encoded in memory). */
	probeRunner?: ProbeRunner;
};

/** A copy of `model` with gradient outputs added; the names of those outputs in `wrt` order. */
export async function buildGradientModel(model: Model, options: GradientModelOptions): Promise<{model: Model; gradOutputs: string[]}> {
	const m = cloneModel(model);
	decomposeContribOps(m);
	checkDifferentiable(m, options.loss, options.wrt);
	const {pathNodes} = differentiatedPath(m, options.loss, options.wrt);
	const names = new Set<string>([options.loss, ...options.wrt]);
	for (const n of pathNodes) {
		for (const x of [...n.inputs, ...n.outputs]) {
			if (x !== '') {
				names.add(x);
			}
		}
	}
	const shapes = await probeShapes(m, names, options.probes, options.probeRunner);
	const gradOutputs = addGradients(m, {loss: options.loss, wrt: options.wrt, shapes, gradNames: options.gradNames});
	return {model: m, gradOutputs};
}
