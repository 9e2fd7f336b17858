/**
 * A pool of worker threads running onnxruntime sessions. onnxruntime-node's `session.run` blocks its thread for the
 * whole run, so every judge runs here, never on the main thread.
 *
 * Cancellation: an AbortSignal removes queued work at once; work already running rejects at once too, but the
 * worker finishes the run and its result is dropped. A worker must not be terminated during a run: onnxruntime's
 * native completion then calls into a torn-down thread and aborts the whole process. Callers keep runs short (one
 * batch each), so a cancelled run frees its worker soon. Closing the pool waits, for the same reason, until the runs in
 * flight end before it terminates their workers.
 *
 * A worker that dies (exits or throws outside a run) rejects its job with a clear error; a new worker is started
 * when there is work for it.
 */
import os from 'node:os';
import {Worker} from 'node:worker_threads';
import type {Tensor} from '../onnx/ir.js';
import type {RunMessage, WorkerData, WorkerRequest, WorkerResponse} from './ort-worker.js';

/** Pool size and threading. */
export type PoolOptions = {
	/** Worker threads (default: min(2, cores)). */
	workers?: number;
	/** Intra-op threads per worker (default: cores / workers, at least 1), so threads x workers <= cores. */
	threadsPerWorker?: number;
	/**
	 * Run the workers below normal scheduling priority (nice +10 on their threads, and on onnxruntime's
	 * threads, which inherit it). For the TUI: the judges take every core, and a key press must not wait for the
	 * scheduler to hand the thread that draws the screen a core (key-to-frame latency, bench tui). Headless runs keep
	 * normal priority: nothing waits on them but the user.
	 */
	background?: boolean;
};

/** The nice value of background workers. */
export const BACKGROUND_NICE = 10;

/** One model run. */
export type RunRequest = {
	/** Cache key of the session (the graph's cache key plus options). */
	key: string;
	/** Path of the .onnx file. */
	modelPath: string;
	/** Folder its external data is resolved against (default: the file's folder). */
	dataDir?: string;
	/** Graph optimisation level ("basic" for float64 graphs). */
	optimization?: RunMessage['optimization'];
	/** Repack weights at session creation (default true; see ort.ts). */
	prepack?: boolean;
	/** Inputs. */
	feeds: Record<string, Tensor>;
	/** Outputs to return. */
	outputs: string[];
};

/** Raised when work is cancelled through its AbortSignal. */
export class AbortError extends Error {
	constructor() {
		super('cancelled');
		this.name = 'AbortError';
	}
}

type Job = {
	message: WorkerRequest;
	label: string;
	resolve: (r: Record<string, Tensor>) => void;
	reject: (e: Error) => void;
	settled: boolean;
	signal?: AbortSignal;
	onAbort?: () => void;
};

/** A place for one worker; the worker is started when work arrives and dropped when it dies. */
type Slot = {worker?: Worker; job?: Job};

const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./ort-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);

/** Start the worker script; run from TypeScript sources (tests, `npm start`) it registers tsx's loader first. */
function startWorker(background: boolean): Worker {
	const workerData: WorkerData = {nice: background ? BACKGROUND_NICE : 0};
	if (!fromSource) {
		return new Worker(workerUrl, {workerData});
	}
	// Resolved here, not in the worker: an eval'd worker resolves bare names from the working directory.
	const tsx = import.meta.resolve('tsx/esm/api');
	const boot = `import(${JSON.stringify(tsx)}).then(m => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`;
	return new Worker(boot, {eval: true, workerData});
}

/** How long closing waits for a run in flight before it terminates the worker anyway. */
const RUN_END_WAIT_MS = 60_000;

/** Resolves when a worker in a run answers (its one job is done) or is gone, or after `ms`. */
function runEnded(worker: Worker, ms: number): Promise<void> {
	return new Promise(resolve => {
		const done = () => {
			clearTimeout(timer);
			worker.off('message', done).off('exit', done).off('error', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		worker.on('message', done).on('exit', done).on('error', done);
	});
}

export class OrtPool {
	private readonly slots: Slot[] = [];
	private readonly queue: Job[] = [];
	private threads = 1;
	private background = false;
	private nextId = 1;
	private closed = false;
	/** Workers lost (died) and started again (diagnostics). */
	deaths = 0;

	constructor(options: PoolOptions = {}) {
		this.layOut(options);
	}

	/** Worker slots in the pool. */
	get size(): number {
		return this.slots.length;
	}

	/** Intra-op threads each worker's sessions use. */
	get threadsPerWorker(): number {
		return this.threads;
	}

	/**
	 * Change the number of workers and their threads (a big judge runs best on one worker with every core: each
	 * worker holds its own session, so its own mapping of the weights). Only while idle: the workers, and the
	 * sessions they hold, are dropped.
	 */
	async setLayout(options: PoolOptions): Promise<void> {
		if (this.closed || this.queue.length > 0 || this.slots.some(s => s.job)) {
			throw new Error('the judge pool can only be laid out again while idle');
		}
		// Detached from their slots first, so their exit is not taken for a death.
		const old = this.slots.splice(0).map(slot => {
			const worker = slot.worker;
			slot.worker = undefined;
			return worker;
		});
		this.layOut(options);
		await Promise.all(old.map(w => w?.terminate()));
	}

	private layOut(options: PoolOptions): void {
		const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
		const workers = Math.max(1, options.workers ?? Math.min(2, cores));
		this.threads = Math.max(1, options.threadsPerWorker ?? Math.floor(cores / workers));
		this.background = options.background ?? this.background;
		for (let i = 0; i < workers; i++) {
			this.slots.push({});
		}
	}

	/** Workers with a job assigned (diagnostics). */
	get busy(): number {
		return this.slots.filter(s => s.job).length;
	}

	/** The running worker threads (diagnostics; tests kill one to check recovery). */
	get workers(): Worker[] {
		return this.slots.flatMap(s => (s.worker ? [s.worker] : []));
	}

	/** Run a model in a worker. */
	run(request: RunRequest, signal?: AbortSignal): Promise<Record<string, Tensor>> {
		const message: WorkerRequest = {
			kind: 'run',
			id: this.nextId++,
			key: request.key,
			modelPath: request.modelPath,
			dataDir: request.dataDir,
			optimization: request.optimization ?? 'all',
			prepack: request.prepack ?? true,
			threads: this.threads,
			feeds: request.feeds,
			outputs: request.outputs,
		};
		return this.submit(message, request.key, signal);
	}

	/** A health check that keeps a worker busy for `busyMs` in JavaScript. */
	async ping(busyMs = 0, signal?: AbortSignal): Promise<void> {
		await this.submit({kind: 'ping', id: this.nextId++, busyMs}, 'ping', signal);
	}

	/**
	 * Terminate every worker; queued and running work is rejected at once. A worker still in a run is terminated
	 * when the run ends (see the header), or after RUN_END_WAIT_MS if it never does.
	 */
	async close(): Promise<void> {
		this.closed = true;
		for (const job of this.queue.splice(0)) {
			this.settle(job, new Error('the judge pool was closed'));
		}
		for (const slot of this.slots) {
			if (slot.job) {
				this.settle(slot.job, new Error('the judge pool was closed'));
			}
		}
		await Promise.all(
			this.slots.map(async slot => {
				const worker = slot.worker;
				if (!worker) return;
				if (slot.job) await runEnded(worker, RUN_END_WAIT_MS);
				await worker.terminate();
			}),
		);
	}

	private submit(message: WorkerRequest, label: string, signal?: AbortSignal): Promise<Record<string, Tensor>> {
		if (this.closed) {
			return Promise.reject(new Error('the judge pool is closed'));
		}
		if (signal?.aborted) {
			return Promise.reject(new AbortError());
		}
		return new Promise((resolve, reject) => {
			const job: Job = {message, label, resolve, reject, settled: false, signal};
			if (signal) {
				job.onAbort = () => this.cancel(job);
				signal.addEventListener('abort', job.onAbort, {once: true});
			}
			this.queue.push(job);
			this.dispatch();
		});
	}

	private spawn(slot: Slot): Worker {
		const worker = startWorker(this.background);
		slot.worker = worker;
		worker.on('message', (response: WorkerResponse) => {
			const job = slot.job;
			if (slot.worker !== worker || !job || job.message.id !== response.id) {
				return;
			}
			slot.job = undefined;
			this.settle(job, response.ok ? undefined : new Error(response.message), response.ok ? response.results : undefined);
			this.dispatch();
		});
		worker.on('error', error => this.died(slot, worker, error.message));
		worker.on('exit', code => this.died(slot, worker, `exited with code ${code}`));
		return worker;
	}

	/** A worker is gone: its job fails with the reason; a new worker starts when there is work. */
	private died(slot: Slot, worker: Worker, reason: string): void {
		if (slot.worker !== worker || this.closed) {
			return;
		}
		const job = slot.job;
		slot.worker = undefined;
		slot.job = undefined;
		this.deaths++;
		if (job) {
			this.settle(job, new Error(`a judge worker died while running ${job.label}: ${reason}`));
		}
		this.dispatch();
	}

	private cancel(job: Job): void {
		const queued = this.queue.indexOf(job);
		if (queued >= 0) {
			this.queue.splice(queued, 1);
		}
		// A running job stays on its worker until the run ends (see the header); only its promise settles now.
		this.settle(job, new AbortError());
	}

	private settle(job: Job, error?: Error, results?: Record<string, Tensor>): void {
		if (job.settled) {
			return;
		}
		job.settled = true;
		if (job.onAbort) {
			job.signal?.removeEventListener('abort', job.onAbort);
		}
		if (error) {
			job.reject(error);
		} else {
			job.resolve(results!);
		}
	}

	private dispatch(): void {
		for (const slot of this.slots) {
			if (this.queue.length === 0) {
				break;
			}
			if (!slot.job) {
				const job = this.queue.shift()!;
				const worker = slot.worker ?? this.spawn(slot);
				slot.job = job;
				worker.ref();
				worker.postMessage(job.message);
			}
		}
		// Idle workers must not keep the process alive.
		for (const slot of this.slots) {
			if (!slot.job) {
				slot.worker?.unref();
			}
		}
	}
}
