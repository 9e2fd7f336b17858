/**
 * `npm run bench -- scoring`: judge scoring against what a user would use instead, on the same examples and
 * batches: transformers.js loading the same folder (full logits, loss in JavaScript) and a bare onnxruntime forward
 * of the same model.onnx (to logits, no loss). Two models: the main judge (bundled when present) and a Llama-style
 * model with a 32,000-token vocabulary, where the LM head dominates a plain forward's FLOPs and the judge graph
 * computes it only at the target positions. Model FLOP utilisation (MFU) counts the FLOPs each runner's result
 * needs (see forwardFlops) against the machine's fp32 matmul ceiling.
 */
import {DEFAULT_LIMITS, makeBatches} from '../source/judges/batching.js';
import {judgeGraphs} from '../source/judges/graph-cache.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {sharedPrefixLength} from '../source/judges/prefix-cache.js';
import {CEILING_FLOPS, forwardFlops, interleaved, llama32k, loadNote, mainJudge, modelDims, syntheticWorkload, type BenchJudge} from './judge-fixtures.js';
import {fmt, report, type Table} from './report.js';
import {bareForward, transformersJsScorer} from './transformersjs-fixtures.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

type Measured = {label: string; judgeMs: number; tjsMs: number; bareMs: number; maxDiff: number; sameIds: boolean; tokens: number; context: number; target: number; shared: number; mfu: {judge: number; judgeEffective: number; tjs: number; bare: number}};

async function measure(bench: BenchJudge, pool: OrtPool, reps: number): Promise<Measured> {
	const judge = await OnnxJudge.open(bench.dir, {pool});
	const {segments, examples} = await syntheticWorkload(judge, {count: 32, promptTokens: 52, inputTokens: 10, targetTokens: 8, segments: 8});
	const encoded = await judge.encode(segments, examples);
	// The judge's own length-bucketed batches, used by all three runners.
	const batches = makeBatches(encoded, DEFAULT_LIMITS);
	const tjs = await transformersJsScorer(judge, segments, examples, encoded, batches);
	const bare = await bareForward(judge, encoded, batches);
	try {
		const judgeLosses = (await judge.score(segments, examples)).losses;
		const tjsLosses = await tjs.score();
		const maxDiff = Math.max(...judgeLosses.map((l, i) => Math.abs(l - tjsLosses[i]!)));
		const [judgeMs, tjsMs, bareMs] = await interleaved([() => judge.score(segments, examples), tjs.score, bare.forward], reps, 1);
		const lengths = encoded.map(e => e.ids.length);
		const targets = encoded.map(e => e.ids.length - e.contextLength);
		const dims = modelDims(bench.dir);
		const tokens = sum(lengths);
		// The judge's result needs the head at the target positions only; a plain forward computes it everywhere.
		// The judge runs the shared prefix once (executed FLOPs); "effective" counts every token as a plain forward would.
		const padTokenId = judge.folder.specialTokens.pad_token ? judge.folder.tokenizer.tokenId(judge.folder.specialTokens.pad_token) : undefined;
		const shared = (await judgeGraphs(judge.folder.modelPath, {baseline: judge.folder.config.attribution.baseline, padTokenId})).presentOutputs.length > 0 ? sharedPrefixLength(encoded) : 0;
		const judgeFlops = forwardFlops(dims, lengths, sum(targets), shared);
		const effectiveFlops = forwardFlops(dims, lengths, sum(targets));
		const fullFlops = forwardFlops(dims, lengths, tokens);
		const mfu = (flops: number, ms: number) => flops / (ms / 1000) / CEILING_FLOPS;
		process.stderr.write(`scoring: ${bench.label}: judge ${judgeMs!.toFixed(1)} ms, transformers.js ${tjsMs!.toFixed(1)} ms, bare ${bareMs!.toFixed(1)} ms, max |dL| ${maxDiff.toExponential(1)}\n`);
		return {
			label: bench.label,
			judgeMs: judgeMs!,
			tjsMs: tjsMs!,
			bareMs: bareMs!,
			maxDiff,
			sameIds: tjs.sameIds(),
			tokens,
			context: sum(encoded.map(e => e.contextLength)) / encoded.length,
			target: sum(targets) / encoded.length,
			shared,
			mfu: {judge: mfu(judgeFlops, judgeMs!), judgeEffective: mfu(effectiveFlops, judgeMs!), tjs: mfu(fullFlops, tjsMs!), bare: mfu(fullFlops, bareMs!)},
		};
	} finally {
		await tjs.close();
		await bare.release();
	}
}

export async function run(quick: boolean): Promise<void> {
	const reps = quick ? 3 : 11;
	const pool = new OrtPool();
	let results: Measured[];
	try {
		results = [await measure(mainJudge(), pool, reps), await measure(llama32k(), pool, reps)];
	} finally {
		await pool.close();
	}
	const [small, big] = results as [Measured, Measured];
	const table: Table = {columns: ['model', 'runner', 'ms per 32 examples', 'tokens/s', 'judge speedup', 'MFU (executed FLOPs)', 'effective MFU (plain-forward FLOPs, head at targets)'], rows: []};
	for (const r of results) {
		const tps = (ms: number) => fmt(r.tokens / (ms / 1000), 0);
		const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
		table.rows.push([r.label, `OnnxJudge.score (default pool: 2 workers x 1 thread; ${r.shared}-token shared prefix run once)`, fmt(r.judgeMs, 1), tps(r.judgeMs), '1.00', pct(r.mfu.judge), pct(r.mfu.judgeEffective)]);
		table.rows.push([r.label, 'transformers.js (logits, loss in JS; its default threads)', fmt(r.tjsMs, 1), tps(r.tjsMs), fmt(r.tjsMs / r.judgeMs, 2), pct(r.mfu.tjs), pct(r.mfu.tjs)]);
		table.rows.push([r.label, 'bare onnxruntime forward to logits (2 threads, no loss)', fmt(r.bareMs, 1), tps(r.bareMs), fmt(r.bareMs / r.judgeMs, 2), pct(r.mfu.bare), pct(r.mfu.bare)]);
	}
	const agree: Table = {
		columns: ['model', 'max |judge loss - transformers.js loss|', 'within 1e-4', 'transformers.js tokenisation = judge ids'],
		rows: results.map(r => [r.label, r.maxDiff.toExponential(2), r.maxDiff <= 1e-4 ? 'yes' : 'NO', r.sameIds ? 'yes' : 'NO']),
	};
	report(
		'scoring',
		'Scoring: judge vs transformers.js vs bare onnxruntime',
		[
			{heading: `Throughput on the same 32 examples and batches (${small.context.toFixed(1)} context + ${small.target.toFixed(1)} target tokens per example on the main judge, ${big.context.toFixed(1)} + ${big.target.toFixed(1)} on the 32k model)`, table},
			{heading: 'Same losses', table: agree},
		],
		{
			vs_transformersjs: Number((big.tjsMs / big.judgeMs).toFixed(3)),
			vs_transformersjs_small: Number((small.tjsMs / small.judgeMs).toFixed(3)),
			vs_bare_ort: Number((big.bareMs / big.judgeMs).toFixed(3)),
			mfu: Number(big.mfu.judge.toFixed(4)),
			mfu_effective: Number(big.mfu.judgeEffective.toFixed(4)),
			max_loss_diff: Number(Math.max(big.maxDiff, small.maxDiff).toExponential(2)),
			small_model: small.label,
		},
		{
			quick,
			notes: [
				`"judge speedup" = runner time / judge time (above 1: the judge is faster). Median of ${reps} interleaved rounds after a warm-up. Goal: >= 2x transformers.js on the 32k model with losses within 1e-4.`,
				`MFU = FLOPs / time / ${CEILING_FLOPS / 1e9} GFLOP/s (onnxruntime-node fp32 matmul on both cores). FLOPs: 2 x body parameters per real token, causal attention, and the head (2 x d x V) at the target positions for the judge, at every position for the plain forwards; padding not counted. "Executed" counts the judge's shared prefix once (what it computes); "effective" counts every example in full (what a plain forward with a target-only head would compute), so it can exceed what the hardware does.`,
				'The judge computes the LM head only at target positions (judge graph surgery) and the tokens all examples share (BOS, template, prompt) once, feeding their keys and values as past_key_values (source/judges/prefix-cache.ts); transformers.js and the bare forward compute logits at every position of every example, as the model is exported.',
				loadNote(),
			],
		},
	);
}
