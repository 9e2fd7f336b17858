/**
 * AdamW (Loshchilov & Hutter: Adam with decoupled weight decay, as torch.optim.AdamW) over named float32 tensors,
 * with gradient clipping by the global L2 norm. State is plain arrays so checkpoints can store it byte for byte
 * and a resumed run continues exactly.
 */

/** AdamW hyper-parameters. */
export type AdamWOptions = {
	/** Exponential decay of the first moment. */
	beta1: number;
	/** Exponential decay of the second moment. */
	beta2: number;
	/** Added to sqrt(v) to keep the step finite. */
	eps: number;
	/** Decoupled weight decay (multiplied by the learning rate, as in PyTorch). */
	weightDecay: number;
};

/** Defaults that suit small transformers trained for a few thousand steps. */
export const DEFAULT_ADAMW: AdamWOptions = {beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.05};

/** The optimizer state of one parameter. */
export type ParamState = {
	/** First moment. */
	m: Float32Array;
	/** Second moment. */
	v: Float32Array;
	/** Whether weight decay applies to this parameter. */
	decay: boolean;
};

/** AdamW over a fixed set of named parameters. */
export class AdamW {
	/** Number of updates done so far (bias correction uses step + 1 for the next one). */
	step = 0;
	/** Per-parameter state, by name. */
	readonly state = new Map<string, ParamState>();

	constructor(
		readonly options: AdamWOptions,
		params: ReadonlyMap<string, {size: number; decay: boolean}>,
	) {
		for (const [name, p] of params) {
			this.state.set(name, {m: new Float32Array(p.size), v: new Float32Array(p.size), decay: p.decay});
		}
	}

	/**
	 * One update of every parameter in place: p <- p - lr * (wd * p + mhat / (sqrt(vhat) + eps)), with the
	 * gradients scaled by `gradScale` first (the clipping factor). Each element is computed in float64 and stored
	 * as float32, so the result does not depend on evaluation order.
	 */
	update(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
		const {beta1, beta2, eps, weightDecay} = this.options;
		this.step += 1;
		const c1 = 1 - beta1 ** this.step;
		const c2 = 1 - beta2 ** this.step;
		for (const [name, s] of this.state) {
			const p = params.get(name);
			const g = grads.get(name);
			if (!p || !g) throw new Error(`AdamW: no parameter or gradient for ${name}`);
			const decay = s.decay ? 1 - lr * weightDecay : 1;
			const {m, v} = s;
			for (let i = 0; i < p.length; i++) {
				const gi = g[i]! * gradScale;
				const mi = beta1 * m[i]! + (1 - beta1) * gi;
				const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
				m[i] = mi;
				v[i] = vi;
				p[i] = p[i]! * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
			}
		}
	}
}

/** The global L2 norm of a set of gradients (accumulated in float64). */
export function globalNorm(grads: Iterable<Float32Array>): number {
	let sum = 0;
	for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
	return Math.sqrt(sum);
}

/** The factor that scales gradients of norm `norm` down to at most `maxNorm` (1 when already within). */
export function clipScale(norm: number, maxNorm: number): number {
	return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}
