/**
 * Shared pieces of the judge benchmarks (judges, scoring, scale): which judge to measure (a bundled one when
 * models/ has it, else a builder-made random-weight one, always named in the output), synthetic examples of a
 * given token shape, the demo tasks, interleaved timing (other jobs may share the machine: alternating the
 * contenders spreads their load evenly), and the FLOP count behind model FLOP utilisation.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {parse as parseYaml} from 'yaml';
import {segmentPrompt} from '../source/core/segment.js';
import {bundledJudgeNames, bundledModelsDir} from '../source/judges/judge-set.js';
import type {OnnxJudge} from '../source/judges/onnx-judge.js';
import {writeRandomJudge} from '../source/training/random-judge.js';
import type {JudgeExample} from '../source/judges/types.js';
import {median} from './report.js';

/** The machine's fp32 matmul ceiling through onnxruntime-node: ~38 GFLOP/s per core, 2 cores. */
export const CEILING_FLOPS = 76e9;

/** Pause between timed calls (see interleaved). */
const PAUSE_MS = 50;

/** A judge folder to benchmark and how to name it in a table. */
export type BenchJudge = {dir: string; label: string; bundled: boolean};

const temps: string[] = [];
process.once('exit', () => temps.forEach(d => rmSync(d, {recursive: true, force: true})));

/** A temporary folder removed when the process exits. */
export function tempDir(prefix: string): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), `gmpo-${prefix}-`));
	temps.push(dir);
	return dir;
}

/**
 * The bundled judge with the longest context (the benchmarks' longer prompts must fit), the largest model file
 * among those; else a random Llama of the bundled judges' size (d=128, 4 layers).
 */
export function mainJudge(): BenchJudge {
	const names = bundledJudgeNames();
	if (names.length > 0) {
		const file = (n: string, f: string) => path.join(bundledModelsDir(), n, f);
		const size = (n: string) => statSync(file(n, 'model.onnx'), {throwIfNoEntry: false})?.size ?? 0;
		const context = (n: string) => Number((JSON.parse(readFileSync(file(n, 'judge.json'), 'utf8')) as {maxTokens?: number}).maxTokens ?? 0);
		const name = [...names].sort((a, b) => context(b) - context(a) || size(b) - size(a))[0]!;
		return {dir: path.join(bundledModelsDir(), name), label: `bundled ${name}`, bundled: true};
	}
	const dir = writeRandomJudge(path.join(tempDir('judge'), 'llama-d128'), {family: 'llama', hidden: 128, layers: 4, heads: 4, vocabSize: 768, context: 512, name: 'random-llama-d128'});
	return {dir, label: 'random-weight Llama d=128, 4 layers, vocab 768 (no bundled judge yet)', bundled: false};
}

/** The Llama-style model with a 32,000-token vocabulary (random weights: speed does not depend on them). */
export function llama32k(): BenchJudge {
	const dir = writeRandomJudge(path.join(tempDir('judge'), 'llama-32k'), {family: 'llama', hidden: 256, layers: 4, heads: 8, vocabSize: 32000, context: 512, name: 'random-llama-32k'});
	return {dir, label: 'random-weight Llama d=256, 4 layers, 8 heads (4 kv), vocab 32000', bundled: false};
}

/** A demo task from examples/: its prompt cut into segments as the task asks, and its training examples. */
export type DemoTask = {name: string; segments: string[]; examples: JudgeExample[]};

/** Every demo task in examples/. */
export function demoTasks(): DemoTask[] {
	const dir = path.resolve(import.meta.dirname, '..', 'examples');
	return readdirSync(dir)
		.filter(f => f.endsWith('.yaml'))
		.sort()
		.map(f => {
			const task = parseYaml(readFileSync(path.join(dir, f), 'utf8')) as {name: string; prompt: string; segmentation?: {mode?: 'sentences' | 'lines' | 'markers'}; data: {train: JudgeExample[]}};
			const segments = segmentPrompt(task.prompt, {mode: task.segmentation?.mode ?? 'sentences'}).map(s => s.text);
			return {name: task.name, segments, examples: task.data.train.map(e => ({input: String(e.input), target: String(e.target)}))};
		});
}

/** Text the synthetic examples are cut from: the demo tasks' prompts, inputs and targets (words every judge knows). */
function corpus(): {prompts: string; inputs: string[]; targets: string[]} {
	const tasks = demoTasks();
	return {
		prompts: tasks.map(t => t.segments.join('')).join(' '),
		inputs: tasks.flatMap(t => t.examples.map(e => e.input)),
		targets: tasks.flatMap(t => t.examples.map(e => e.target)),
	};
}

/** The first `n` tokens of `text` (cut at a token boundary; repeated when too short). */
async function firstTokens(judge: OnnxJudge, text: string, n: number): Promise<{text: string; ends: number[]}> {
	let source = text;
	for (;;) {
		const t = await judge.folder.tokenizer.encode(source);
		if (t.offsets.length >= n) {
			const ends = t.offsets.slice(0, n).map(o => o[1]);
			return {text: source.slice(0, ends[n - 1]), ends};
		}
		source = `${source} ${text}`;
	}
}

/** Shape of a synthetic workload. */
export type Shape = {count: number; promptTokens: number; inputTokens: number; targetTokens: number; segments: number};

/**
 * `count` examples sharing one prompt of about `promptTokens` tokens cut into `segments` pieces of equal token
 * counts, each with its own input of about `inputTokens` and target of about `targetTokens` tokens (the judge's
 * end-of-text token, when it scores one, counts as a target token). Token counts inside the rendered text can
 * differ by a token or two from the parts': the caller reports the measured ones.
 */
export async function syntheticWorkload(judge: OnnxJudge, shape: Shape): Promise<{segments: string[]; examples: JudgeExample[]}> {
	const text = corpus();
	const prompt = await firstTokens(judge, text.prompts, shape.promptTokens);
	const segments: string[] = [];
	let start = 0;
	for (let k = 1; k <= shape.segments; k++) {
		const end = k === shape.segments ? prompt.text.length : prompt.ends[Math.round((k * shape.promptTokens) / shape.segments) - 1]!;
		segments.push(prompt.text.slice(start, end));
		start = end;
	}
	const framing = judge.folder.framing.suffix?.length ?? 0;
	const examples: JudgeExample[] = [];
	for (let i = 0; i < shape.count; i++) {
		const pick = (xs: string[], offset: number) => xs.slice((i * 7 + offset) % xs.length).concat(xs).join(' ');
		const input = await firstTokens(judge, pick(text.inputs, 0), shape.inputTokens);
		const target = await firstTokens(judge, ` ${pick(text.targets, 3)}`, Math.max(1, shape.targetTokens - framing));
		examples.push({input: input.text, target: target.text.trimStart()});
	}
	return {segments, examples};
}

/** Context and target tokens of each example as the judge encodes them. */
export async function tokenCounts(judge: OnnxJudge, segments: readonly string[], examples: readonly JudgeExample[]): Promise<{context: number[]; target: number[]}> {
	const encoded = await judge.encode(segments, examples);
	return {context: encoded.map(e => e.contextLength), target: encoded.map(e => e.ids.length - e.contextLength)};
}

/**
 * Median milliseconds of each contender over `reps` rounds, the contenders alternating within a round so that
 * load from other jobs falls on all of them alike; `warmup` rounds first. A pause before each timed call lets the
 * previous contender's onnxruntime threads stop spin-waiting (they spin for a while after a parallel run and
 * would otherwise take a core from the next contender).
 */
export async function interleaved(fns: (() => Promise<unknown>)[], reps: number, warmup = 1): Promise<number[]> {
	for (let w = 0; w < warmup; w++) {
		for (const fn of fns) {
			await fn();
		}
	}
	const times = fns.map(() => [] as number[]);
	for (let r = 0; r < reps; r++) {
		for (const [i, fn] of fns.entries()) {
			await sleep(PAUSE_MS);
			const t0 = performance.now();
			await fn();
			times[i]!.push(performance.now() - t0);
		}
	}
	return times.map(median);
}

/** Size of a Llama or GPT-2 judge from its config.json (for FLOP counts). */
export type ModelDims = {hidden: number; layers: number; vocab: number; bodyParams: number};

/** Dimensions from a judge folder's config.json; body parameters = all but the embedding and the head. */
export function modelDims(dir: string): ModelDims {
	const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, number>;
	if ('n_embd' in c) {
		const d = c.n_embd!;
		return {hidden: d, layers: c.n_layer!, vocab: c.vocab_size!, bodyParams: c.n_layer! * 12 * d * d};
	}
	const d = c.hidden_size!;
	const kv = (c.num_key_value_heads! / c.num_attention_heads!) * d;
	return {hidden: d, layers: c.num_hidden_layers!, vocab: c.vocab_size!, bodyParams: c.num_hidden_layers! * (2 * d * d + 2 * d * kv + 3 * d * c.intermediate_size!)};
}

/**
 * Forward FLOPs of examples of the given lengths: 2 x body parameters per token, causal attention (QK^T and AV:
 * 2 x 2 x d per (query, key) pair), and the head (2 x d x V) at `headPositions` positions (the target positions
 * for a judge graph, every position for a plain forward). With `prefix` > 0, the first `prefix` tokens of every
 * example run once (the judge's shared-prefix scoring) and the rest attend to them. Layer norms, softmax and rotary
 * embeddings are left out.
 */
export function forwardFlops(dims: ModelDims, lengths: readonly number[], headPositions: number, prefix = 0): number {
	// (query, key) pairs of n causal tokens after p cached ones.
	const pairs = (n: number, p: number) => n * p + (n * (n + 1)) / 2;
	const flops = 2 * dims.vocab * dims.hidden * headPositions;
	let tokens = prefix;
	let attention = pairs(prefix, 0);
	for (const n of lengths) {
		tokens += n - prefix;
		attention += pairs(n - prefix, prefix);
	}
	return flops + 2 * dims.bodyParams * tokens + 4 * dims.layers * dims.hidden * attention;
}

/** One line about the machine's load (other jobs may be running). */
export function loadNote(): string {
	return `Load average while running: ${os.loadavg().map(x => x.toFixed(2)).join(', ')} (1, 5, 15 min) on ${os.availableParallelism()} cores.`;
}
