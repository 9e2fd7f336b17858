/**
 * The learning-rate schedule of judge training: linear warmup from lr/warmup to lr, then cosine decay to
 * lr * minRatio at the last step. Warmup keeps Adam's first updates (whose second-moment estimates rest on a
 * handful of gradients) small; cosine decay lets the last steps settle instead of bouncing at the peak rate.
 */

/** Schedule settings. */
export type Schedule = {
	/** Peak learning rate, reached at the end of warmup. */
	lr: number;
	/** Number of warmup steps (0 for none). */
	warmup: number;
	/** Total number of steps of the run. */
	steps: number;
	/** Final learning rate as a fraction of the peak. */
	minRatio: number;
};

/** Learning rate of 0-based step `step`. */
export function learningRate(s: Schedule, step: number): number {
	if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
	const decaySteps = Math.max(1, s.steps - 1 - s.warmup);
	const progress = Math.min(1, (step - s.warmup) / decaySteps);
	const min = s.lr * s.minRatio;
	return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * progress));
}
