import assert from 'node:assert/strict';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {tensorOf, type Model, type Node} from '../../source/onnx/ir.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {AbortError, OrtPool} from '../../source/judges/pool.js';
import {tempDir} from '../helpers/temp.js';

const dir = tempDir('gmpo-pool-');

function writeModel(name: string, nodes: Node[], inputs: Model['graph']['inputs'], output: string, inits: Model['graph']['initializers'] = new Map()): string {
	const model: Model = {
		irVersion: 8,
		opsets: [{domain: '', version: 17}],
		producerName: 'test',
		producerVersion: '',
		metadata: {},
		graph: {name, nodes, inputs, outputs: [{name: output, dtype: 'float32', untyped: true}], initializers: inits, valueInfo: []},
	};
	const file = path.join(dir, `${name}.onnx`);
	writeFileSync(file, encodeModel(model));
	return file;
}

const addModel = writeModel('add', [{op: 'Add', domain: '', name: 'a', inputs: ['x', 'y'], outputs: ['z'], attrs: {}}], [
	{name: 'x', dtype: 'float32', shape: [null]},
	{name: 'y', dtype: 'float32', shape: [null]},
], 'z');

// A deliberately slow model: 24 chained 400x400 matmuls on a [400,400] input (~3 GFLOP).
const slowNodes: Node[] = [];
let prev = 'x';
for (let i = 0; i < 24; i++) {
	slowNodes.push({op: 'MatMul', domain: '', name: `m${i}`, inputs: [prev, 'w'], outputs: [`h${i}`], attrs: {}});
	prev = `h${i}`;
}
const w = tensorOf('float32', [400, 400], Array.from({length: 160000}, (_, i) => ((i % 7) - 3) / 4000));
const slowModel = writeModel('slow', slowNodes, [{name: 'x', dtype: 'float32', shape: [400, 400]}], prev, new Map([['w', w]]));
const slowFeeds = {x: tensorOf('float32', [400, 400], Array.from({length: 160000}, () => 1))};

const pool = new OrtPool({workers: 2, threadsPerWorker: 1});
after(() => pool.close());

test('runs a model in a worker and returns its outputs', async () => {
	const out = await pool.run({key: 'add', modelPath: addModel, feeds: {x: tensorOf('float32', [3], [1, 2, 3]), y: tensorOf('float32', [3], [10, 20, 30])}, outputs: ['z']});
	assert.deepEqual(Array.from(out.z!.data as Float32Array), [11, 22, 33]);
});

test('the main thread keeps running timers while a worker computes', async () => {
	let ticks = 0;
	const timer = setInterval(() => ticks++, 5);
	await pool.run({key: 'slow', modelPath: slowModel, feeds: slowFeeds, outputs: [prev]});
	clearInterval(timer);
	assert.ok(ticks > 0, 'no timer fired during the run: the event loop was blocked');
});

test('aborting rejects queued and running work at once, and the pool keeps working', async () => {
	// No timer: the abort comes right after submission, when two jobs are on the two workers and the third is queued,
	// so the outcome cannot depend on how fast the machine runs the model.
	const controller = new AbortController();
	const settled: string[] = [];
	const jobs = [0, 1, 2].map(i =>
		pool.run({key: 'slow', modelPath: slowModel, feeds: slowFeeds, outputs: [prev]}, controller.signal).finally(() => settled.push(`job ${i}`)),
	);
	assert.equal(pool.busy, 2, 'two jobs run, one waits');
	const workerAnswered = new Promise<void>(resolve => pool.workers.forEach(w => w.once('message', () => resolve())));
	void workerAnswered.then(() => settled.push('a worker answered'));
	controller.abort();
	for (const p of jobs) {
		await assert.rejects(p, AbortError);
	}
	assert.deepEqual(settled, ['job 0', 'job 1', 'job 2'], 'every job rejected before any worker finished its run');
	const out = await pool.run({key: 'add', modelPath: addModel, feeds: {x: tensorOf('float32', [1], [1]), y: tensorOf('float32', [1], [2])}, outputs: ['z']});
	assert.equal((out.z!.data as Float32Array)[0], 3, 'the pool works after cancellation');
});

test('a worker that dies mid-job gives a clear error and a new worker takes the next job', async () => {
	const small = new OrtPool({workers: 1});
	try {
		await small.ping();
		const job = small.ping(2000);
		setTimeout(() => void small.workers[0]!.terminate(), 50);
		await assert.rejects(job, {message: /judge worker died while running ping/});
		assert.equal(small.deaths, 1);
		await small.ping();
		assert.equal(small.workers.length, 1);
	} finally {
		await small.close();
	}
});

test('a model that fails reports the onnxruntime error, and the worker survives', async () => {
	await assert.rejects(pool.run({key: 'missing', modelPath: path.join(dir, 'nope.onnx'), feeds: {}, outputs: ['z']}), {message: /nope\.onnx/});
	await assert.rejects(pool.run({key: 'add', modelPath: addModel, feeds: {x: tensorOf('float32', [1], [1])}, outputs: ['z']}), {message: /missing \[y\]/});
	await pool.ping();
});

test('closing rejects work in flight at once, and terminates a worker only after its run has ended', async () => {
	// Terminating a worker during an onnxruntime run can abort the process ("terminate called after throwing an
	// instance of 'Napi::Error'"); a run in flight is waited for, its result dropped.
	const small = new OrtPool({workers: 1});
	await small.ping();
	const worker = small.workers[0]!;
	const events: string[] = [];
	worker.on('message', () => events.push('answered')).on('exit', () => events.push('exited'));
	const job = assert.rejects(small.ping(300), {message: 'the judge pool was closed'}).then(() => events.push('rejected'));
	await small.close();
	await job;
	assert.deepEqual(events, ['rejected', 'answered', 'exited']);
});

/** Nice values of this process's threads, by thread id (Linux keeps one per thread). */
function threadNice(): Map<number, number> {
	const nice = new Map<number, number>();
	for (const tid of readdirSync('/proc/self/task')) {
		const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
		// Fields after the command name in parentheses: state is field 3, nice is field 19.
		nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
	}
	return nice;
}

test('background workers, and onnxruntime threads they start, run at nice 10; the main thread keeps its priority', {skip: process.platform !== 'linux' && 'nice values per thread are read from /proc (Linux)'}, async () => {
	const before = threadNice();
	const pool = new OrtPool({workers: 1, threadsPerWorker: 2, background: true});
	try {
		await pool.run({key: 'add', modelPath: addModel, feeds: {x: tensorOf('float32', [1], [1]), y: tensorOf('float32', [1], [2])}, outputs: ['z']});
		const after = threadNice();
		const started = [...after].filter(([tid]) => !before.has(tid));
		assert.equal(after.get(process.pid), before.get(process.pid), 'the main thread is unchanged');
		const lowered = started.filter(([, nice]) => nice === (before.get(process.pid) ?? 0) + 10);
		// The worker thread, and the intra-op thread onnxruntime started from it for the second core.
		assert.ok(lowered.length >= 2, `threads at nice +10: ${lowered.length} of ${started.length} started`);
	} finally {
		await pool.close();
	}
	const plain = new OrtPool({workers: 1});
	try {
		const start = threadNice();
		await plain.ping();
		const started = [...threadNice()].filter(([tid]) => !start.has(tid));
		assert.ok(started.length > 0 && started.every(([, nice]) => nice === start.get(process.pid)), 'a pool by default leaves priorities alone');
	} finally {
		await plain.close();
	}
});
