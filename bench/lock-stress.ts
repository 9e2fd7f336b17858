/**
 * Stale-lock takeover under contention: in each trial a session folder holds a lock left by a dead process, and
 * two worker processes take it at the same instant (they spin to a shared wall-clock time). A trial where both
 * report holding the lock is a double holder. Run for gmpo's lock (rename of a prepared lock directory) and, as the
 * baseline it replaced, delete-then-create. `--quick` runs 100 trials instead of 1,000.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {report} from './report.js';

/** A pid above Linux's pid_max (4,194,304): certainly not running. */
const DEAD_PID = 999_999_999;

type Reply = {pid?: number; held?: boolean; error?: string; released?: boolean};

/** A long-lived worker: one request, one reply line. */
export class LockWorker {
	readonly #child: ChildProcess;
	readonly #replies: ((reply: Reply) => void)[] = [];

	constructor(root: string) {
		this.#child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'lock-worker.ts')], {cwd: root, stdio: ['pipe', 'pipe', 'inherit']});
		readline.createInterface({input: this.#child.stdout!}).on('line', line => this.#replies.shift()?.(JSON.parse(line) as Reply));
	}

	/** Sends a command and resolves with its reply. */
	ask(command: Record<string, unknown>): Promise<Reply> {
		return new Promise(resolve => {
			this.#replies.push(resolve);
			this.#child.stdin!.write(`${JSON.stringify(command)}\n`);
		});
	}

	/** Ends the worker. */
	close(): Promise<void> {
		return new Promise(resolve => {
			this.#child.once('close', () => resolve());
			this.#child.stdin!.end();
		});
	}
}

/** Writes the lock a dead process leaves: gmpo's lock directory, or the plain pid file of earlier versions. */
export function staleLock(dir: string, kind: 'dir' | 'file'): void {
	fs.mkdirSync(dir, {recursive: true});
	const lock = path.join(dir, '.lock');
	if (kind === 'file') {
		fs.writeFileSync(lock, `${DEAD_PID}\n`);
		return;
	}
	fs.mkdirSync(lock);
	fs.writeFileSync(path.join(lock, `owner-${DEAD_PID}-0123456789ab`), `${JSON.stringify({pid: DEAD_PID})}\n`);
}

/** Counts of a series of trials. */
export type StressCounts = {trials: number; double: number; none: number; errors: string[]};

/** Runs `trials` contended takeovers with two workers; every trial's folder is removed. */
export async function stress(workers: [LockWorker, LockWorker], options: {trials: number; impl: 'rename' | 'delete-create'; tmp: string}): Promise<StressCounts> {
	const counts: StressCounts = {trials: options.trials, double: 0, none: 0, errors: []};
	for (let i = 0; i < options.trials; i++) {
		const dir = path.join(options.tmp, `trial-${i}`);
		// Old-style pid files only for the baseline, which knows no other; gmpo's lock meets both kinds.
		staleLock(dir, options.impl === 'delete-create' || i % 2 === 1 ? 'file' : 'dir');
		const at = performance.timeOrigin + performance.now() + 5;
		const replies = await Promise.all(workers.map(w => w.ask({take: dir, at, impl: options.impl})));
		for (const r of replies) if (r.error) counts.errors.push(r.error);
		const holders = replies.filter(r => r.held).length;
		if (holders > 1) counts.double++;
		if (holders === 0) counts.none++;
		await Promise.all(workers.map((w, k) => (replies[k].held ? w.ask({release: true}) : undefined)));
		fs.rmSync(dir, {recursive: true, force: true});
	}
	return counts;
}

export async function run(quick: boolean): Promise<void> {
	const root = path.resolve(import.meta.dirname, '..');
	const trials = quick ? 100 : 1000;
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-lock-stress-'));
	const workers: [LockWorker, LockWorker] = [new LockWorker(root), new LockWorker(root)];
	try {
		// Workers load tsx and the lock module before the first trial, so start-up does not separate them.
		await Promise.all(workers.map(w => w.ask({release: true})));
		const rows: (string | number)[][] = [];
		const result: Record<string, unknown> = {trials};
		for (const impl of ['delete-create', 'rename'] as const) {
			const counts = await stress(workers, {trials, impl, tmp});
			rows.push([impl === 'rename' ? 'rename of a prepared lock directory (gmpo)' : 'delete, then create (before)', trials, counts.double, counts.none, counts.errors.length]);
			result[impl] = {double: counts.double, none: counts.none, errors: counts.errors.length};
			if (counts.errors.length > 0) process.stderr.write(`${impl}: ${counts.errors.slice(0, 3).join('; ')}\n`);
		}
		report(
			'lock',
			'Session lock: stale-lock takeover by two processes at once',
			[{table: {columns: ['takeover', 'trials', 'both held it', 'neither held it', 'errors'], rows}}],
			result,
			{quick, notes: ['Each trial: a lock left by a dead process, two worker processes taking it at the same instant (spinning to a shared wall-clock time); gmpo trials alternate its lock directory and the pid file of earlier versions.']},
		);
	} finally {
		await Promise.all(workers.map(w => w.close()));
		fs.rmSync(tmp, {recursive: true, force: true});
	}
}
