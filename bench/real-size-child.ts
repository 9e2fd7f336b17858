/**
 * One measurement of `npm run bench -- real-size`, in a process of its own so that its peak memory is its alone:
 *
 *   tsx bench/real-size-child.ts judge <judge-dir> <task.json>   cached open (and to the first score: the session made), then warm score and attribution times
 *   tsx bench/real-size-child.ts bare <judge-dir> <task.json>    a bare onnxruntime forward to logits of model.onnx
 *   tsx bench/real-size-child.ts tjs <judge-dir> <task.json>     the same forward through transformers.js
 *
 * Every mode runs the task's train examples as one batch, rendered and tokenised by the judge, and prints one JSON
 * line: seconds (median of REPS warm runs) and the first run's seconds.
 */
import {linkSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {segmentPrompt} from '../source/core/segment.js';
import type {Task} from '../source/core/task.js';
import {loadJudgeFolder} from '../source/judges/judge-folder.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {poolLayout} from '../source/judges/judge-set.js';
import {modelWeightBytes} from '../source/judges/graph-cache.js';
import {loadTask} from '../source/tasks/load-task.js';

const REPS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<{first: number; warm: number}> {
	let t = performance.now();
	await fn();
	const first = (performance.now() - t) / 1000;
	const warm: number[] = [];
	for (let i = 0; i < REPS; i++) {
		t = performance.now();
		await fn();
		warm.push((performance.now() - t) / 1000);
	}
	return {first, warm: median(warm)};
}

const [mode, dir, taskFile] = process.argv.slice(2) as [string, string, string];
const task: Task = loadTask(taskFile);
const segments = segmentPrompt(task.prompt, task.segmentation).map(s => s.text);
const examples = task.data.train.map(e => ({input: e.input, target: e.target ?? ''}));

if (mode === 'judge') {
	const folder = await loadJudgeFolder(dir);
	const layout = poolLayout([await modelWeightBytes(folder.kind, folder.modelPath)]);
	const pool = new OrtPool(layout);
	try {
		const t = performance.now();
		const judge = await OnnxJudge.openFolder(folder, {pool});
		const open = (performance.now() - t) / 1000;
		// Ready: opened and its session created, i.e. the first score of one example done.
		await judge.score(segments, examples.slice(0, 1));
		const ready = (performance.now() - t) / 1000;
		const score = await timed(() => judge.score(segments, examples));
		const attribute = await timed(() => judge.attribute(segments, examples));
		const encoded = await judge.encode(segments, examples);
		process.stdout.write(`${JSON.stringify({open, ready, score, attribute, tokens: encoded.reduce((s, e) => s + e.ids.length, 0), layout})}\n`);
	} finally {
		await pool.close();
	}
} else if (mode === 'bare') {
	// The source model as a user would run it with onnxruntime: from its file, default session options, on this
	// thread with every core, full logits for the right-padded batch.
	const {createSession, ortTensor, run} = await import('../source/onnx/ort.js');
	const folder = await loadJudgeFolder(dir);
	const judge = await OnnxJudge.openFolder(folder, {pool: new OrtPool({workers: 1})});
	const encoded = await judge.encode(segments, examples);
	const T = Math.max(...encoded.map(e => e.ids.length));
	const B = encoded.length;
	const ids = new BigInt64Array(B * T);
	const mask = new BigInt64Array(B * T);
	const positions = new BigInt64Array(B * T);
	encoded.forEach((e, b) => e.ids.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (mask[b * T + t] = 1n), (positions[b * T + t] = BigInt(t)))));
	const feeds: Record<string, ReturnType<typeof ortTensor>> = {input_ids: ortTensor('int64', ids, [B, T]), attention_mask: ortTensor('int64', mask, [B, T]), position_ids: ortTensor('int64', positions, [B, T])};
	for (const p of judge.graphInfo.pastInputs) feeds[p.name] = ortTensor('float32', new Float32Array(0), [B, p.heads, 0, p.headDim]);
	let t = performance.now();
	const session = await createSession(folder.modelPath, {threads: os.availableParallelism()});
	const create = (performance.now() - t) / 1000;
	const forward = await timed(() => run(session, feeds, ['logits']));
	process.stdout.write(`${JSON.stringify({create, forward, tokens: B * T})}\n`);
	await session.release();
} else if (mode === 'tjs') {
	// transformers.js loads onnx/model.onnx (+ model.onnx_data) from a local hub folder: hard links, no copy.
	const {AutoModelForCausalLM, env, Tensor} = await import('@huggingface/transformers');
	const root = path.join(os.tmpdir(), `gmpo-tjs-${process.pid}`);
	try {
		const hub = path.join(root, 'judge');
		mkdirSync(path.join(hub, 'onnx'), {recursive: true});
		for (const f of ['model.onnx', 'model.onnx_data']) linkSync(path.join(dir, f), path.join(hub, 'onnx', f));
		for (const f of ['config.json', 'tokenizer.json']) linkSync(path.join(dir, f), path.join(hub, f));
		writeFileSync(path.join(hub, 'tokenizer_config.json'), '{}');
		env.allowRemoteModels = false;
		env.localModelPath = root;
		const folder = await loadJudgeFolder(dir);
		const judge = await OnnxJudge.openFolder(folder, {pool: new OrtPool({workers: 1})});
		const encoded = await judge.encode(segments, examples);
		const T = Math.max(...encoded.map(e => e.ids.length));
		const B = encoded.length;
		const ids = new BigInt64Array(B * T);
		const mask = new BigInt64Array(B * T);
		encoded.forEach((e, b) => e.ids.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (mask[b * T + t] = 1n))));
		let t = performance.now();
		const model = await AutoModelForCausalLM.from_pretrained('judge', {dtype: 'fp32', use_external_data_format: true});
		const create = (performance.now() - t) / 1000;
		const forward = await timed(() => model({input_ids: new Tensor('int64', ids, [B, T]), attention_mask: new Tensor('int64', mask, [B, T])}));
		process.stdout.write(`${JSON.stringify({create, forward, tokens: B * T})}\n`);
	} finally {
		rmSync(root, {recursive: true, force: true});
	}
} else {
	process.stderr.write(`unknown mode ${mode}\n`);
	process.exit(2);
}
