import assert from 'node:assert/strict';
import {test} from 'node:test';
import {AdamW, clipScale, globalNorm} from '../../source/training/optimizer.js';
import {learningRate} from '../../source/training/schedule.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('AdamW matches a hand-computed update, with decoupled decay only where asked', () => {
	const opts = {beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1};
	const adam = new AdamW(opts, new Map([['w', {size: 2, decay: true}], ['b', {size: 1, decay: false}]]));
	const w = Float32Array.from([1, -2]);
	const b = Float32Array.from([0.5]);
	// Step 1 (lr 0.1): m = 0.1 g, v = 0.001 g^2, so mhat = g and vhat = g^2: the step is lr * sign(g).
	adam.update(new Map([['w', w], ['b', b]]), new Map([['w', Float32Array.from([0.5, -1])], ['b', Float32Array.from([2])]]), 0.1);
	close(w[0]!, 1 * (1 - 0.1 * 0.1) - 0.1);
	close(w[1]!, -2 * (1 - 0.1 * 0.1) + 0.1);
	close(b[0]!, 0.5 - 0.1);
	// Step 2 (lr 0.05), g = [-0.25, 2]: by hand for w[0]:
	// m = 0.9 * 0.05 + 0.1 * -0.25 = 0.02; v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
	// mhat = 0.02 / 0.19; vhat = 0.00031225 / 0.001999
	const w0 = w[0]!;
	adam.update(new Map([['w', w], ['b', b]]), new Map([['w', Float32Array.from([-0.25, 2])], ['b', Float32Array.from([0])]]), 0.05);
	const mhat = 0.02 / 0.19;
	const vhat = 0.00031225 / 0.001999;
	close(w[0]!, w0 * (1 - 0.05 * 0.1) - (0.05 * mhat) / (Math.sqrt(vhat) + 1e-8), 1e-5);
	assert.equal(adam.step, 2);
	// b: g = 0 now, m = 0.9 * 0.2 = 0.18, v = 0.999 * 0.004: still moves (momentum), never decays.
	close(b[0]!, 0.4 - (0.05 * (0.18 / 0.19)) / Math.sqrt((0.999 * 0.004) / 0.001999), 1e-5);
});

test('gradient clipping scales to the global norm', () => {
	const grads = [Float32Array.from([3, 0]), Float32Array.from([4])];
	assert.equal(globalNorm(grads), 5);
	close(clipScale(5, 1), 0.2);
	assert.equal(clipScale(0.5, 1), 1);
	assert.equal(clipScale(5, 0), 1);
	// Clipping through update: a scaled gradient gives the same Adam step direction, smaller moments.
	const adam = new AdamW({beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0}, new Map([['p', {size: 1, decay: false}]]));
	const p = Float32Array.from([0]);
	adam.update(new Map([['p', p]]), new Map([['p', Float32Array.from([10])]]), 0.1, 0.1);
	close(adam.state.get('p')!.m[0]!, 0.1);
	close(p[0]!, -0.1);
});

test('learning rate: linear warmup, then cosine decay to the floor', () => {
	const s = {lr: 1e-3, warmup: 10, steps: 110, minRatio: 0.1};
	close(learningRate(s, 0), 1e-4);
	close(learningRate(s, 4), 5e-4);
	close(learningRate(s, 9), 1e-3);
	close(learningRate(s, 10), 1e-3);
	// Halfway through the decay: the mean of peak and floor.
	const mid = 10 + (110 - 1 - 10) / 2;
	close(learningRate(s, mid), (1e-3 + 1e-4) / 2);
	close(learningRate(s, 109), 1e-4);
	for (let i = 11; i < 110; i++) assert.ok(learningRate(s, i) <= learningRate(s, i - 1));
	assert.equal(learningRate({lr: 1, warmup: 0, steps: 1, minRatio: 0}, 0), 1);
});
