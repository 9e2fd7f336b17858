import assert from 'node:assert/strict';
import {copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {cacheDir, judgeGraphs} from '../../source/judges/graph-cache.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {writeRandomJudge} from '../../source/training/random-judge.js';
import {readModel, writeModelExternal} from '../../source/onnx/model-file.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'gmpo-graph-cache-'));
const previousCache = process.env.GMPO_CACHE_DIR;
process.env.GMPO_CACHE_DIR = path.join(root, 'cache');
const pool = new OrtPool({workers: 1});
after(async () => {
	await pool.close();
	process.env.GMPO_CACHE_DIR = previousCache;
	rmSync(root, {recursive: true, force: true});
});

const SEGMENTS = ['Convert the word to uppercase. ', 'Answer briefly.'];
const EXAMPLES = [
	{input: 'apple', target: 'APPLE'},
	{input: 'pear', target: 'PEAR'},
];

/** A random judge folder laid out as Optimum writes large models: model.onnx (graph) + model.onnx_data. */
async function externalJudge(name: string, seed: number): Promise<string> {
	const dir = writeRandomJudge(path.join(root, name), {family: 'llama', seed, hidden: 64, name});
	const file = path.join(dir, 'model.onnx');
	await writeModelExternal(file, readModel(file), {dataDir: dir, dataFile: 'model.onnx_data', threshold: 1});
	return dir;
}

async function loss(dir: string): Promise<number[]> {
	const judge = await OnnxJudge.open(dir, {pool});
	return (await judge.score(SEGMENTS, EXAMPLES)).losses;
}

test('two folders with the same graph and different weights files get their own graphs and losses', async () => {
	const a = await externalJudge('same-a', 1);
	const b = await externalJudge('same-b', 2);
	assert.deepEqual(readFileSync(path.join(a, 'model.onnx')), readFileSync(path.join(b, 'model.onnx')), 'the graph files are byte-identical');
	const [lossA, lossB] = [await loss(a), await loss(b)];
	assert.notDeepEqual(lossA, lossB);
	// Each equals the loss of the same weights stored inline in model.onnx.
	const inlineA = writeRandomJudge(path.join(root, 'inline-a'), {family: 'llama', seed: 1, hidden: 64, name: 'same-a'});
	(await loss(inlineA)).forEach((l, i) => assert.ok(Math.abs(l - lossA[i]!) < 1e-6, `${l} vs ${lossA[i]}`));
	// Replacing the weights file (same graph) is seen: the next open builds anew and reports the new weights' loss.
	copyFileSync(path.join(b, 'model.onnx_data'), path.join(a, 'model.onnx_data'));
	(await loss(a)).forEach((l, i) => assert.ok(Math.abs(l - lossB[i]!) < 1e-6, `after the swap: ${l} vs ${lossB[i]}`));
});

test('the cache holds graph structure only for a model whose weights lie in its folder, and a cached open builds nothing', async () => {
	const dir = await externalJudge('cached', 3);
	const first = await judgeGraphs(path.join(dir, 'model.onnx'));
	assert.equal(first.built, true);
	assert.equal(first.dataDir, dir, 'the weights are referenced in place');
	assert.deepEqual(readdirSync(path.dirname(first.graphPath)).sort(), ['judge.onnx', 'manifest.json']);
	// Every weight of the graph is read from the model's own data file: the cache holds no copy of one.
	const data = path.join(dir, 'model.onnx_data');
	let referenced = 0;
	for (const t of readModel(first.graphPath, first.dataDir).graph.initializers.values()) {
		if (t.data.length * 4 >= 4096) {
			assert.equal(t.stored?.file, data);
			referenced += t.stored!.length;
		}
	}
	const big = [...readModel(path.join(dir, 'model.onnx')).graph.initializers.values()].filter(t => t.data.length * 4 >= 4096);
	assert.equal(referenced, big.reduce((sum, t) => sum + t.data.length * 4, 0), 'every weight matrix is referenced where it lies');
	const second = await judgeGraphs(path.join(dir, 'model.onnx'));
	assert.equal(second.built, false);
	assert.deepEqual({...second, built: true}, first);
});

test('weights that do not lie in the model folder are copied into the cache once (one copy, then in place)', async () => {
	const dir = writeRandomJudge(path.join(root, 'inline-b'), {family: 'gpt2', seed: 4, hidden: 32});
	const graphs = await judgeGraphs(path.join(dir, 'model.onnx'));
	// model.onnx holds its weights inline: they lie in the folder, so they too are referenced in place.
	assert.equal(graphs.dataDir, dir);
	assert.deepEqual(readdirSync(path.dirname(graphs.graphPath)).sort(), ['judge.onnx', 'manifest.json']);
});

test('a cancelled first open leaves nothing in the cache, and the next open builds normally', async () => {
	const dir = await externalJudge('cancelled', 5);
	const before = new Set(readdirSync(cacheDir()));
	const controller = new AbortController();
	const phases: string[] = [];
	await assert.rejects(
		judgeGraphs(path.join(dir, 'model.onnx'), {
			signal: controller.signal,
			onProgress: p => {
				phases.push(p.phase);
				if (p.phase === 'probing shapes') {
					controller.abort();
				}
			},
		}),
		{name: 'AbortError'},
	);
	assert.deepEqual(new Set(readdirSync(cacheDir())), before, 'no entry and no temporary folder');
	assert.deepEqual(phases.slice(0, 3), ['scanning', 'building graphs', 'probing shapes']);
	const graphs = await judgeGraphs(path.join(dir, 'model.onnx'));
	assert.equal(graphs.built, true);
	assert.equal(graphs.attribution.available, true);
});
