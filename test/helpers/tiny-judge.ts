/**
 * Tiny random-weight judge folders in a temporary directory: fixtures for judge tests.
 */
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {writeRandomJudge, type RandomJudgeOptions} from '../../source/training/random-judge.js';

/** Write a judge folder (default name tiny-<family>-<dtype>); returns its path. */
export function writeTinyJudge(options: RandomJudgeOptions): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), `gmpo-judge-${options.family}-`));
	return writeRandomJudge(dir, {...options, name: options.name ?? `tiny-${options.family}-${options.dtype ?? 'float32'}`});
}
