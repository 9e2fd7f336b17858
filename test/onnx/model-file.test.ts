import assert from 'node:assert/strict';
import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {buildLlama, randomLlamaWeights, type LlamaConfig} from '../../source/onnx/builders/llama.js';
import {isLazy, lazyTensor, tensorOf, type Model, type Tensor} from '../../source/onnx/ir.js';
import {readModel, writeModel, writeModelExternal} from '../../source/onnx/model-file.js';
import {createSession, fromIr, run} from '../../source/onnx/ort.js';
import {decodeModel} from '../../source/onnx/proto.js';
import {readStoredTensor} from '../../source/onnx/stored.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gmpo-model-file-'));
after(() => rmSync(dir, {recursive: true, force: true}));

const config: LlamaConfig = {vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: 0, eosTokenId: 1, dtype: 'float32'};
const llama = () => buildLlama(config, randomLlamaWeights(config, 7));

const same = (a: Tensor, b: Tensor) => {
	assert.deepEqual(a.dims, b.dims);
	assert.equal(a.dtype, b.dtype);
	assert.deepEqual(Buffer.from((a.data as Float32Array).buffer), Buffer.from((b.data as Float32Array).buffer));
};

/** Logits of a model file for a fixed input, from a session given the data folder. */
async function logits(file: string, dataDir: string): Promise<Float32Array> {
	const session = await createSession(readFileSync(file), {externalDataDir: dataDir, optimization: 'basic'});
	const T = 5;
	const feeds: Record<string, ReturnType<typeof fromIr>> = {
		input_ids: fromIr(tensorOf('int64', [1, T], [3, 9, 27, 17, 2])),
		attention_mask: fromIr(tensorOf('int64', [1, T], [1, 1, 1, 1, 1])),
		position_ids: fromIr(tensorOf('int64', [1, T], [0, 1, 2, 3, 4])),
	};
	for (let i = 0; i < config.numHiddenLayers; i++) {
		for (const kv of ['key', 'value']) {
			feeds[`past_key_values.${i}.${kv}`] = fromIr({dtype: 'float32', dims: [1, 2, 0, 8], data: new Float32Array(0)});
		}
	}
	const out = await run(session, feeds, ['logits']);
	await session.release();
	return out.logits!.data as Float32Array;
}

test('reading an .onnx file leaves its weights on disk: large initializers are lazy over their raw_data in the file', () => {
	const file = path.join(dir, 'inline.onnx');
	const model = llama();
	writeModel(file, model);
	const scanned = readModel(file);
	const full = decodeModel(readFileSync(file));
	for (const [name, t] of full.graph.initializers) {
		const s = scanned.graph.initializers.get(name)!;
		same(s, t);
		assert.equal(isLazy(s), t.data.length * 4 >= 4096, `${name}: lazy exactly when its raw_data is 4 KiB or more`);
		if (isLazy(s)) {
			assert.equal(s.stored?.file, path.resolve(file));
			assert.deepEqual(readFileSync(file).subarray(s.stored!.offset, s.stored!.offset + s.stored!.length), Buffer.from((t.data as Float32Array).buffer));
		}
	}
	assert.deepEqual(scanned.graph.nodes.map(n => n.op), full.graph.nodes.map(n => n.op));
});

test('external data: weights are streamed to one data file at page-aligned offsets, and the model runs the same', async () => {
	const inline = path.join(dir, 'model-inline.onnx');
	writeModel(inline, llama());
	const out = mkdtempSync(path.join(dir, 'ext-'));
	const written = await writeModelExternal(path.join(out, 'model.onnx'), readModel(inline), {dataDir: out, dataFile: 'model.onnx_data'});
	assert.deepEqual(readdirSync(out).sort(), ['model.onnx', 'model.onnx_data'], 'no temporary file is left');
	assert.ok(written.dataBytes > 0 && written.referencedBytes === 0);
	assert.ok(statSync(path.join(out, 'model.onnx')).size < 64 * 1024, 'the graph file holds no weight matrix');
	const back = readModel(path.join(out, 'model.onnx'));
	for (const [name, t] of back.graph.initializers) {
		if (t.stored) {
			assert.equal(t.stored.offset % 4096, 0, `${name} is page-aligned`);
			assert.equal(t.stored.file, path.join(out, 'model.onnx_data'));
		}
		same(t, readModel(inline).graph.initializers.get(name)!);
	}
	assert.deepEqual(await logits(path.join(out, 'model.onnx'), out), await logits(inline, dir));
});

test('a graph in another folder references the weights in place, resolved through the data folder given to the session', async () => {
	const home = mkdtempSync(path.join(dir, 'home-'));
	await writeModelExternal(path.join(home, 'model.onnx'), llama(), {dataDir: home, dataFile: 'model.onnx_data'});
	const cache = mkdtempSync(path.join(dir, 'cache-'));
	const written = await writeModelExternal(path.join(cache, 'graph.onnx'), readModel(path.join(home, 'model.onnx')), {dataDir: home});
	assert.equal(written.dataBytes, 0);
	assert.ok(written.referencedBytes > 0);
	assert.deepEqual(readdirSync(cache), ['graph.onnx'], 'no copy of the weights');
	assert.deepEqual(await logits(path.join(cache, 'graph.onnx'), home), await logits(path.join(home, 'model.onnx'), home));
});

test('external data past 2 GiB and 4 GiB offsets is read and referenced exactly (sparse file: nothing is written there but the tensors)', async () => {
	const home = mkdtempSync(path.join(dir, 'far-'));
	const data = path.join(home, 'weights.bin');
	const offsets = [2 ** 31 + 4096, 2 ** 32 + 8192];
	const values = [Float32Array.from({length: 12}, (_, i) => i + 0.5), Float32Array.from({length: 12}, (_, i) => -i / 4)];
	truncateSync((writeFileSync(data, ''), data), offsets[1]! + 4096 * 2);
	const fd = openSync(data, 'r+');
	offsets.forEach((o, i) => writeSync(fd, Buffer.from(values[i]!.buffer), 0, 48, o));
	closeSync(fd);
	const stored = offsets.map((offset, i) => {
		const region = {file: data, offset, length: 48};
		assert.deepEqual(readStoredTensor(region, 'float32'), values[i]);
		return lazyTensor('float32', i === 0 ? [3, 4] : [4, 3], () => readStoredTensor(region, 'float32'), region);
	});
	// y = (x @ W0) @ W1 with x [1,3], W0 [3,4], W1 [4,3].
	const model: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: 17}],
		producerName: 'test',
		producerVersion: '',
		metadata: {},
		graph: {
			name: 'far',
			nodes: [
				{op: 'MatMul', domain: '', name: 'a', inputs: ['x', 'w0'], outputs: ['h'], attrs: {}},
				{op: 'Gemm', domain: '', name: 'b', inputs: ['h', 'w1'], outputs: ['y'], attrs: {transB: {type: 'int', value: 0}}},
			],
			inputs: [{name: 'x', dtype: 'float32', shape: [1, 3]}],
			outputs: [{name: 'y', dtype: 'float32', shape: [1, 3]}],
			initializers: new Map([
				['w0', stored[0]!],
				['w1', stored[1]!],
			]),
			valueInfo: [],
		},
	};
	const file = path.join(home, 'model.onnx');
	await writeModelExternal(file, model, {dataDir: home, threshold: 16});
	const back = readModel(file);
	assert.deepEqual(back.graph.initializers.get('w0')!.stored, {file: data, offset: offsets[0], length: 48});
	assert.deepEqual(back.graph.initializers.get('w1')!.stored, {file: data, offset: offsets[1], length: 48});
	const session = await createSession(readFileSync(file), {externalDataDir: home});
	const y = (await run(session, {x: fromIr(tensorOf('float32', [1, 3], [1, 2, 3]))}, ['y'])).y!.data as Float32Array;
	await session.release();
	// Reference in plain arithmetic.
	const h = [0, 1, 2, 3].map(j => [1, 2, 3].reduce((sum, x, i) => sum + x * values[0]![i * 4 + j]!, 0));
	const expected = [0, 1, 2].map(j => h.reduce((sum, v, i) => sum + v * values[1]![i * 3 + j]!, 0));
	expected.forEach((e, j) => assert.ok(Math.abs(e - y[j]!) < 1e-4, `y[${j}] ${y[j]} vs ${e}`));
	assert.ok(statSync(data).blocks * 512 < 1 << 20, 'the sparse data file holds only its written blocks');
});

test('a truncated or missing data file is reported with the file and the tensor', async () => {
	const home = mkdtempSync(path.join(dir, 'trunc-'));
	await writeModelExternal(path.join(home, 'model.onnx'), llama(), {dataDir: home, dataFile: 'model.onnx_data'});
	const data = path.join(home, 'model.onnx_data');
	truncateSync(data, statSync(data).size - 10_000);
	assert.throws(() => readModel(path.join(home, 'model.onnx')), {message: /model\.onnx_data is truncated: tensor \S+ needs bytes \d+-\d+, the file has \d+/});
	rmSync(data);
	assert.throws(() => readModel(path.join(home, 'model.onnx')), {message: /model\.onnx_data of tensor \S+ does not exist/});
});

test('a cancelled write leaves nothing behind', async () => {
	const home = mkdtempSync(path.join(dir, 'cancel-'));
	const controller = new AbortController();
	let written = 0;
	await assert.rejects(
		writeModelExternal(path.join(home, 'model.onnx'), llama(), {
			dataDir: home,
			dataFile: 'model.onnx_data',
			signal: controller.signal,
			onProgress: () => ++written === 3 && controller.abort(),
		}),
		{name: 'AbortError'},
	);
	assert.deepEqual(readdirSync(home), []);
	assert.equal(existsSync(path.join(home, 'model.onnx')), false);
});
