/**
 * The training loop of a judge: forward and backward through the ONNX training graph on onnxruntime (one intra-op
 * thread, so a seed always gives the same bytes), AdamW with clipping in TypeScript, a warmup + cosine schedule,
 * progress lines, a held-out curve, and atomic checkpoints that a resumed run continues from exactly.
 */
import {existsSync} from 'node:fs';
import {buildLossGraph} from '../onnx/judge-graph.js';
import {createSession, ortTensor, release, run, type Feeds, type OrtSession} from '../onnx/ort.js';
import {encodeModel} from '../onnx/proto.js';
import type {Tensor} from '../onnx/ir.js';
import {loadCheckpoint, saveCheckpoint} from './checkpoint.js';
import {makeBatch, planBatches, type EncodedExample} from './data.js';
import {AdamW, clipScale, globalNorm, type AdamWOptions} from './optimizer.js';
import {hash32} from './random.js';
import {learningRate} from './schedule.js';
import {batchFeeds, buildModel, buildTrainingGraph, decays, initialWeights, weightShapes, type ModelSpec} from './train-graph.js';

/** Everything that determines a training run's result. */
export type TrainSettings = {
	/** Model family and size. */
	spec: ModelSpec;
	/** Seed of the weight initialisation. */
	initSeed: number;
	/** Seed of the batch order. */
	batchSeed: number;
	/** Number of optimizer steps. */
	steps: number;
	/** Sequences per step. */
	batchSize: number;
	/** Peak learning rate. */
	lr: number;
	/** Warmup steps. */
	warmup: number;
	/** Final learning rate as a fraction of the peak. */
	minLrRatio: number;
	/** Global gradient-norm clip (0: none). */
	clip: number;
	/** Loss weight of context tokens relative to target tokens (see makeBatch). */
	contextWeight: number;
	/** AdamW hyper-parameters. */
	adamw: AdamWOptions;
	/** Steps between held-out evaluations (the training curve). */
	evalEvery: number;
};

/** One point of the training curve. */
export type CurvePoint = {
	/** Steps done. */
	step: number;
	/** Learning rate of the last step. */
	lr: number;
	/** Mean training loss (weighted, see makeBatch) over the steps since the previous point. */
	trainLoss: number;
	/** Mean target-token cross-entropy on the held-out curve set. */
	heldoutLoss: number;
};

/** How to run (does not change the result). */
export type TrainRunOptions = {
	/** Checkpoint file; none when absent. */
	checkpointPath?: string;
	/** Steps between checkpoints. */
	checkpointEvery?: number;
	/** Continue from the checkpoint when it exists. */
	resume?: boolean;
	/** Stop after this many steps (tests simulate an interruption); a checkpoint is written there. */
	stopAfter?: number;
	/** Progress lines (default: stderr). */
	log?: (line: string) => void;
	/** Label of the progress lines. */
	label?: string;
	/**
	 * Start from these weights instead of the initialisation of settings.initSeed (fine-tuning a trained judge). They
	 * change the result, so such a run is never resumed from a checkpoint.
	 */
	initialWeights?: ReadonlyMap<string, Float32Array>;
};

/** What a run produced. */
export type TrainResult = {
	/** Trained weights by name. */
	weights: Map<string, Float32Array>;
	/** Training loss of every step. */
	losses: number[];
	/** Held-out curve. */
	curve: CurvePoint[];
	/** Steps done (less than settings.steps when stopped early). */
	step: number;
	/** Wall-clock seconds of training, interrupted runs included. */
	seconds: number;
};

/** The fingerprint of settings: a checkpoint resumes only a run with the same one. */
export function fingerprint(settings: TrainSettings, trainCount: number, heldoutCount: number): string {
	return hash32(JSON.stringify({settings, trainCount, heldoutCount})).toString(16).padStart(8, '0');
}

/** Weights as IR tensors (for the builders). */
export function asTensors(weights: ReadonlyMap<string, Float32Array>, spec: ModelSpec): Map<string, Tensor> {
	const shapes = weightShapes(spec);
	return new Map([...weights].map(([n, data]) => [n, {dtype: 'float32' as const, dims: shapes.get(n)!, data}]));
}

/** Train a judge on encoded examples; `curveSet` gives the held-out curve. */
export async function train(settings: TrainSettings, data: readonly EncodedExample[], curveSet: readonly EncodedExample[], options: TrainRunOptions = {}): Promise<TrainResult> {
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	const label = options.label ? `[${options.label}] ` : '';
	const {spec} = settings;
	const shapes = weightShapes(spec);
	const init = initialWeights(spec, settings.initSeed);
	if (options.initialWeights && options.resume) throw new Error('a run from given initial weights cannot be resumed');
	const weights = new Map([...init].map(([n, t]) => {
		const given = options.initialWeights?.get(n);
		if (options.initialWeights && (!given || given.length !== (t.data as Float32Array).length)) throw new Error(`initial weight ${n} is missing or of the wrong size`);
		return [n, given ? Float32Array.from(given) : (t.data as Float32Array)];
	}));
	const optimizer = new AdamW(settings.adamw, new Map([...shapes].map(([n, dims]) => [n, {size: weights.get(n)!.length, decay: decays(n, dims)}])));
	const print = fingerprint(settings, data.length, curveSet.length);
	let losses: number[] = [];
	let curve: CurvePoint[] = [];
	let start = 0;
	let priorSeconds = 0;
	if (options.resume && options.checkpointPath && existsSync(options.checkpointPath)) {
		const ckpt = loadCheckpoint(options.checkpointPath);
		if (ckpt.fingerprint !== print) {
			throw new Error(`${options.checkpointPath} is from a run with other settings (fingerprint ${ckpt.fingerprint}, this run ${print}); delete it to start over`);
		}
		for (const [n, w] of ckpt.weights) weights.set(n, w);
		for (const [n, s] of optimizer.state) {
			s.m.set(ckpt.m.get(n)!);
			s.v.set(ckpt.v.get(n)!);
		}
		optimizer.step = ckpt.optimizerStep;
		start = ckpt.step;
		losses = ckpt.losses;
		curve = (ckpt.extra.curve as CurvePoint[] | undefined) ?? [];
		priorSeconds = Number(ckpt.extra.seconds ?? 0);
		log(`${label}resumed at step ${start} from ${options.checkpointPath}`);
	}

	const graph = await buildTrainingGraph(spec, init);
	const session = await createSession(encodeModel(graph.model), {threads: 1});
	const evalSession = await lossSession(spec, init);
	const plan = planBatches(data, settings.batchSize, settings.steps, settings.batchSeed);
	const schedule = {lr: settings.lr, warmup: settings.warmup, steps: settings.steps, minRatio: settings.minLrRatio};
	const end = Math.min(settings.steps, options.stopAfter ?? settings.steps);
	const began = performance.now();
	let tokens = 0;
	let lastLog = 0;
	const checkpoint = (step: number) => {
		if (!options.checkpointPath) return;
		const m = new Map([...optimizer.state].map(([n, s]) => [n, s.m]));
		const v = new Map([...optimizer.state].map(([n, s]) => [n, s.v]));
		saveCheckpoint(options.checkpointPath, {step, optimizerStep: optimizer.step, fingerprint: print, losses, extra: {curve, seconds: priorSeconds + (performance.now() - began) / 1000}, weights, m, v});
	};
	try {
		for (let step = start; step < end; step++) {
			const batch = makeBatch(data, plan[step]!, settings.contextWeight);
			const feeds = withWeights(batchFeeds(graph.info, batch), weights, shapes);
			const out = await run(session, feeds);
			const loss = sum(out.loss!.data as Float32Array);
			if (!Number.isFinite(loss)) throw new Error(`${label}loss is ${loss} at step ${step}`);
			const grads = new Map(graph.weights.map((n, i) => [n, out[graph.gradOutputs[i]!]!.data as Float32Array]));
			const lr = learningRate(schedule, step);
			optimizer.update(weights, grads, lr, clipScale(globalNorm(grads.values()), settings.clip));
			losses.push(loss);
			tokens += batch.batch * batch.length;
			const done = step + 1;
			if (done % settings.evalEvery === 0 || done === settings.steps) {
				const recent = losses.slice(curve.length > 0 ? curve[curve.length - 1]!.step : 0);
				const heldoutLoss = await evaluateLoss(evalSession, graph.info, curveSet, weights, shapes);
				curve.push({step: done, lr, trainLoss: sum(recent) / recent.length, heldoutLoss});
				log(`${label}step ${done} held-out target loss ${heldoutLoss.toFixed(4)}`);
			}
			const elapsed = (performance.now() - began) / 1000;
			if (elapsed - lastLog >= 10 || done === end) {
				lastLog = elapsed;
				const perStep = elapsed / (done - start);
				log(`${label}step ${done}/${settings.steps} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} tok/s ${Math.round(tokens / elapsed)} eta ${duration(perStep * (settings.steps - done))}`);
			}
			if (options.checkpointEvery && done % options.checkpointEvery === 0 && done < settings.steps) checkpoint(done);
		}
		if (end < settings.steps) checkpoint(end);
	} finally {
		await release(session);
		await release(evalSession);
	}
	return {weights, losses, curve, step: end, seconds: priorSeconds + (performance.now() - began) / 1000};
}

/** A session of the judge loss graph with the weights as inputs (held-out evaluation during training). */
async function lossSession(spec: ModelSpec, init: ReadonlyMap<string, Tensor>): Promise<OrtSession> {
	const {model} = buildLossGraph(buildModel(spec, init));
	for (const name of weightShapes(spec).keys()) {
		const t = model.graph.initializers.get(name)!;
		model.graph.initializers.delete(name);
		model.graph.inputs.push({name, dtype: t.dtype, shape: [...t.dims]});
	}
	return createSession(encodeModel(model), {threads: 1});
}

/** Mean target-token cross-entropy (nats) of examples, in batches of 32. */
async function evaluateLoss(
	session: OrtSession,
	info: Parameters<typeof batchFeeds>[0],
	examples: readonly EncodedExample[],
	weights: ReadonlyMap<string, Float32Array>,
	shapes: ReadonlyMap<string, number[]>,
): Promise<number> {
	let total = 0;
	let count = 0;
	for (let i = 0; i < examples.length; i += 32) {
		const idx = Array.from({length: Math.min(32, examples.length - i)}, (_, k) => i + k);
		const batch = makeBatch(examples, idx, 0);
		const n = idx.reduce((a, k) => a + examples[k]!.ids.length - examples[k]!.targetStart, 0);
		const out = await run(session, withWeights(batchFeeds(info, batch), weights, shapes), ['loss']);
		total += sum(out.loss!.data as Float32Array) * n;
		count += n;
	}
	return total / count;
}

function withWeights(feeds: Feeds, weights: ReadonlyMap<string, Float32Array>, shapes: ReadonlyMap<string, number[]>): Feeds {
	for (const [n, dims] of shapes) feeds[n] = ortTensor('float32', weights.get(n)!, dims);
	return feeds;
}

function sum(xs: ArrayLike<number>): number {
	let s = 0;
	for (let i = 0; i < xs.length; i++) s += xs[i]!;
	return s;
}

/** "1h02m", "12m05s", "42s". */
export function duration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
	if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
	return `${s}s`;
}
