/**
 * Opening the judges a task or a command names: bundled judges by name (models/<name>/), or judge folders by path.
 * All judges share one worker pool.
 */
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {UserError} from '../errors.js';
import type {Baseline} from '../onnx/judge-graph.js';
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
	/** Pool size. */
	pool?: PoolOptions;
};

/** Open judges (every bundled judge when `names` is undefined); close() releases the shared pool. */
export async function openJudges(names: string[] | undefined, options: OpenJudgesOptions = {}): Promise<{judges: Judge[]; close(): Promise<void>}> {
	const list = names ?? bundledJudgeNames();
	if (list.length === 0) {
		throw new UserError('no judges: models/ holds no bundled judge and none was named (--judges a,b or a folder path)', {field: 'judges'});
	}
	const folders = list.map(resolveJudge);
	const pool = new OrtPool(options.pool);
	const judges: Judge[] = [];
	const close = async () => {
		await Promise.all(judges.map(j => j.close()));
		await pool.close();
	};
	try {
		for (const [i, dir] of folders.entries()) {
			const heldout = options.heldout ? options.heldout.includes(list[i]!) : undefined;
			const server = await isServerJudgeFolder(dir);
			judges.push(server ? await ServerJudge.open(dir, {heldout}) : await OnnxJudge.open(dir, {pool, baseline: options.baseline, heldout}));
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
