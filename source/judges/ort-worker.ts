/**
 * Worker thread that owns onnxruntime sessions and runs them, so inference never blocks the main thread's event
 * loop. Protocol: the pool sends a run request {kind: "run", id, key, modelPath, session options, feeds, outputs}
 * or a health check {kind: "ping", id, busyMs}; the worker answers {id, ok: true, results} or {id, ok: false,
 * message}. Sessions are created on first use and kept per key for the worker's life.
 */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parentPort, workerData} from 'node:worker_threads';
import type {Tensor} from '../onnx/ir.js';
import {createSession, fromIr, run, toIr, type OrtSession, type SessionOptions} from '../onnx/ort.js';

/** How a session is created: the model file and its options. */
export type SessionSpec = {
	/** Cache key of the session. */
	key: string;
	/** Path of the .onnx file. */
	modelPath: string;
	/** Folder its external data is resolved against (default: the file's folder). */
	dataDir?: string;
	/** Graph optimisation level. */
	optimization: NonNullable<SessionOptions['optimization']>;
	/** Repack weights at session creation (see ort.ts). */
	prepack: boolean;
	/** Intra-op threads. */
	threads: number;
};

/** A model run. */
export type RunMessage = SessionSpec & {
	kind: 'run';
	id: number;
	feeds: Record<string, Tensor>;
	outputs: string[];
};

/** A health check; `busyMs` keeps the worker busy in JavaScript that long (a stand-in for work in diagnostics). */
export type PingMessage = {kind: 'ping'; id: number; busyMs: number};

export type WorkerRequest = RunMessage | PingMessage;

/** The worker's answer. */
export type WorkerResponse = {id: number; ok: true; results: Record<string, Tensor>} | {id: number; ok: false; message: string};

/** What the pool tells a worker when it starts. */
export type WorkerData = {
	/** Nice value for this thread (0: unchanged); onnxruntime's threads, started from it later, inherit it. */
	nice: number;
};

// Linux keeps a nice value per thread: this lowers only this worker's thread (and the threads it starts), never the
// main thread. A system that refuses it just runs the worker at normal priority.
const start = workerData as WorkerData | undefined;
if (start?.nice) {
	try {
		os.setPriority(start.nice);
	} catch {}
}

const sessions = new Map<string, Promise<OrtSession>>();

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
	if (request.kind === 'ping') {
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, request.busyMs);
		return {id: request.id, ok: true, results: {}};
	}
	let session = sessions.get(request.key);
	if (!session) {
		// From bytes with the data folder named: the graph file may lie in a cache folder away from its weights.
		const {modelPath, dataDir, optimization, prepack, threads} = request;
		session = Promise.resolve().then(() => createSession(readFileSync(modelPath), {externalDataDir: dataDir ?? path.dirname(modelPath), optimization, prepack, threads}));
		sessions.set(request.key, session);
		session.catch(() => sessions.delete(request.key));
	}
	const feeds = Object.fromEntries(Object.entries(request.feeds).map(([k, t]) => [k, fromIr(t)]));
	const out = await run(await session, feeds, request.outputs);
	const results: Record<string, Tensor> = {};
	for (const name of request.outputs) {
		const t = toIr(out[name]!);
		// Copy into a fresh buffer: onnxruntime's output memory is not ours to transfer.
		results[name] = {...t, data: (t.data as Float32Array).slice()};
	}
	return {id: request.id, ok: true, results};
}

parentPort!.on('message', (request: WorkerRequest) => {
	handle(request).then(
		response => {
			const transfer = response.ok ? Object.values(response.results).map(t => (t.data as Float32Array).buffer as ArrayBuffer) : [];
			parentPort!.postMessage(response, transfer);
		},
		(error: unknown) => parentPort!.postMessage({id: request.id, ok: false, message: (error as Error).message}),
	);
});
