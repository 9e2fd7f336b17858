/**
 * Opening the judges a task or a command names: bundled judges by name (models/<name>/), or judge folders by path.
 * All judges share one worker pool.
 */
import {existsSync, readdirSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {UserError} from '../errors.js';
import type {Baseline} from '../onnx/judge-graph.js';
import {modelWeightBytes, type BuildProgress} from './graph-cache.js';
import {loadJudgeFolder, type JudgeFolder} from './judge-folder.js';
import {availableMemory, checkJudgesFit, gib, LEAN_ABOVE_BYTES} from './memory.js';
import {OnnxJudge} from './onnx-judge.js';
import {OrtPool, type PoolOptions} from './pool.js';
import {isServerJudgeFolder} from './server-config.js';
import {ServerJudge} from './server-judge.js';
import type {Judge} from './types.js';

/** The bundled models folder (models/ at the package root, from source or from dist). */
export function bundledModelsDir(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 4; i++) {
		if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'models'))) {
			return path.join(dir, 'models');
		}
		dir = path.dirname(dir);
	}
	return path.join(process.cwd(), 'models');
}

/** Names of the bundled judges (folders of models/ holding a judge.json). */
export function bundledJudgeNames(): string[] {
	const root = bundledModelsDir();
	if (!existsSync(root)) {
		return [];
	}
	return readdirSync(root)
		.filter(name => existsSync(path.join(root, name, 'judge.json')))
		.sort();
}

/** Resolve a judge name or folder path to a folder. */
export function resolveJudge(name: string): string {
	if (name.includes('/') || name.startsWith('.') || (existsSync(name) && statSync(name).isDirectory())) {
		return path.resolve(name);
	}
	const bundled = path.join(bundledModelsDir(), name);
	if (existsSync(bundled)) {
		return bundled;
	}
	const known = bundledJudgeNames();
	throw new UserError(`unknown judge "${name}": not a folder, and the bundled judges are ${known.length > 0 ? known.join(', ') : '(none installed)'}`, {field: 'judges'});
}

/** Options for opening judges. */
export type OpenJudgesOptions = {
	/** Judge names to treat as held out (overrides judge.json). */
	heldout?: string[];
	/** Embedding baseline of the attribution mask. */
	baseline?: Baseline;
	/** Pool size (default: by the judges' size, see poolLayout). */
	pool?: PoolOptions;
	/** Judges run below the priority of the thread that draws the screen (see PoolOptions.background). */
	background?: boolean;
	/** Cancels opening (a first open's graph build stops and leaves nothing behind). */
	signal?: AbortSignal;
	/** One-line notes on what opening does: the pool it chose, a first open's progress. */
	onProgress?: (message: string) => void;
	/** Bytes of memory available (default: the system's, see memory.ts). */
	memoryAvailable?: number;
};

/**
 * The pool's layout for judges of these sizes. Every worker holds its own session of every judge it runs, so a judge
 * of real size runs on one worker with every core (its weights mapped once) rather than on one worker per core.
 */
export function poolLayout(weightBytes: readonly number[]): PoolOptions & {why: string} {
	const largest = Math.max(0, ...weightBytes);
	const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
	if (largest > LEAN_ABOVE_BYTES) {
		return {workers: 1, threadsPerWorker: cores, why: `the largest judge has ${gib(largest)} of weights`};
	}
	const workers = Math.min(2, cores);
	return {workers, threadsPerWorker: Math.max(1, Math.floor(cores / workers)), why: 'small judges'};
}

const PHASES: Record<BuildProgress['phase'], string> = {
	scanning: 'reading the model',
	'converting weights': 'converting the weights',
	'building graphs': 'building its graph',
	'probing shapes': 'probing shapes',
	differentiating: 'differentiating',
	writing: 'writing the cache',
};

/** Progress of a first open as one line per phase (and per tenth of a long phase). */
function buildNotes(name: string, onProgress: ((message: string) => void) | undefined): ((p: BuildProgress) => void) | undefined {
	if (!onProgress) {
		return undefined;
	}
	let last = '';
	return p => {
		if (p.phase === 'scanning') {
			return;
		}
		const line = `judge "${name}" (first use): ${PHASES[p.phase]}${p.fraction === undefined ? '' : ` ${Math.floor(p.fraction * 10) * 10}%`}`;
		if (line !== last) {
			last = line;
			onProgress(line);
		}
	};
}

/** Open judges (every bundled judge when `names` is undefined); close() releases the shared pool. */
export async function openJudges(names: string[] | undefined, options: OpenJudgesOptions = {}): Promise<{judges: Judge[]; close(): Promise<void>}> {
	const list = names ?? bundledJudgeNames();
	if (list.length === 0) {
		throw new UserError('no judges: models/ holds no bundled judge and none was named (--judges a,b or a folder path)', {field: 'judges'});
	}
	const folders = list.map(resolveJudge);
	// Local judge folders first, with the size of their weights (headers only), so nothing is loaded before the
	// memory check and the pool is laid out for them.
	const local = new Map<number, {folder: JudgeFolder; weightBytes: number}>();
	for (const [i, dir] of folders.entries()) {
		if (!(await isServerJudgeFolder(dir))) {
			const folder = await loadJudgeFolder(dir);
			local.set(i, {folder, weightBytes: await modelWeightBytes(folder.kind, folder.modelPath)});
		}
	}
	const sizes = [...local.values()].map(l => ({name: l.folder.config.name, weightBytes: l.weightBytes}));
	checkJudgesFit(sizes, options.memoryAvailable ?? availableMemory());
	const layout = options.pool ?? poolLayout(sizes.map(s => s.weightBytes));
	const pool = new OrtPool({...layout, background: options.background});
	// Said when it matters: a judge of real size changes the layout, and its first use takes minutes.
	if ('why' in layout && (layout.workers ?? 2) === 1 && sizes.length > 0) {
		options.onProgress?.(`judges: ${pool.size} worker${pool.size === 1 ? '' : 's'} x ${pool.threadsPerWorker} thread${pool.threadsPerWorker === 1 ? '' : 's'} (${layout.why})`);
	}
	const judges: Judge[] = [];
	const close = async () => {
		await Promise.all(judges.map(j => j.close()));
		await pool.close();
	};
	try {
		for (const [i, dir] of folders.entries()) {
			const heldout = options.heldout ? options.heldout.includes(list[i]!) : undefined;
			const opened = local.get(i);
			if (opened) {
				const onProgress = opened.weightBytes > LEAN_ABOVE_BYTES ? buildNotes(opened.folder.config.name, options.onProgress) : undefined;
				judges.push(await OnnxJudge.openFolder(opened.folder, {pool, baseline: options.baseline, heldout, signal: options.signal, onProgress}));
			} else {
				judges.push(await ServerJudge.open(dir, {heldout}));
			}
		}
		const names = new Set<string>();
		for (const j of judges) {
			if (names.has(j.info.name)) {
				throw new UserError(`two judges are named "${j.info.name}": judge names must be unique`, {field: 'judges'});
			}
			names.add(j.info.name);
		}
		for (const h of options.heldout ?? []) {
			if (!list.includes(h) && !judges.some(j => j.info.name === h)) {
				throw new UserError(`held-out judge "${h}" is not among the judges (${judges.map(j => j.info.name).join(', ')})`, {field: 'heldout'});
			}
		}
		return {judges, close};
	} catch (error) {
		await close();
		throw error;
	}
}
