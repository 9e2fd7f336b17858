/**
 * `npm run bench -- judges`: what the judge layer costs on top of onnxruntime, and what gradient attribution buys.
 *
 * - Scoring throughput of OnnxJudge.score (render, tokenise, batch, run in the worker pool) against bare
 *   onnxruntime runs of the same graphs on the same pre-built batches, on the main thread (the shared-prefix run,
 *   then the rest of every example, as the judge does; the whole examples through the loss graph for contrast).
 *   Overhead = judge time / bare time - 1, for a matched pair on one thread each (a pool of 1 worker x 1 intra-op
 *   thread against a 1-thread session: no intra-op barriers, which other jobs on the machine would skew) and for
 *   the product's default pool (2 workers x 1 thread, batches in parallel) against a 2-thread session.
 * - Attribution time by gradient (one forward+backward) against leave-one-out (K+1 forwards) as K grows.
 * - Fidelity: Spearman correlation of gradient importances with leave-one-out ones (same baseline) on the demo
 *   tasks, for the judge's attribution settings (judge.json; by default the mean-embedding baseline and the gradient
 *   at m = 0.5) and for DESIGN §2's first-order estimate (zero baseline, m = 1).
 * - Main-thread event-loop lag while scoring (the pool keeps onnxruntime off it), against a bare run on the main
 *   thread for contrast.
 */
import {readFileSync} from 'node:fs';
import {monitorEventLoopDelay} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {spearman} from '../source/core/stats.js';
import {batchFeeds, DEFAULT_LIMITS, makeBatches, segmentMask} from '../source/judges/batching.js';
import {judgeGraphs} from '../source/judges/graph-cache.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {prefixFeeds, sharedPrefixLength, suffixExamples, withPrefix} from '../source/judges/prefix-cache.js';
import type {JudgeExample} from '../source/judges/types.js';
import type {Tensor} from '../source/onnx/ir.js';
import {createSession, fromIr, run as ortRun, toIr, type OrtSession} from '../source/onnx/ort.js';
import {demoTasks, interleaved, loadNote, mainJudge, syntheticWorkload, tokenCounts} from './judge-fixtures.js';
import {fmt, report, timeIt, type Table} from './report.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => sum(xs) / xs.length;

/**
 * A bare onnxruntime runner of the judge graphs on pre-built batches: what the judge runs, minus the judge. With
 * `prefix`, the same runs as OnnxJudge.score (the shared prefix once, then the rest of every example with the
 * prefix as past; the past is repeated per row inside the timing since it depends on the prefix run); without, the
 * whole examples through the loss graph.
 */
async function bareLoss(judge: OnnxJudge, segments: readonly string[], examples: readonly JudgeExample[], threads: number, prefix: boolean) {
	const folder = judge.folder;
	const padTokenId = folder.specialTokens.pad_token ? folder.tokenizer.tokenId(folder.specialTokens.pad_token) : undefined;
	const graphs = await judgeGraphs(folder.modelPath, {baseline: folder.config.attribution.baseline, padTokenId});
	const info = graphs.info;
	// The judge's own graph (one session for the prefix and the rest), on this thread.
	const session: OrtSession = await createSession(readFileSync(graphs.graphPath), {threads, externalDataDir: graphs.dataDir});
	const branch: Record<string, Tensor> = graphs.attribution.available ? {want_grad: {dtype: 'bool', dims: [], data: Uint8Array.of(0)}} : {};
	const encoded = await judge.encode(segments, examples);
	const shared = prefix && graphs.presentOutputs.length > 0 ? sharedPrefixLength(encoded) : 0;
	const runs = shared > 0 ? suffixExamples(encoded, shared) : encoded;
	const batches = makeBatches(runs, DEFAULT_LIMITS).map(m => batchFeeds(runs, m, {...info, targetPositions: true}));
	const ortFeeds = (f: Record<string, Tensor>) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, fromIr(t)]));
	const feeds = batches.map(b => ({...b.feeds, ...branch, segment_mask: segmentMask(b.members.length, 1, info.floatType)}));
	const plain = feeds.map(ortFeeds);
	const first = ortFeeds({...prefixFeeds(encoded[0]!.ids.slice(0, shared), info), ...branch});
	const losses = new Array<number>(examples.length);
	const runAll = async () => {
		let present: Record<string, Tensor> | undefined;
		if (shared > 0) {
			const out = await ortRun(session, first, graphs.presentOutputs);
			present = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, toIr(t)]));
		}
		for (const [i, f] of feeds.entries()) {
			const out = await ortRun(session, present ? ortFeeds(withPrefix(f, present, shared, info)) : plain[i]!, ['loss']);
			batches[i]!.members.forEach((m, b) => (losses[m] = Number((out.loss!.data as Float32Array)[b])));
		}
		return losses;
	};
	return {runAll, shared, release: () => session.release()};
}

/** Event-loop delay p99 and max (ms) while `fn` runs `times` times. */
async function lagWhile(fn: () => Promise<unknown>, times: number): Promise<{p99: number; max: number}> {
	const h = monitorEventLoopDelay({resolution: 5});
	h.enable();
	for (let i = 0; i < times; i++) {
		await fn();
	}
	h.disable();
	return {p99: h.percentile(99) / 1e6, max: h.max / 1e6};
}

export async function run(quick: boolean): Promise<void> {
	const bench = mainJudge();
	const matchedPool = new OrtPool({workers: 1, threadsPerWorker: 1});
	const pool = new OrtPool();
	const reps = quick ? 3 : 9;
	try {
		const matched = await OnnxJudge.open(bench.dir, {pool: matchedPool});
		const judge = await OnnxJudge.open(bench.dir, {pool});
		process.stderr.write(`judges: ${bench.label}, ${judge.info.parameters} parameters\n`);

		// 1. Scoring throughput and overhead.
		const shape = {count: 32, promptTokens: 52, inputTokens: 10, targetTokens: 8, segments: 8};
		const work = await syntheticWorkload(judge, shape);
		const counts = await tokenCounts(judge, work.segments, work.examples);
		const tokens = sum(counts.context) + sum(counts.target);
		// 4. Event-loop lag while scoring through the pool, measured first: no onnxruntime session of this process
		// has spinning threads yet. The same with onnxruntime on the main thread follows, for contrast.
		const lagRuns = quick ? 5 : 20;
		await judge.score(work.segments, work.examples);
		const t0 = performance.now();
		const lag = await lagWhile(() => judge.score(work.segments, work.examples), lagRuns);
		// The same time with nothing running in this process: what other jobs on the machine alone cost the loop.
		const lagMs = performance.now() - t0;
		const idle = await lagWhile(() => sleep(lagMs), 1);
		const bare = await bareLoss(judge, work.segments, work.examples, 2, true);
		const bare1 = await bareLoss(judge, work.segments, work.examples, 1, true);
		const bareFull = await bareLoss(judge, work.segments, work.examples, 2, false);
		const judgeLosses = (await judge.score(work.segments, work.examples)).losses;
		const bareLosses = [...(await bare.runAll())];
		const fullLosses = await bareFull.runAll();
		const maxDiff = Math.max(...judgeLosses.map((l, i) => Math.max(Math.abs(l - bareLosses[i]!), Math.abs(l - fullLosses[i]!))));
		// Each judge alternates with its own reference only, so the 2-thread sessions' spinning threads never sit next
		// to the 1-thread pair.
		// Rendering and tokenising the examples is part of every score call; the bare runners are handed the tokens.
		const [tMatched, tBare1, tEncode] = await interleaved([() => matched.score(work.segments, work.examples), bare1.runAll, () => matched.encode(work.segments, work.examples)], reps, 2);
		const [tDefault, tBare, tFull] = await interleaved([() => judge.score(work.segments, work.examples), bare.runAll, bareFull.runAll], reps, 2);
		const overhead = tMatched! / tBare1! - 1;
		const overheadWithoutEncode = (tMatched! - tEncode!) / tBare1! - 1;
		const overheadDefault = tDefault! / tBare! - 1;
		const throughput: Table = {columns: ['runner', 'threads', 'ms per call (32 examples)', 'tokens/s', 'vs its bare reference'], rows: []};
		const tps = (ms: number) => fmt(tokens / (ms / 1000), 0);
		const sameRuns = `same runs as the judge (${bare.shared}-token shared prefix once, then the rest), main thread`;
		throughput.rows.push([`bare onnxruntime, ${sameRuns}`, '1 session x 1', fmt(tBare1!, 1), tps(tBare1!), '1.00']);
		throughput.rows.push(['OnnxJudge.score, pool of 1 worker', '1 worker x 1', fmt(tMatched!, 1), tps(tMatched!), fmt(tMatched! / tBare1!, 3)]);
		throughput.rows.push(['  of which rendering and tokenising the examples (OnnxJudge.encode alone)', 'main thread', fmt(tEncode!, 1), '', '']);
		throughput.rows.push([`bare onnxruntime, ${sameRuns}`, '1 session x 2', fmt(tBare!, 1), tps(tBare!), '1.00']);
		throughput.rows.push(['OnnxJudge.score, default pool', '2 workers x 1', fmt(tDefault!, 1), tps(tDefault!), fmt(tDefault! / tBare!, 3)]);
		throughput.rows.push(['bare onnxruntime, whole examples through the loss graph (no prefix reuse; contrast)', '1 session x 2', fmt(tFull!, 1), tps(tFull!), fmt(tFull! / tBare!, 3)]);
		process.stderr.write(`judges: overhead ${(overhead * 100).toFixed(1)}% (default pool ${(overheadDefault * 100).toFixed(1)}%)\n`);

		const lagBare = await lagWhile(bare.runAll, lagRuns);
		await Promise.all([bare.release(), bare1.release(), bareFull.release()]);

		// 2. Attribution: gradient vs leave-one-out as K grows (8 examples, a 128-token prompt).
		const ks = quick ? [4, 32] : [4, 16, 32, 64];
		const attr: Table = {columns: ['K segments', 'gradient ms (judge settings)', 'passes', 'gradient ms (first order, m = 1)', 'passes', 'LOO ms', 'LOO passes', 'LOO / gradient (judge settings)', 'LOO / gradient (first order)'], rows: []};
		const firstOrder = await OnnxJudge.open(bench.dir, {pool, baseline: 'zero', maskPoint: 1});
		let speedupK32 = Number.NaN;
		let speedupK32First = Number.NaN;
		const gradTimes: number[] = [];
		for (const K of ks) {
			const w = await syntheticWorkload(judge, {count: 8, promptTokens: 128, inputTokens: 10, targetTokens: 8, segments: K});
			const g = await judge.attribute(w.segments, w.examples);
			const l = await judge.attributeLeaveOneOut(w.segments, w.examples);
			const tg = await timeIt(() => judge.attribute(w.segments, w.examples), quick ? 3 : 7);
			const f = await firstOrder.attribute(w.segments, w.examples);
			const tf = await timeIt(() => firstOrder.attribute(w.segments, w.examples), quick ? 3 : 7);
			const tl = await timeIt(() => judge.attributeLeaveOneOut(w.segments, w.examples), quick ? 1 : 3, 0);
			gradTimes.push(tg);
			if (K === 32) {
				speedupK32 = tl / tg;
				speedupK32First = tl / tf;
			}
			attr.rows.push([K, fmt(tg, 1), g.passes, fmt(tf, 1), f.passes, fmt(tl, 1), l.passes, fmt(tl / tg, 1), fmt(tl / tf, 1)]);
			process.stderr.write(`judges: K=${K}: gradient ${tg.toFixed(1)} ms, LOO ${tl.toFixed(1)} ms\n`);
		}

		// 3. Fidelity on the demo tasks: Spearman of the example-averaged importances, and per example, each gradient
		// against leave-one-out with its own baseline.
		const {baseline, maskPoint} = judge.folder.config.attribution;
		const settings = `baseline ${baseline}, m = ${maskPoint}`;
		const fidelity: Table = {columns: ['task', 'K', 'examples', `Spearman, judge settings (${settings})`, 'same, per example (mean)', 'Spearman, first order (zero baseline, m = 1)', 'same, per example (mean)'], rows: []};
		const rhos: number[] = [];
		const rhosFirst: number[] = [];
		for (const task of demoTasks()) {
			const examples = quick ? task.examples.slice(0, 8) : task.examples;
			const avg = (imp: number[][]) => task.segments.map((_, k) => mean(imp.map(row => row[k]!)));
			const agreement = async (j: OnnxJudge) => {
				const g = (await j.attribute(task.segments, examples)).importance;
				const l = (await j.attributeLeaveOneOut(task.segments, examples)).importance;
				return {mean: spearman(avg(g), avg(l)), perExample: mean(g.map((row, e) => spearman(row, l[e]!)).filter(Number.isFinite))};
			};
			const mine = await agreement(judge);
			const first = await agreement(firstOrder);
			rhos.push(mine.mean);
			rhosFirst.push(first.mean);
			fidelity.rows.push([task.name, task.segments.length, examples.length, fmt(mine.mean, 3), fmt(mine.perExample, 3), fmt(first.mean, 3), fmt(first.perExample, 3)]);
		}
		const rho = mean(rhos);

		const lagTable: Table = {
			columns: ['during', 'event-loop lag p99 ms', 'max ms'],
			rows: [
				[`idle for the same ${fmt(lagMs / 1000, 1)} s (the machine's other load alone)`, fmt(idle.p99, 1), fmt(idle.max, 1)],
				[`${lagRuns} x OnnxJudge.score (worker pool)`, fmt(lag.p99, 1), fmt(lag.max, 1)],
				[`${lagRuns} x bare onnxruntime on the main thread (contrast)`, fmt(lagBare.p99, 1), fmt(lagBare.max, 1)],
			],
		};
		const gradSpread = Math.max(...gradTimes) / Math.min(...gradTimes);
		report(
			'judges',
			'Judges: scoring overhead, gradient vs leave-one-out, fidelity, event-loop lag',
			[
				{heading: `Scoring throughput (${bench.label}; 32 examples, ${mean(counts.context).toFixed(1)} context + ${mean(counts.target).toFixed(1)} target tokens each, ${tokens} tokens per call)`, table: throughput},
				{heading: `Attribution time (8 examples, 128-token prompt, default pool; judge settings: ${judge.folder.config.attribution.maskPoint === 1 ? 'one forward+backward per batch' : 'the gradient away from m = 1 adds a plain scoring pass for the loss at m = 1'})`, table: attr},
				{heading: `Fidelity: gradient vs leave-one-out importances on the demo tasks (${bench.bundled ? bench.label : `${bench.label}: a random-weight model, so agreement says little about real judges`})`, table: fidelity},
				{heading: 'Main-thread event-loop lag (perf_hooks.monitorEventLoopDelay, 5 ms resolution)', table: lagTable},
			],
			{
				overhead: Number(overhead.toFixed(4)),
				overhead_without_encode: Number(overheadWithoutEncode.toFixed(4)),
				encode_ms: Number(tEncode!.toFixed(2)),
				overhead_default_pool: Number(overheadDefault.toFixed(4)),
				speedup_k32: Number(speedupK32.toFixed(2)),
				speedup_k32_first_order: Number(speedupK32First.toFixed(2)),
				spearman: Number(rho.toFixed(3)),
				spearman_first_order: Number(mean(rhosFirst).toFixed(3)),
				attribution: settings,
				lag_p99_ms: Number(lag.p99.toFixed(2)),
				idle_lag_p99_ms: Number(idle.p99.toFixed(2)),
				grad_time_spread: Number(gradSpread.toFixed(2)),
				judge: bench.label,
			},
			{
				quick,
				notes: [
					`Judge and bare losses agree to ${maxDiff.toExponential(1)} (max abs). Median of ${reps} interleaved rounds after 2 warm-ups. "overhead" = judge / bare - 1 on one thread each (goal <= 10%); "overhead_without_encode" is the same with the time of OnnxJudge.encode taken off the judge's (${fmt(overheadWithoutEncode * 100, 1)}%); "overhead_default_pool" = default pool / 2-thread bare - 1.`,
					`Gradient time from K = ${ks[0]} to ${ks.at(-1)} varies by x${gradSpread.toFixed(2)} (goal: independent of K); LOO / gradient at K = 32 is the speedup (goal >= 10).`,
					`Goal for lag p99: <= 50 ms.`,
					loadNote(),
				],
			},
		);
	} finally {
		await Promise.all([pool.close(), matchedPool.close()]);
	}
}
