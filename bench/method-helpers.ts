/**
 * Helpers for bench/method.ts and bench/real-data.ts: one optimisation run in-process (a temp sessions folder, the
 * engine with the acceptance rule deciding), a judge wrapper whose attribution is random (the "random choice of
 * segments" baseline: one forward for the prompt's loss, no importances), mean and standard deviation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {segmentPrompt} from '../source/core/segment.js';
import {mean, standardDeviation} from '../source/core/stats.js';
import type {Task} from '../source/core/task.js';
import {autoDecide} from '../source/engine/auto.js';
import {Engine} from '../source/engine/engine.js';
import {createOfflineGenerator} from '../source/generators/offline.js';
import type {Judge} from '../source/judges/types.js';
import {newSession} from '../source/sessions/store.js';
import {mulberry32} from '../source/core/random.js';
import type {RacingSettings} from '../source/core/racing.js';
import type {Candidate} from '../source/core/types.js';
import type {EngineEvent} from '../source/engine/types.js';
import type {Generator} from '../source/generators/types.js';

/** A seeded pseudo-random generator. */
export const rng = mulberry32;

/** A judge whose attribution is random importances (one forward for the loss): the random-choice baseline. */
export function randomAttribution(judge: Judge, seed: number): Judge {
	const next = rng(seed);
	return {
		info: judge.info,
		score: (s, e, signal) => judge.score(s, e, signal),
		generate: (s, i, m, signal) => judge.generate(s, i, m, signal),
		attributeLeaveOneOut: (s, e, signal) => judge.attributeLeaveOneOut(s, e, signal),
		close: () => judge.close(),
		async attribute(segments, examples, signal) {
			const scored = await judge.score(segments, examples, signal);
			const row = segments.map(() => next() - 0.5);
			return {...scored, importance: examples.map(() => [...row]), method: 'gradient', passes: 1};
		},
	};
}

/** Attribution work counted by a wrapper: judge passes and seconds. */
export type Tally = {passes: number; seconds: number};

/** A judge whose attribution calls (gradient or leave-one-out) add their passes and time to `tally`. */
export function counted(judge: Judge, tally: Tally): Judge {
	const time = async <T extends {passes: number}>(fn: () => Promise<T>): Promise<T> => {
		const start = performance.now();
		const result = await fn();
		tally.seconds += (performance.now() - start) / 1000;
		tally.passes += result.passes;
		return result;
	};
	return {
		info: judge.info,
		score: (s, e, signal) => judge.score(s, e, signal),
		generate: (s, i, m, signal) => judge.generate(s, i, m, signal),
		close: () => judge.close(),
		attribute: (s, e, signal) => time(() => judge.attribute(s, e, signal)),
		attributeLeaveOneOut: (s, e, signal) => time(() => judge.attributeLeaveOneOut(s, e, signal)),
	};
}

/** What one run produced. */
export type RunOutcome = {initial: string[]; final: string[]; passes: number; seconds: number; accepted: number; rounds: number; attribution: Tally};

let counter = 0;

/** Runs `rounds` GMPO rounds on the task in-process (offline generator, acceptance rule), in a temp sessions folder. */
export async function optimise(task: Task, judges: Judge[], options: {rounds: number; attribution?: 'auto' | 'loo'; candidates?: number; racing?: RacingSettings; phraseBank?: string[]; onCandidate?: (current: string[], candidate: Candidate) => void; onEvent?: (event: EngineEvent) => void; generator?: Generator; spurious?: boolean}): Promise<RunOutcome> {
	const tally: Tally = {passes: 0, seconds: 0};
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gmpo-bench-${process.pid}-${counter++}-`));
	const segments = segmentPrompt(task.prompt, task.segmentation);
	const session = newSession({task: {...task, rounds: options.rounds}, segments, judges: judges.map(j => j.info.name), generator: {kind: 'offline'}}, {dir});
	try {
		const engine = new Engine({
			session,
			judges: judges.map(j => counted(j, tally)),
			candidates: options.candidates,
			generator: options.generator ?? createOfflineGenerator({seed: task.seed, phraseBank: options.phraseBank ?? task.phraseBank, spurious: options.spurious}),
			limits: {rounds: options.rounds},
			decide: autoDecide,
			attribution: options.attribution ?? 'auto',
			// Racing is off unless asked for, so the method benchmark's arms compare attribution alone.
			racing: options.racing ?? {...task.racing, enabled: false},
		});
		const onCandidate = options.onCandidate;
		if (options.onEvent) engine.on(options.onEvent);
		if (onCandidate) engine.on(e => e.type === 'candidates-proposed' && e.candidates.forEach(c => onCandidate(engine.segments.map(s => s.text), c)));
		const start = performance.now();
		const result = await engine.run();
		const seconds = (performance.now() - start) / 1000;
		return {
			initial: segments.map(s => s.text),
			final: result.segments.map(s => s.text),
			passes: engine.budget.spent().judgePasses,
			seconds,
			accepted: result.accepted,
			rounds: result.rounds,
			attribution: tally,
		};
	} finally {
		session.close();
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

/** "mean ± sd" of numbers. */
export function ms(xs: readonly number[], digits = 3): string {
	if (xs.length === 0) return 'n/a';
	const sd = xs.length > 1 ? standardDeviation(xs, {sample: true}) : 0;
	return `${mean(xs).toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

/** Rounds a number for a RESULT line. */
export function round3(x: number): number {
	return Number.isFinite(x) ? Number(x.toFixed(3)) : x;
}

/** Splits a prompt's words into k contiguous chunks of near-equal size (each keeps its trailing space). */
export function chunks(prompt: string, k: number): string[] {
	const words = prompt.split(/(?<=\s)/);
	const out: string[] = [];
	for (let i = 0; i < k; i++) out.push(words.slice(Math.floor((i * words.length) / k), Math.floor(((i + 1) * words.length) / k)).join(''));
	return out.filter(s => s.trim().length > 0);
}

/** Two-sided 95% Student t critical values by degrees of freedom (1 to 30; beyond, the normal 1.96). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean and its 95% confidence interval (Student t over the values, e.g. paired differences). */
export function interval95(xs: readonly number[]): {mean: number; low: number; high: number} {
	const m = mean(xs);
	if (xs.length < 2) return {mean: m, low: Number.NaN, high: Number.NaN};
	const half = (T95[xs.length - 2] ?? 1.96) * (standardDeviation(xs, {sample: true}) / Math.sqrt(xs.length));
	return {mean: m, low: m - half, high: m + half};
}

/**
 * Mean and its 95% percentile-bootstrap interval (`resamples` seeded resamples with replacement): for differences whose
 * distribution is far from normal (a few large values), where the t interval is too wide on one side and too narrow
 * on the other.
 */
export function bootstrap95(xs: readonly number[], seed = 1, resamples = 10_000): {mean: number; low: number; high: number} {
	const m = mean(xs);
	if (xs.length < 2) return {mean: m, low: Number.NaN, high: Number.NaN};
	const next = rng(seed);
	const means = new Float64Array(resamples);
	for (let r = 0; r < resamples; r++) {
		let s = 0;
		for (let i = 0; i < xs.length; i++) s += xs[Math.floor(next() * xs.length)]!;
		means[r] = s / xs.length;
	}
	means.sort();
	return {mean: m, low: means[Math.floor(0.025 * resamples)]!, high: means[Math.ceil(0.975 * resamples) - 1]!};
}
