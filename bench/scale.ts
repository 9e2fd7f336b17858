/**
 * `npm run bench -- scale`: how scoring and gradient attribution grow with the prompt (tokens, segments) and with
 * the number of examples, and the peak memory against the number of examples. Each memory point runs in its own
 * child process (a fresh process, so the peak is that point's): peak RSS from the kernel (the whole process: main
 * thread, the pool's workers and onnxruntime's arenas) and the main thread's V8 heap sampled every 5 ms.
 */
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {interleaved, loadNote, mainJudge, syntheticWorkload, tokenCounts, type Shape} from './judge-fixtures.js';
import {fmt, report, timeIt, type Table} from './report.js';

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** What a child process measures for one point. */
type ChildRequest = {dir: string; op: 'score' | 'attribute'; shape: Shape; reps: number};
type ChildResult = {ms: number; peakRssMiB: number; baseRssMiB: number; peakHeapMiB: number; baseHeapMiB: number};

/** The child side: open the judge, warm up, then run the operation while sampling memory. */
async function child(request: ChildRequest): Promise<ChildResult> {
	const pool = new OrtPool();
	try {
		const judge = await OnnxJudge.open(request.dir, {pool});
		const work = await syntheticWorkload(judge, request.shape);
		const op = () => (request.op === 'score' ? judge.score(work.segments, work.examples) : judge.attribute(work.segments, work.examples));
		// Open and warm up on one example, so the baseline holds the sessions but no batch of this size.
		await (request.op === 'score' ? judge.score(work.segments, work.examples.slice(0, 1)) : judge.attribute(work.segments, work.examples.slice(0, 1)));
		const baseRss = process.memoryUsage().rss;
		const baseHeap = process.memoryUsage().heapUsed;
		let peakHeap = baseHeap;
		const timer = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
		const ms = await timeIt(op, request.reps, 1);
		clearInterval(timer);
		const MiB = 2 ** 20;
		return {ms, peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB, baseRssMiB: baseRss / MiB, peakHeapMiB: peakHeap / MiB, baseHeapMiB: baseHeap / MiB};
	} finally {
		await pool.close();
	}
}

const CHILD_FLAG = '--scale-child';
if (process.argv[2] === CHILD_FLAG) {
	const result = await child(JSON.parse(process.argv[3]!) as ChildRequest);
	process.stdout.write(`${JSON.stringify(result)}\n`);
	process.exit(0);
}

function inChild(request: ChildRequest): ChildResult {
	const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, JSON.stringify(request)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000});
	return JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
}

export async function run(quick: boolean): Promise<void> {
	const bench = mainJudge();
	const reps = quick ? 2 : 5;
	const pool = new OrtPool();
	const tables: {heading: string; table: Table}[] = [];
	let context = 256;
	try {
		const judge = await OnnxJudge.open(bench.dir, {pool});
		context = judge.info.contextLength ?? context;
		// Room for the template, the input (10 tokens) and the target (8 tokens) in the judge's context.
		const longest = Math.min(512, context - 48);

		// 1. Prompt length, 8 tokens per segment, 8 examples.
		const lengths = (quick ? [16, 64, 192] : [16, 32, 64, 128, 192, 256, 384, 512]).filter(p => p <= longest);
		const byLength: Table = {columns: ['prompt tokens', 'segments', 'tokens per example', 'score ms', 'attribute ms', 'attribute / score'], rows: []};
		// Every point's calls alternate within a round (interleaved), so load from other jobs spreads over all points.
		const works = await Promise.all(lengths.map(p => syntheticWorkload(judge, {count: 8, promptTokens: p, inputTokens: 10, targetTokens: 8, segments: p / 8})));
		const times = await interleaved(works.flatMap(w => [() => judge.score(w.segments, w.examples), () => judge.attribute(w.segments, w.examples)]), reps);
		for (const [i, p] of lengths.entries()) {
			const counts = await tokenCounts(judge, works[i]!.segments, works[i]!.examples);
			const [ts, ta] = [times[2 * i]!, times[2 * i + 1]!];
			byLength.rows.push([p, p / 8, fmt(mean(counts.context) + mean(counts.target), 1), fmt(ts, 1), fmt(ta, 1), fmt(ta / ts, 2)]);
			process.stderr.write(`scale: prompt ${p} tokens: score ${ts.toFixed(1)} ms, attribute ${ta.toFixed(1)} ms\n`);
		}
		tables.push({heading: 'Against prompt length (8 examples, 8 prompt tokens per segment, 10-token inputs, 8-token targets)', table: byLength});

		// 2. Segments at a fixed prompt length.
		const fixed = Math.min(128, longest);
		const ks = quick ? [2, 32, fixed] : [1, 2, 8, 32, 64, fixed];
		const bySegments: Table = {columns: ['segments', 'prompt tokens', 'attribute ms'], rows: []};
		const byK = await Promise.all(ks.map(K => syntheticWorkload(judge, {count: 8, promptTokens: fixed, inputTokens: 10, targetTokens: 8, segments: K})));
		const kTimes = await interleaved(byK.map(w => () => judge.attribute(w.segments, w.examples)), reps);
		ks.forEach((K, i) => bySegments.rows.push([K, fixed, fmt(kTimes[i]!, 1)]));
		tables.push({heading: `Against segments (8 examples, ${fixed}-token prompt)`, table: bySegments});
	} finally {
		await pool.close();
	}

	// 3. Examples per call: time and peak memory, one child process per point.
	const sizes = quick ? [1, 8, 32] : [1, 2, 4, 8, 16, 32, 64, 128];
	const byBatch: Table = {
		columns: ['examples', 'score ms', 'score ms / example', 'attribute ms', 'attribute ms / example', 'peak RSS MiB (score / attribute)', 'RSS growth MiB (score / attribute)', 'peak main heap MiB (score / attribute)'],
		rows: [],
	};
	for (const n of sizes) {
		const shape = {count: n, promptTokens: 64, inputTokens: 10, targetTokens: 8, segments: 8};
		const s = inChild({dir: bench.dir, op: 'score', shape, reps});
		const a = inChild({dir: bench.dir, op: 'attribute', shape, reps});
		byBatch.rows.push([n, fmt(s.ms, 1), fmt(s.ms / n, 2), fmt(a.ms, 1), fmt(a.ms / n, 2), `${fmt(s.peakRssMiB, 0)} / ${fmt(a.peakRssMiB, 0)}`, `${fmt(s.peakRssMiB - s.baseRssMiB, 0)} / ${fmt(a.peakRssMiB - a.baseRssMiB, 0)}`, `${fmt(s.peakHeapMiB, 1)} / ${fmt(a.peakHeapMiB, 1)}`]);
		process.stderr.write(`scale: ${n} examples: score ${s.ms.toFixed(1)} ms, attribute ${a.ms.toFixed(1)} ms, peak RSS ${s.peakRssMiB.toFixed(0)} / ${a.peakRssMiB.toFixed(0)} MiB\n`);
	}
	tables.push({heading: 'Against examples per call (64-token prompt, 8 segments; each point in a fresh child process)', table: byBatch});

	const first = byBatch.rows[0]!;
	const last = byBatch.rows.at(-1)!;
	report('scale', 'Scale: time and memory against prompt length, segments and examples', tables, {
		judge: bench.label,
		score_ms_per_example: [Number(first[2]), Number(last[2])],
		attribute_ms_per_example: [Number(first[4]), Number(last[4])],
		examples: [sizes[0], sizes.at(-1)],
	}, {
		quick,
		notes: [
			`Judge: ${bench.label}; default pool (2 workers x 1 intra-op thread); median of ${reps} runs after a warm-up (the first two tables: every point's calls alternate within each round). Batches are cut at 16 examples or 4,096 tokens, so batches of examples run two at a time, one per worker. Scoring runs the tokens all examples share (BOS, template, prompt) once and the rest of each example after them; attribution runs every example in full (the gradient flows into the prompt).`,
			'Peak RSS is the kernel\'s high-water mark of the child process (main thread, workers, onnxruntime arenas); RSS growth is above the same process after opening the judge and running one example. The heap is the main thread\'s V8 heap (the workers\' heaps are in RSS).',
			loadNote(),
		],
	});
}
