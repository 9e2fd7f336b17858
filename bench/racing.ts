/**
 * `npm run bench -- racing`: what a round costs and what it reaches, for
 * - racing: gradient attribution and racing candidate scoring (the task default: first rung 1, 2 survivors),
 * - racing, first rung 2 (a gentler schedule),
 * - full: gradient attribution, every candidate scored on the whole batch,
 * - PMPO-style: leave-one-out attribution and full scoring (the predecessor method's round),
 * on the demo tasks over seeds: judge passes and seconds per round, and the test loss after R rounds (the held-out
 * judge's, and the mean of the selection judges'). Judge passes are full-batch equivalents, as the budget counts
 * them: a pass over n of the batch's B examples counts n/B.
 *
 * It also measures whether candidates that share a prefix with the current prompt would gain from reusing its key/value
 * cache (OnnxJudge.score already runs each call's shared prefix once): the prefix run's share of a scoring call,
 * times the share of that prefix a candidate has in common with the current prompt.
 */
import {readFileSync} from 'node:fs';
import type {RacingSettings} from '../source/core/racing.js';
import {mean} from '../source/core/stats.js';
import type {Task} from '../source/core/task.js';
import type {Candidate} from '../source/core/types.js';
import {evaluatePrompt} from '../source/engine/evaluate.js';
import {DEFAULT_LIMITS, makeBatches, batchFeeds} from '../source/judges/batching.js';
import {judgeGraphs} from '../source/judges/graph-cache.js';
import {openJudges} from '../source/judges/judge-set.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {prefixFeeds, sharedPrefixLength, suffixExamples, withPrefix} from '../source/judges/prefix-cache.js';
import type {Judge, JudgeExample} from '../source/judges/types.js';
import type {Tensor} from '../source/onnx/ir.js';
import {createSession, fromIr, run as ortRun, toIr} from '../source/onnx/ort.js';
import {loadTask} from '../source/tasks/load-task.js';
import {loadNote} from './judge-fixtures.js';
import {interval95, ms, optimise, round3, type RunOutcome} from './method-helpers.js';
import {fmt, report, type Table} from './report.js';

const TASKS = ['uppercase', 'arithmetic', 'json-format', 'sentiment'];

type Arm = {name: string; attribution: 'auto' | 'loo'; racing: RacingSettings};
type Outcome = {run: RunOutcome; held: number; selection: number};

const ARMS = (task: Task): Arm[] => [
	{name: 'racing', attribution: 'auto', racing: {...task.racing, enabled: true}},
	{name: 'racing, first rung 2', attribution: 'auto', racing: {...task.racing, enabled: true, firstRung: 2}},
	{name: 'full', attribution: 'auto', racing: {...task.racing, enabled: false}},
	{name: 'PMPO-style', attribution: 'loo', racing: {...task.racing, enabled: false}},
];

export async function run(quick: boolean): Promise<void> {
	const set = await openJudges(undefined);
	const held = set.judges.find(j => j.info.heldout);
	const selecting = set.judges.filter(j => !j.info.heldout);
	if (!held || selecting.length < 2) {
		process.stdout.write('racing: needs two selection judges and one held-out judge in models/ (npm run build:judges)\n');
		await set.close();
		return;
	}
	const tasks = quick ? TASKS.slice(0, 1) : TASKS;
	const seeds = quick ? [1, 2] : [1, 2, 3, 4, 5];
	const rounds = quick ? 2 : 3;
	const started = performance.now();
	const results = new Map<string, Map<string, Outcome[]>>();
	const pairs: {current: string[]; candidate: string[]}[] = [];
	let batchSize = 0;
	try {
		// Warm-up, untimed: the first runs of a process open the judges' sessions in the workers.
		const warm = loadTask(`examples/${tasks[0]}.yaml`);
		for (const arm of ARMS(warm)) await optimise(warm, set.judges, {rounds: 1, attribution: arm.attribution, racing: arm.racing});
		for (const name of tasks) {
			const base = loadTask(`examples/${name}.yaml`);
			batchSize = base.batchSize;
			const byArm = new Map<string, Outcome[]>();
			results.set(name, byArm);
			for (const seed of seeds) {
				const task = {...base, seed};
				for (const arm of ARMS(task)) {
					const collect = arm.name === 'racing' ? (current: string[], c: Candidate) => pairs.push({current, candidate: c.segments.map(s => s.text)}) : undefined;
					const outcome = await optimise(task, set.judges, {rounds, attribution: arm.attribution, racing: arm.racing, onCandidate: collect});
					const ev = await evaluatePrompt({task, judges: set.judges, segments: outcome.final});
					const loss = (j: Judge) => ev.find(e => e.judge === j.info.name)!.loss;
					const list = byArm.get(arm.name) ?? [];
					list.push({run: outcome, held: loss(held), selection: mean(selecting.map(loss))});
					byArm.set(arm.name, list);
				}
				process.stderr.write(`racing: ${name} seed ${seed} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
			}
		}
	} finally {
		await set.close();
	}
	const cache = await prefixCacheBound(pairs, quick);

	const arms = ARMS(loadTask(`examples/${TASKS[0]}.yaml`)).map(a => a.name);
	const heldName = held.info.name;
	const perRound = (o: Outcome) => o.run.passes / o.run.rounds;
	const secondsPerRound = (o: Outcome) => o.run.seconds / o.run.rounds;
	const table: Table = {columns: ['task', ...arms.flatMap(a => [`${a}: passes/round`, `${a}: s/round`, `${a}: ${heldName} test loss`, `${a}: selection test loss`])], rows: []};
	const all = (arm: string) => [...results.values()].flatMap(m => m.get(arm)!);
	for (const [name, byArm] of results) {
		table.rows.push([name, ...arms.flatMap(a => {
			const xs = byArm.get(a)!;
			return [ms(xs.map(perRound), 1), ms(xs.map(secondsPerRound), 2), ms(xs.map(o => o.held)), ms(xs.map(o => o.selection))];
		})]);
	}
	table.rows.push(['all', ...arms.flatMap(a => {
		const xs = all(a);
		return [fmt(mean(xs.map(perRound)), 1), fmt(mean(xs.map(secondsPerRound))), fmt(mean(xs.map(o => o.held)), 3), fmt(mean(xs.map(o => o.selection)), 3)];
	})]);
	// Paired by task and seed: racing minus PMPO-style held-out test loss (> 0: racing ends worse).
	const paired = (arm: string, f: (o: Outcome) => number) => [...results.values()].flatMap(m => m.get(arm)!.map((o, i) => f(o) - f(m.get('PMPO-style')![i]!)));
	const deltaTable: Table = {columns: ['arm', 'passes/round vs PMPO-style', 's/round vs PMPO-style', `${heldName} test loss minus PMPO-style (mean, 95% CI over task x seed pairs)`, 'selection test loss minus PMPO-style (mean, 95% CI)', 'seed sd of PMPO-style held-out loss (mean over tasks)'], rows: []};
	const pmpoSpread = mean([...results.values()].map(m => sdOf(m.get('PMPO-style')!.map(o => o.held))));
	for (const a of arms.filter(x => x !== 'PMPO-style')) {
		const heldDelta = interval95(paired(a, o => o.held));
		const selDelta = interval95(paired(a, o => o.selection));
		deltaTable.rows.push([
			a,
			`${fmt(mean(all('PMPO-style').map(perRound)) / mean(all(a).map(perRound)))}x fewer`,
			`${fmt(mean(all('PMPO-style').map(secondsPerRound)) / mean(all(a).map(secondsPerRound)))}x faster`,
			`${fmt(heldDelta.mean, 3)} [${fmt(heldDelta.low, 3)}, ${fmt(heldDelta.high, 3)}]`,
			`${fmt(selDelta.mean, 3)} [${fmt(selDelta.low, 3)}, ${fmt(selDelta.high, 3)}]`,
			fmt(pmpoSpread, 3),
		]);
	}
	const cacheTable: Table = {
		columns: ['rows in the call', 'prefix run ms', 'rest of the call ms', 'prefix share of the call', 'upper bound of the saving (prefix share x shared fraction)'],
		rows: cache.rows.map(r => [r.rows, fmt(r.prefixMs), fmt(r.restMs), fmt(r.share, 3), fmt(r.share * cache.sharedFraction, 3)]),
	};
	const racingDelta = interval95(paired('racing', o => o.held));
	const seconds = (performance.now() - started) / 1000;
	report('racing', 'Racing candidate scoring: judge passes, seconds and final loss per round against full scoring and PMPO-style rounds', [
		{heading: `Per task over seeds ${seeds.join(', ')} (mean ± sd), ${rounds} rounds, 12 offline candidates, batch of ${batchSize}; selection judges ${selecting.map(j => j.info.name).join(' + ')}, held-out ${heldName}`, table},
		{heading: 'Against PMPO-style rounds', table: deltaTable},
		{heading: `Would a cross-candidate key/value cache pay? (${cache.judge}; ${cache.pairs} racing candidates of round 1 to ${rounds}: on average ${fmt(cache.sharedFraction * 100, 1)}% of a candidate's shared prefix is also the current prompt's)`, table: cacheTable},
	], {
		racing_pass_ratio_vs_pmpo: round3(mean(all('PMPO-style').map(perRound)) / mean(all('racing').map(perRound))),
		racing_final_loss_delta: round3(racingDelta.mean),
		racing_final_loss_delta_ci95: [round3(racingDelta.low), round3(racingDelta.high)],
		pmpo_seed_sd: round3(pmpoSpread),
		racing2_pass_ratio_vs_pmpo: round3(mean(all('PMPO-style').map(perRound)) / mean(all('racing, first rung 2').map(perRound))),
		racing2_final_loss_delta: round3(interval95(paired('racing, first rung 2', o => o.held)).mean),
		full_pass_ratio_vs_pmpo: round3(mean(all('PMPO-style').map(perRound)) / mean(all('full').map(perRound))),
		racing_seconds_ratio_vs_pmpo: round3(mean(all('PMPO-style').map(secondsPerRound)) / mean(all('racing').map(secondsPerRound))),
		cross_candidate_cache_saving_bound: round3(Math.max(...cache.rows.map(r => r.share)) * cache.sharedFraction),
		rounds,
		seeds: seeds.length,
		seconds: Math.round(seconds),
	}, {
		quick,
		notes: [
			`racing_final_loss_delta: racing minus PMPO-style ${heldName} test loss (nats/token), paired by task and seed; "equal final loss" holds when its interval contains 0 or its size is within the seed sd of PMPO-style. Passes count attribution (gradient at m = 0.5: a forward+backward and a forward per judge; leave-one-out: K+1 forwards), the held-out judge's score of the current prompt, and candidate scoring; the test split is scored after the run, outside the count.`,
			`Cache: the prefix run is the one-row run of BOS, template and prompt that OnnxJudge.score makes per call (bare onnxruntime on the main thread, 1 thread, fastest of ${quick ? 5 : 15}); a cross-candidate cache could skip only the part of it before the candidate's first edit. The bound takes the largest prefix share (the smallest call) for every call.`,
			`Total ${seconds.toFixed(0)} s. ${loadNote()}`,
		],
	});
}

function sdOf(xs: readonly number[]): number {
	const m = mean(xs);
	return xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
}

/** Tokens two id lists share from the start. */
function commonPrefix(a: readonly number[], b: readonly number[]): number {
	let i = 0;
	while (i < a.length && i < b.length && a[i] === b[i]) i++;
	return i;
}

/**
 * The prefix run's share of a scoring call by its rows (bare onnxruntime, the judge's own graph), and the fraction
 * of a candidate's prefix it shares with the current prompt.
 */
async function prefixCacheBound(pairs: readonly {current: string[]; candidate: string[]}[], quick: boolean) {
	const {OrtPool} = await import('../source/judges/pool.js');
	const pool = new OrtPool();
	const {bundledModelsDir} = await import('../source/judges/judge-set.js');
	const dir = `${bundledModelsDir()}/llama-a`;
	const judge = await OnnxJudge.open(dir, {pool});
	const task = loadTask('examples/uppercase.yaml');
	const examples: JudgeExample[] = task.data.train.slice(0, 8).map(e => ({input: e.input, target: e.target!}));
	const fractions: number[] = [];
	for (const p of pairs) {
		const [cur, cand] = await Promise.all([judge.encode(p.current, examples.slice(0, 2)), judge.encode(p.candidate, examples.slice(0, 2))]);
		const prefix = sharedPrefixLength(cand);
		if (prefix > 0) fractions.push(Math.min(prefix, commonPrefix(cur[0]!.ids, cand[0]!.ids)) / prefix);
	}
	const folder = judge.folder;
	const padTokenId = folder.specialTokens.pad_token ? folder.tokenizer.tokenId(folder.specialTokens.pad_token) : undefined;
	const graphs = await judgeGraphs(folder.modelPath, {baseline: folder.config.attribution.baseline, padTokenId});
	const session = await createSession(readFileSync(graphs.graphPath), {threads: 1, externalDataDir: graphs.dataDir});
	const info = graphs.info;
	const branch: Record<string, Tensor> = graphs.attribution.available ? {want_grad: {dtype: 'bool', dims: [], data: Uint8Array.of(0)}} : {};
	const ortFeeds = (f: Record<string, Tensor>) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, fromIr(t)]));
	const segments = [task.prompt];
	const rows = [];
	for (const r of [1, 2, 4, 8]) {
		const encoded = await judge.encode(segments, examples.slice(0, r));
		// One row has no "shared" prefix of its own: take the prompt's, as a cache would.
		const shared = sharedPrefixLength(await judge.encode(segments, examples.slice(0, 2)));
		const first = ortFeeds({...prefixFeeds(encoded[0]!.ids.slice(0, shared), info), ...branch});
		const rest = suffixExamples(encoded, shared);
		const batches = makeBatches(rest, DEFAULT_LIMITS).map(m => batchFeeds(rest, m, {...info, targetPositions: true}));
		const out = await ortRun(session, first, graphs.presentOutputs);
		const present = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, toIr(t)]));
		const restFeeds = batches.map(b => ortFeeds({...withPrefix({...b.feeds, segment_mask: {dtype: info.floatType, dims: [b.members.length, 1], data: new Float32Array(b.members.length).fill(1)}}, present, shared, info), ...branch}));
		const prefixTimes: number[] = [];
		const restTimes: number[] = [];
		for (let i = 0; i < (quick ? 5 : 15) + 2; i++) {
			const t0 = performance.now();
			await ortRun(session, first, graphs.presentOutputs);
			const t1 = performance.now();
			for (const f of restFeeds) await ortRun(session, f, ['loss']);
			const t2 = performance.now();
			if (i >= 2) {
				prefixTimes.push(t1 - t0);
				restTimes.push(t2 - t1);
			}
		}
		// The fastest run: on a shared machine the others measure the other jobs as much as the work.
		const prefixMs = Math.min(...prefixTimes);
		const restMs = Math.min(...restTimes);
		rows.push({rows: r, prefixMs, restMs, share: prefixMs / (prefixMs + restMs)});
	}
	await session.release();
	await pool.close();
	return {judge: 'bundled llama-a, the uppercase prompt', pairs: fractions.length, sharedFraction: mean(fractions), rows};
}
