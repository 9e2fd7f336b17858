import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {decodeModel, encodeModel} from '../../source/onnx/proto.js';
import {tempDir} from '../helpers/temp.js';
import {writeTinyJudge} from '../helpers/tiny-judge.js';
import {gaussLegendre} from '../../source/core/quadrature.js';

process.env.GMPO_CACHE_DIR = tempDir('gmpo-cache-');
const pool = new OrtPool({workers: 2});
after(() => pool.close());

const SEGMENTS = ['You are a helpful assistant. ', 'Convert the word to uppercase. ', 'Answer in lowercase.'];
const EXAMPLES = [
	{input: 'apple', target: 'APPLE'},
	{input: 'a much longer input with many more words', target: 'X'},
	{input: 'pear', target: 'PEAR'},
	{input: 'naïve café 😀', target: 'NAÏVE CAFÉ 😀'},
];

test('batched scores equal one-by-one scores (padding invariance), and attribution reports the same losses', async () => {
	const judge = await OnnxJudge.open(writeTinyJudge({family: 'llama', dtype: 'float64'}), {pool});
	const batched = await judge.score(SEGMENTS, EXAMPLES);
	for (const [i, e] of EXAMPLES.entries()) {
		const single = await judge.score(SEGMENTS, [e]);
		assert.ok(Math.abs(single.losses[0]! - batched.losses[i]!) < 1e-9, `example ${i}: ${single.losses[0]} vs ${batched.losses[i]}`);
	}
	const attributed = await judge.attribute(SEGMENTS, EXAMPLES);
	assert.equal(attributed.method, 'gradient');
	assert.equal(attributed.passes, 2, 'one forward+backward, and one forward for the loss at m = 1 (mask point 0.5)');
	attributed.losses.forEach((l, i) => assert.ok(Math.abs(l - batched.losses[i]!) < 1e-9));
	assert.equal(attributed.importance.length, EXAMPLES.length);
	assert.equal(attributed.importance[0]!.length, SEGMENTS.length);
});

test('two Gauss-Legendre points in one run equal the weighted sum of two one-point attributions at the nodes, for 2 passes', async () => {
	const dir = writeTinyJudge({family: 'llama', dtype: 'float64', seed: 7});
	const two = await OnnxJudge.open(dir, {pool, points: 2});
	const rule = gaussLegendre(2);
	assert.deepEqual(two.rule, rule);
	const result = await two.attribute(SEGMENTS, EXAMPLES);
	assert.equal(result.passes, 3, 'two forward+backward rows per example in one batch, and the forward for the loss at m = 1');
	const at = await Promise.all(rule.nodes.map(async maskPoint => (await OnnxJudge.open(dir, {pool, maskPoint})).attribute(SEGMENTS, EXAMPLES)));
	const scale = Math.max(...result.importance.flat().map(Math.abs));
	assert.ok(scale > 0);
	result.importance.forEach((row, e) =>
		row.forEach((v, k) => {
			const expected = rule.weights[0]! * at[0]!.importance[e]![k]! + rule.weights[1]! * at[1]!.importance[e]![k]!;
			assert.ok(Math.abs(v - expected) < 1e-9 * scale, `example ${e} segment ${k}: ${v} vs ${expected}`);
		}),
	);
	result.losses.forEach((l, i) => assert.ok(Math.abs(l - at[0]!.losses[i]!) < 1e-9));
	// A batch limit of 2 rows: the repeated rows of one example fill it, so each example gets its own run.
	const tight = await OnnxJudge.open(dir, {pool, points: 2, limits: {maxBatch: 2, maxTokens: 1 << 16}});
	const split = await tight.attribute(SEGMENTS, EXAMPLES);
	assert.equal(split.passes, 2 * EXAMPLES.length + 2);
	split.importance.flat().forEach((v, i) => assert.ok(Math.abs(v - result.importance.flat()[i]!) < 1e-9 * scale));
});

test('judge.json attribution.points sets the rule; the judge\'s mask point option alone means one point', async () => {
	const dir = writeTinyJudge({family: 'gpt2', dtype: 'float64'});
	const file = path.join(dir, 'judge.json');
	writeFileSync(file, JSON.stringify({...JSON.parse(readFileSync(file, 'utf8')), attribution: {baseline: 'mean', points: 3}}));
	assert.deepEqual((await OnnxJudge.open(dir, {pool})).rule, gaussLegendre(3));
	assert.deepEqual((await OnnxJudge.open(dir, {pool, maskPoint: 1})).rule, {nodes: [1], weights: [1]});
});

/** A pool that calls `onRun` as each run is submitted: cancellation lands mid-run at a known point, not by a timer. */
class SteppedPool extends OrtPool {
	onRun?: (count: number) => void;
	/** Runs submitted since it was last set to 0. */
	count = 0;

	override run(...args: Parameters<OrtPool['run']>) {
		const result = super.run(...args);
		this.onRun?.(++this.count);
		return result;
	}
}

test('attribution cancelled mid-run rejects with AbortError and leaves no rejection unhandled (its extra score pass too)', async () => {
	const stepped = new SteppedPool({workers: 2});
	const judge = await OnnxJudge.open(writeTinyJudge({family: 'llama', dtype: 'float32', seed: 5}), {pool: stepped, limits: {maxBatch: 1, maxTokens: 1 << 16}});
	const unhandled: unknown[] = [];
	const onUnhandled = (reason: unknown) => unhandled.push(reason);
	process.on('unhandledRejection', onUnhandled);
	try {
		// Cancelled before any run, and after the 1st, 2nd, 3rd and 5th run was submitted (attribution batches and
		// the extra score pass are in flight together).
		for (const after of [0, 1, 2, 3, 5]) {
			const controller = new AbortController();
			stepped.count = 0;
			stepped.onRun = count => count === after && controller.abort();
			if (after === 0) {
				controller.abort();
			}
			await assert.rejects(judge.attribute(SEGMENTS, EXAMPLES, controller.signal), {name: 'AbortError'}, `cancelled after run ${after}`);
			stepped.onRun = undefined;
		}
		// Unhandled rejections are reported after the microtask queue drains: give them the chance.
		await new Promise(resolve => setImmediate(resolve));
	} finally {
		process.off('unhandledRejection', onUnhandled);
		await stepped.close();
	}
	assert.deepEqual(unhandled, []);
});

test('leave-one-out costs K+1 passes per batch and returns L(without k) - L', async () => {
	const judge = await OnnxJudge.open(writeTinyJudge({family: 'gpt2', dtype: 'float64'}), {pool, limits: {maxBatch: 64, maxTokens: 1 << 16}});
	const loo = await judge.attributeLeaveOneOut(SEGMENTS, EXAMPLES);
	assert.equal(loo.method, 'loo');
	assert.equal(loo.passes, SEGMENTS.length + 1);
	assert.ok(loo.importance.flat().some(v => Math.abs(v) > 1e-9));
});

test('float32 gradients at optimisation level "all" match the float64 model with the same weights', async () => {
	const f32 = await OnnxJudge.open(writeTinyJudge({family: 'llama', dtype: 'float32', seed: 3}), {pool});
	const f64 = await OnnxJudge.open(writeTinyJudge({family: 'llama', dtype: 'float64', seed: 3}), {pool});
	const a = await f32.attribute(SEGMENTS, EXAMPLES);
	const b = await f64.attribute(SEGMENTS, EXAMPLES);
	const scale = Math.max(...b.importance.flat().map(Math.abs));
	assert.ok(scale > 0);
	a.importance.flat().forEach((v, i) => assert.ok(Math.abs(v - b.importance.flat()[i]!) < 1e-3 * scale + 1e-7, `${v} vs ${b.importance.flat()[i]}`));
	a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]!) < 1e-4));
});

test('a model with an op that has no gradient rule falls back to leave-one-out and says why', async () => {
	const dir = writeTinyJudge({family: 'gpt2', dtype: 'float32'});
	const file = path.join(dir, 'model.onnx');
	const model = decodeModel(readFileSync(file));
	// Put a Softsign (no gradient rule) on the path right after the final LayerNorm's input.
	const lm = model.graph.nodes.find(n => n.op === 'LayerNormalization')!;
	const input = lm.inputs[0]!;
	model.graph.nodes.splice(model.graph.nodes.indexOf(lm), 0, {op: 'Softsign', domain: '', name: 'odd_op', inputs: [input], outputs: ['odd_out'], attrs: {}});
	lm.inputs[0] = 'odd_out';
	writeFileSync(file, encodeModel(model));
	const judge = await OnnxJudge.open(dir, {pool});
	assert.equal(judge.info.gradient.available, false);
	const result = await judge.attribute(SEGMENTS, EXAMPLES.slice(0, 2));
	assert.equal(result.method, 'loo');
	assert.match(result.fallbackReason ?? '', /Softsign node "odd_op"/);
});

test('a model that is not a causal LM is refused with one clear line naming the file', async () => {
	const dir = writeTinyJudge({family: 'gpt2'});
	const file = path.join(dir, 'model.onnx');
	const model = decodeModel(readFileSync(file));
	model.graph.inputs = model.graph.inputs.map(i => (i.name === 'input_ids' ? {...i, name: 'tokens'} : i));
	for (const n of model.graph.nodes) {
		n.inputs = n.inputs.map(x => (x === 'input_ids' ? 'tokens' : x));
	}
	writeFileSync(file, encodeModel(model));
	await assert.rejects(OnnxJudge.open(dir, {pool}), {name: 'UserError', message: /no "input_ids" input/});
});

test('greedy generation returns text for every input', async () => {
	const judge = await OnnxJudge.open(writeTinyJudge({family: 'gpt2'}), {pool});
	const out = await judge.generate(SEGMENTS, ['apple', 'pear'], 4);
	assert.equal(out.length, 2);
	assert.ok(out.every(s => typeof s === 'string'));
});

test('judges check: the finite-difference spot check agrees with the gradient at the judge\'s mask point', async () => {
	const {checkJudge} = await import('../../source/judges/check.js');
	for (const maskPoint of [0.5, 1]) {
		const dir = writeTinyJudge({family: 'llama', dtype: 'float64'});
		const file = path.join(dir, 'judge.json');
		writeFileSync(file, JSON.stringify({...JSON.parse(readFileSync(file, 'utf8')), attribution: {baseline: 'mean', maskPoint}}));
		const report = await checkJudge(dir, pool);
		assert.equal(report.gradient.available, true);
		assert.ok(report.spotCheck?.ok, `mask point ${maskPoint}: ${JSON.stringify(report.spotCheck)}`);
		assert.ok(report.spotCheck!.relativeError < 0.01, `relative error ${report.spotCheck!.relativeError}`);
	}
});
