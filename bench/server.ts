/**
 * `npm run bench -- server`: a judge on an inference server, against loopback servers.
 *
 * - Fidelity: the loopback server of test/judges/judge-server.ts (vLLM's and SGLang's protocols, log-probabilities
 *   from the bundled judge's model) against the same judge run locally, on a round of the uppercase demo: 12
 *   candidates x 8 examples, and deletion leave-one-out.
 * - What a round costs a server: sequences, requests and prompt tokens, as the loopback server received them.
 * - Client overhead per sequence: the bench process's CPU time (render, tokenise, JSON, HTTP) while a stand-in server
 *   in another process (bench/server-fake.ts) answers at once.
 * - Throughput against concurrency: the stand-in server with a fixed service time per request (a GPU server with
 *   room in its batch: latency, no compute bound). The loopback ONNX server is left out here: it computes
 *   log-softmax in JavaScript on the bench's own thread, so its speed says nothing about a real engine's.
 */
import {spawn} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {segmentPrompt} from '../source/core/segment.js';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {loadServerJudge, ServerJudge} from '../source/judges/server-judge.js';
import {loadTask} from '../source/tasks/load-task.js';
import {startJudgeServer, type JudgeServer} from '../test/judges/judge-server.js';
import {MIRRORED, mirroredDir, writeServerJudge} from '../test/judges/server-fixtures.js';
import {interleaved} from './judge-fixtures.js';
import {fmt, median, report, timeIt, type Table} from './report.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SERVICE_MS = 25;

/** The uppercase demo's prompt, 8 training examples, and 12 candidate prompts (segments deleted or swapped). */
function workload() {
	const task = loadTask(path.join(ROOT, 'examples', 'uppercase.yaml'));
	const segments = segmentPrompt(task.prompt, task.segmentation).map(s => s.text);
	const examples = task.data.train.slice(0, 8).map(e => ({input: e.input, target: e.target!}));
	const candidates = [
		...segments.map((_, k) => segments.filter((__, i) => i !== k)),
		...[0, 1, 2, 3, 4].map(k => segments.map((s, i) => (i === k ? segments[k + 1]! : i === k + 1 ? segments[k]! : s))),
	].slice(0, 12);
	return {segments, examples, candidates};
}

/** The stand-in server in its own process. */
async function startFake(serviceMs: number): Promise<{url: string; stop(): void}> {
	const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'server-fake.ts'), String(serviceMs)], {cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit']});
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout!.once('data', chunk => resolve(Number(String(chunk).trim())));
		child.once('exit', code => reject(new Error(`the stand-in server exited (${code})`)));
	});
	return {url: `http://127.0.0.1:${port}`, stop: () => (child.stdin!.end(), child.kill())};
}

/** A server judge on `url` without the opening checks (the stand-in server has no tokenizer). */
async function judgeOn(url: string, fields: {batchSize: number; concurrency: number; engine?: 'vllm' | 'sglang'; model?: string}): Promise<ServerJudge> {
	return new ServerJudge(await loadServerJudge(writeServerJudge({url, engine: fields.engine ?? 'vllm', model: fields.model ?? 'fake', batchSize: fields.batchSize, concurrency: fields.concurrency})));
}

const cpuMs = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};

export async function run(quick: boolean): Promise<void> {
	const reps = quick ? 3 : 9;
	const {segments, examples, candidates} = workload();
	const perRound = candidates.length * examples.length;
	const pool = new OrtPool();
	let loopback: JudgeServer | undefined;
	const tables: {heading?: string; table: Table}[] = [];
	const result: Record<string, unknown> = {};
	try {
		loopback = await startJudgeServer({judgeDir: mirroredDir(), pool});
		const local = await OnnxJudge.open(mirroredDir(), {pool});

		// Fidelity, both protocols.
		const fidelity: Table = {columns: ['engine protocol', 'sequences compared', 'max |L server - L local|', 'max |LOO server - LOO local|'], rows: []};
		const expected = await Promise.all(candidates.map(c => local.score(c, examples)));
		const base = await local.score(segments, examples);
		const without = await Promise.all(segments.map((_, k) => local.score(segments.map((s, i) => (i === k ? '' : s)), examples)));
		let maxDiff = 0;
		for (const engine of ['vllm', 'sglang'] as const) {
			const judge = await ServerJudge.open(writeServerJudge({url: loopback.url, engine}));
			const got = await Promise.all(judge.scoreMany(candidates, examples));
			const loss = Math.max(...got.flatMap((r, c) => r.losses.map((l, e) => Math.abs(l - expected[c]!.losses[e]!))));
			const loo = await judge.attributeLeaveOneOut(segments, examples);
			const importance = Math.max(...loo.importance.flatMap((row, e) => row.map((v, k) => Math.abs(v - (without[k]!.losses[e]! - base.losses[e]!)))));
			maxDiff = Math.max(maxDiff, loss, importance);
			fidelity.rows.push([engine, perRound + (segments.length + 1) * examples.length, loss.toExponential(1), importance.toExponential(1)]);
		}
		result.max_loss_diff = Number(maxDiff.toExponential(2));
		tables.push({heading: `Fidelity: a server judge (loopback server, ${MIRRORED}'s model) against the same judge run locally`, table: fidelity});

		// What a round costs: counted as the loopback server received it.
		const cost: Table = {columns: ['phase of a round', 'sequences', 'requests (batchSize 8)', 'prompt tokens sent', 'tokens per sequence'], rows: []};
		const judge = await ServerJudge.open(writeServerJudge({url: loopback.url}));
		const counted = async (label: string, work: () => Promise<unknown>) => {
			const from = loopback!.scoringRequests().length;
			await work();
			const requests = loopback!.scoringRequests().slice(from);
			const sequences = requests.flatMap(r => r.body!.prompt as number[][]);
			const tokens = sequences.reduce((s, ids) => s + ids.length, 0);
			cost.rows.push([label, sequences.length, requests.length, tokens, fmt(tokens / sequences.length, 1)]);
			return {sequences: sequences.length, requests: requests.length, tokens};
		};
		const attribution = await counted(`attribution: deletion leave-one-out, K+1 = ${segments.length + 1} prompts x ${examples.length} examples`, () => judge.attributeLeaveOneOut(segments, examples));
		const scoring = await counted(`scoring: ${candidates.length} candidates x ${examples.length} examples`, () => Promise.all(judge.scoreMany(candidates, examples)));
		cost.rows.push(['round', attribution.sequences + scoring.sequences, attribution.requests + scoring.requests, attribution.tokens + scoring.tokens, fmt((attribution.tokens + scoring.tokens) / (attribution.sequences + scoring.sequences), 1)]);
		result.round_requests = attribution.requests + scoring.requests;
		result.round_prompt_tokens = attribution.tokens + scoring.tokens;
		tables.push({heading: `What a round of the uppercase demo costs a server judge (${segments.length} segments, 8 examples, 12 candidates; vLLM protocol, each sequence also generates 1 token)`, table: cost});

		// Client overhead: the stand-in server answers at once, in another process.
		const instant = await startFake(0);
		try {
			const client = await judgeOn(instant.url, {batchSize: 8, concurrency: 8});
			const times: {cpu: number; wall: number}[] = [];
			for (let i = 0; i < reps + 1; i++) {
				const cpu0 = cpuMs();
				const t0 = performance.now();
				await Promise.all(client.scoreMany(candidates, examples));
				if (i > 0) times.push({cpu: cpuMs() - cpu0, wall: performance.now() - t0});
			}
			const encodeMs = await timeIt(() => Promise.all(candidates.map(c => client.encode(c, examples))), reps);
			const cpu = median(times.map(t => t.cpu)) / perRound;
			result.client_overhead_ms = Number(cpu.toFixed(3));
			tables.push({
				heading: `Client overhead per sequence (${perRound} sequences a round, batchSize 8, concurrency 8, a stand-in server answering at once in another process)`,
				table: {
					columns: ['measure', 'ms per sequence'],
					rows: [
						['client CPU time (render, tokenise, JSON, HTTP)', cpu.toFixed(3)],
						['of which rendering and tokenising (wall, one thread)', (encodeMs / perRound).toFixed(3)],
						['wall time, client and stand-in server together', (median(times.map(t => t.wall)) / perRound).toFixed(3)],
					],
				},
			});
		} finally {
			instant.stop();
		}

		// Throughput against concurrency.
		const throughput: Table = {columns: ['server', 'concurrency', 'sequences/s', 'x concurrency 1', 'ceiling: service time alone (sequences/s)'], rows: []};
		const requests = perRound / 4;
		const slow = await startFake(SERVICE_MS);
		const levels = [1, 2, 4, 8, 16];
		try {
			const clients = await Promise.all(levels.map(concurrency => judgeOn(slow.url, {batchSize: 4, concurrency})));
			// The levels alternate within each repetition, so load from other jobs falls on all of them alike.
			const times = await interleaved(clients.map(client => () => Promise.all(client.scoreMany(candidates, examples))), quick ? 3 : 15);
			const rates = times.map(ms => perRound / (ms / 1000));
			// With no client cost, ceil(requests / concurrency) waves of one service time each.
			const ceiling = (c: number) => perRound / ((Math.ceil(requests / c) * SERVICE_MS) / 1000);
			levels.forEach((concurrency, i) => throughput.rows.push([`stand-in, ${SERVICE_MS} ms per request`, concurrency, fmt(rates[i]!, 0), fmt(rates[i]! / rates[0]!, 2), fmt(ceiling(concurrency), 0)]));
			result.throughput_x_at_8 = Number((rates[levels.indexOf(8)]! / rates[0]!).toFixed(2));
		} finally {
			slow.stop();
		}
		tables.push({heading: `Throughput against concurrency (${perRound} sequences, batchSize 4: ${requests} requests)`, table: throughput});
	} finally {
		await loopback?.close();
		await pool.close();
	}
	const load = os.loadavg().map(x => x.toFixed(2)).join(', ');
	report('server', 'Judges on an inference server', tables, result, {
		quick,
		notes: [
			`The stand-in server's fixed service time models a GPU server whose batch has room for every request: the gap to the ceiling is the client's CPU (shared here with other jobs) and the loopback HTTP stack. Fidelity and cost come from the loopback ONNX server, whose log-softmax runs in JavaScript on the bench's thread, so it is not timed. Medians of ${reps} runs after a warm-up (throughput: 15, the concurrency levels alternating). Load average at the end: ${load} (1, 5, 15 min) on ${os.availableParallelism()} cores.`,
		],
	});
}
