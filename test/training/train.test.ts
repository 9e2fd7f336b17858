import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {loadCheckpoint} from '../../source/training/checkpoint.js';
import {makeBatch, planBatches, type EncodedExample} from '../../source/training/data.js';
import {DEFAULT_ADAMW} from '../../source/training/optimizer.js';
import {createSampler} from '../../source/training/random.js';
import {train, type TrainSettings} from '../../source/training/train.js';
import {decays, type ModelSpec} from '../../source/training/train-graph.js';

const VOCAB = 40;
const tinyLlama: ModelSpec = {
	family: 'llama',
	config: {vocabSize: VOCAB, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true, bosTokenId: 0, eosTokenId: 0, dtype: 'float32'},
};
const tinyGpt2: ModelSpec = {
	family: 'gpt2',
	config: {vocabSize: VOCAB, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: 0, eosTokenId: 0, dtype: 'float32'},
};

/** Rows "0 k k+1 k+2 ... 0" (counting, wrapping below VOCAB): a bigram rule, so even a tiny model learns it fast. */
function examples(count: number, seed: number): EncodedExample[] {
	const rng = createSampler(seed);
	return Array.from({length: count}, () => {
		const start = rng.int(1, VOCAB - 1);
		const run = Array.from({length: rng.int(4, 12)}, (_, i) => 1 + ((start - 1 + i) % (VOCAB - 1)));
		return {ids: Int32Array.from([0, ...run, 0]), targetStart: 1 + Math.floor(run.length / 2)};
	});
}

const settings = (spec: ModelSpec, steps: number): TrainSettings => ({
	spec,
	initSeed: 3,
	batchSeed: 4,
	steps,
	batchSize: 4,
	lr: 1e-2,
	warmup: 2,
	minLrRatio: 0.1,
	clip: 1,
	contextWeight: 0.2,
	adamw: DEFAULT_ADAMW,
	evalEvery: 3,
});

const quiet = () => {};

test('a run interrupted at a checkpoint and resumed equals an uninterrupted run, bit for bit', async () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'gmpo-train-'));
	try {
		const data = examples(40, 1);
		const curve = examples(6, 2);
		for (const spec of [tinyLlama, tinyGpt2]) {
			const whole = await train(settings(spec, 7), data, curve, {log: quiet});
			const file = path.join(dir, `${spec.family}.ckpt`);
			const first = await train(settings(spec, 7), data, curve, {log: quiet, checkpointPath: file, checkpointEvery: 100, stopAfter: 4});
			assert.equal(first.step, 4);
			assert.equal(loadCheckpoint(file).step, 4);
			const resumed = await train(settings(spec, 7), data, curve, {log: quiet, checkpointPath: file, resume: true});
			assert.equal(resumed.step, 7);
			assert.deepEqual(resumed.losses, whole.losses);
			assert.deepEqual(resumed.curve, whole.curve);
			for (const [name, w] of whole.weights) assert.deepEqual(resumed.weights.get(name), w, `${spec.family} ${name}`);
			// A checkpoint of other settings is refused rather than silently mixed in.
			await assert.rejects(train({...settings(spec, 7), lr: 2e-2}, data, curve, {log: quiet, checkpointPath: file, resume: true}), /other settings/);
		}
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('training lowers the loss on a learnable task, and the same seed gives the same run', async () => {
	const data = examples(400, 5);
	const curve = examples(16, 6);
	const a = await train({...settings(tinyLlama, 60), evalEvery: 30}, data, curve, {log: quiet});
	assert.ok(a.curve[1]!.heldoutLoss < a.curve[0]!.heldoutLoss, JSON.stringify(a.curve));
	assert.ok(a.curve[1]!.heldoutLoss < Math.log(VOCAB) * 0.8, JSON.stringify(a.curve));
	const b = await train({...settings(tinyLlama, 60), evalEvery: 30}, data, curve, {log: quiet});
	assert.deepEqual(b.losses, a.losses);
});

test('batches: length-bucketed, deterministic, weights normalised per batch or per row', () => {
	const data = examples(100, 7);
	const plan = planBatches(data, 4, 30, 9);
	assert.equal(plan.length, 30);
	assert.deepEqual(planBatches(data, 4, 30, 9), plan);
	assert.notDeepEqual(planBatches(data, 4, 30, 10), plan);
	// 25 batches of 4 use each of the 100 examples once.
	assert.deepEqual([...planBatches(data, 4, 25, 9).flat()].sort((x, y) => x - y), Array.from({length: 100}, (_, i) => i));
	const batch = makeBatch(data, [0, 1], 0.2);
	const sum = batch.weights.reduce((x, y) => x + y, 0);
	assert.ok(Math.abs(sum - 1) < 1e-6);
	const row0 = data[0]!;
	// Row 0: context predictions weigh 0.2, target predictions 1, padding 0.
	const w = Array.from(batch.weights.slice(0, batch.length));
	const unit = w[row0.targetStart - 1]!;
	assert.ok(Math.abs(w[0]! / unit - 0.2) < 1e-6);
	assert.equal(w[row0.ids.length - 2], unit);
	assert.ok(w.slice(row0.ids.length - 1).every(x => x === 0));
	assert.equal(Number(batch.targets[0]), row0.ids[1]);
	const rows = makeBatch(data, [0, 1], 0, 'row');
	for (let r = 0; r < 2; r++) {
		const s = rows.weights.slice(r * rows.length, (r + 1) * rows.length).reduce((x, y) => x + y, 0);
		assert.ok(Math.abs(s - 1) < 1e-6);
	}
});

test('weight decay spares norms, biases and embeddings', () => {
	assert.equal(decays('model.layers.0.self_attn.q_proj.weight', [16, 16]), true);
	assert.equal(decays('transformer.h.0.mlp.c_fc.weight', [16, 64]), true);
	assert.equal(decays('model.embed_tokens.weight', [40, 16]), false);
	assert.equal(decays('transformer.wpe.weight', [32, 16]), false);
	assert.equal(decays('model.norm.weight', [16]), false);
	assert.equal(decays('transformer.h.0.attn.c_attn.bias', [48]), false);
});
