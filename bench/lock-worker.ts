/**
 * One contender of bench/lock-stress.ts (and of the lock test): reads commands as JSON lines on stdin, answers on
 * stdout. `{"take": dir, "at": ms, "impl": "rename" | "delete-create"}` spins until the wall clock reaches `at` (so two
 * workers start within microseconds of each other), takes the session lock of `dir` and answers whether it got it;
 * `{"release": true}` releases what it holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {performance} from 'node:perf_hooks';
import {isUserError} from '../source/errors.js';
import {acquireLock} from '../source/sessions/lock.js';

/** The takeover gmpo used before: delete the stale file, then create a new one (kept to show what it allowed). */
function deleteThenCreate(dir: string): () => void {
	const file = path.join(dir, '.lock');
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			fs.writeFileSync(file, `${process.pid}\n`, {flag: 'wx'});
			return () => fs.rmSync(file, {force: true});
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			let pid: number;
			try {
				pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
			} catch {
				continue;
			}
			let alive = true;
			try {
				process.kill(pid, 0);
			} catch (e) {
				alive = (e as NodeJS.ErrnoException).code === 'EPERM';
			}
			if (pid !== process.pid && alive) throw new Error('busy');
			fs.rmSync(file, {force: true});
		}
	}
	throw new Error('busy');
}

let release: (() => void) | undefined;
const now = () => performance.timeOrigin + performance.now();
const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

for await (const line of readline.createInterface({input: process.stdin})) {
	const command = JSON.parse(line) as {take?: string; at?: number; impl?: string; release?: boolean};
	if (command.release) {
		release?.();
		release = undefined;
		answer({released: true});
		continue;
	}
	while (now() < command.at!) {
		// Spin: a timer would wake each worker at a different millisecond.
	}
	try {
		release = command.impl === 'delete-create' ? deleteThenCreate(command.take!) : acquireLock(command.take!);
		answer({pid: process.pid, held: true});
	} catch (error) {
		answer({pid: process.pid, held: false, error: isUserError(error) || (error as Error).message === 'busy' ? undefined : String(error)});
	}
}
