/**
 * Tiny random-weight judge folders in a temporary directory: fixtures for judge tests.
 */
import {writeRandomJudge, type RandomJudgeOptions} from '../../source/training/random-judge.js';
import {tempDir} from './temp.js';

/** Write a judge folder (default name tiny-<family>-<dtype>), removed when the test process exits; returns its path. */
export function writeTinyJudge(options: RandomJudgeOptions): string {
	const dir = tempDir(`gmpo-judge-${options.family}-`);
	return writeRandomJudge(dir, {...options, name: options.name ?? `tiny-${options.family}-${options.dtype ?? 'float32'}`});
}
