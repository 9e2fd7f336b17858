/**
 * A judge backed by an ONNX causal LM in a judge folder. Text is rendered and tokenised on the main thread (fast,
 * native tokenizer); every model run goes through the worker pool, so the event loop never blocks.
 *
 * Leave-one-out here masks a segment's embeddings to the baseline (m_k = 0), the exact quantity whose first-order
 * estimate the gradient gives, on the same tokenisation; so the two are directly comparable.
 */
import type {Tensor} from '../onnx/ir.js';
import {batchFeeds, makeBatches, segmentMask, DEFAULT_LIMITS, type BatchLimits, type EncodedExample} from './batching.js';
import {encodeExample, loadJudgeFolder, type JudgeFolder} from './judge-folder.js';
import {judgeGraphs, type JudgeGraphs} from './judge-graphs.js';
import type {OrtPool} from './pool.js';
import {prefixFeeds, prefixOutputs, sharedPrefixLength, suffixExamples, withPrefix} from './prefix-cache.js';
import type {AttributionResult, Judge, JudgeExample, JudgeInfo, ScoreResult} from './types.js';
import type {Baseline} from '../onnx/judge-graph.js';

/** Options of an ONNX judge. */
export type OnnxJudgeOptions = {
	/** Worker pool that runs the model. */
	pool: OrtPool;
	/** Embedding baseline of the mask (default: judge.json's attribution.baseline, itself "mean" by default). */
	baseline?: Baseline;
	/** Overrides judge.json's heldout flag. */
	heldout?: boolean;
	/** Batch limits. */
	limits?: BatchLimits;
	/**
	 * Mask value at which the gradient is taken (default: judge.json's attribution.maskPoint, itself 0.5). 1 is
	 * DESIGN §2's first-order estimate; 0.5 the midpoint-rule estimate of L(without k) - L(P) = integral of
	 * -dL/dm_k over [0, 1], still one forward and one backward pass.
	 */
	maskPoint?: number;
};

export class OnnxJudge implements Judge {
	readonly info: JudgeInfo;
	readonly folder: JudgeFolder;
	private readonly graphs: JudgeGraphs;
	private readonly pool: OrtPool;
	private readonly limits: BatchLimits;
	/** Mask value at which gradients are read (every segment's mask is set to it for the gradient pass). */
	readonly maskPoint: number;

	private constructor(folder: JudgeFolder, graphs: JudgeGraphs, options: OnnxJudgeOptions) {
		this.folder = folder;
		this.graphs = graphs;
		this.pool = options.pool;
		this.limits = options.limits ?? DEFAULT_LIMITS;
		this.maskPoint = options.maskPoint ?? 1;
		this.info = {
			name: folder.config.name,
			family: folder.family,
			heldout: options.heldout ?? folder.config.heldout,
			parameters: graphs.parameters,
			vocabSize: graphs.info.vocabSize,
			contextLength: folder.maxTokens,
			gradient: 'path' in graphs.attribution ? {available: true} : {available: false, reason: graphs.attribution.reason},
		};
	}

	/** Open the judge folder at `dir` (building or reusing its cached graphs). */
	static async open(dir: string, options: OnnxJudgeOptions): Promise<OnnxJudge> {
		const folder = await loadJudgeFolder(dir);
		const padTokenId = folder.specialTokens.pad_token ? folder.tokenizer.tokenId(folder.specialTokens.pad_token) : undefined;
		const baseline = options.baseline ?? folder.config.attribution.baseline;
		const graphs = await judgeGraphs(folder.modelPath, {baseline, padTokenId});
		return new OnnxJudge(folder, graphs, {...options, maskPoint: options.maskPoint ?? folder.config.attribution.maskPoint});
	}

	/** Render and tokenise examples for a prompt. */
	async encode(segments: readonly string[], examples: readonly JudgeExample[]): Promise<EncodedExample[]> {
		return Promise.all(
			examples.map(async e => {
				const t = await encodeExample(this.folder, segments, e.input, e.target);
				return {ids: [...t.contextIds, ...t.targetIds], contextLength: t.contextIds.length, segments: t.contextSegments};
			}),
		);
	}

	async score(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<ScoreResult> {
		const encoded = await this.encode(segments, examples);
		const losses = new Array<number>(examples.length).fill(Number.NaN);
		// The tokens every example starts with (BOS, template, prompt) run once; see prefix-cache.ts.
		const info = this.graphs.info;
		const shared = this.graphs.prefixPath ? sharedPrefixLength(encoded) : 0;
		const present = shared > 0 ? await this.pool.run({key: `${this.graphs.key}-prefix`, modelPath: this.graphs.prefixPath!, optimization: this.optimization(), feeds: prefixFeeds(encoded[0]!.ids.slice(0, shared), info), outputs: prefixOutputs(info)}, signal) : undefined;
		await this.forEachBatch(present ? suffixExamples(encoded, shared) : encoded, async batch => {
			const feeds = present ? withPrefix(batch.feeds, present, shared, info) : batch.feeds;
			const out = await this.runLoss(feeds, segmentMask(batch.members.length, 1, info.floatType), signal);
			batch.members.forEach((m, b) => (losses[m] = Number(out.loss!.data[b])));
		});
		return {losses, targetTokens: encoded.map(e => e.ids.length - e.contextLength)};
	}

	async attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		const attribution = this.graphs.attribution;
		if (!('path' in attribution)) {
			return {...(await this.attributeLeaveOneOut(segments, examples, signal)), fallbackReason: attribution.reason};
		}
		const encoded = await this.encode(segments, examples);
		const K = segments.length;
		const losses = new Array<number>(examples.length).fill(Number.NaN);
		const importance = examples.map(() => new Array<number>(K).fill(0));
		let passes = 0;
		// Away from m = 1 the graph's loss is that of a part-masked prompt: the prompt's own loss is a plain score
		// (one more forward, sharing the prompt's key/value prefix), run alongside.
		const atOne = this.maskPoint === 1;
		const scored = atOne ? undefined : this.score(segments, examples, signal);
		const attributed = this.forEachBatch(encoded, async batch => {
			const B = batch.members.length;
			const mask = segmentMask(B, K, this.graphs.info.floatType);
			(mask.data as Float32Array).fill(this.maskPoint);
			const feeds = {...batch.feeds, segment_mask: mask};
			const out = await this.pool.run(
				{key: `${this.graphs.key}-attr`, modelPath: attribution.path, optimization: this.optimization(), feeds, outputs: ['loss', 'segment_grad']},
				signal,
			);
			passes++;
			batch.members.forEach((m, b) => {
				if (atOne) {
					losses[m] = Number(out.loss!.data[b]);
				}
				for (let k = 0; k < K; k++) {
					importance[m]![k] = -Number(out.segment_grad!.data[b * K + k]);
				}
			});
		});
		// Awaited together: if one fails (a cancel rejects both), the other's rejection is handled too, not left to
		// crash the process as an unhandled rejection.
		const [, result] = await Promise.all([attributed, scored]);
		if (result) {
			result.losses.forEach((l, i) => (losses[i] = l));
			passes += makeBatches(encoded, this.limits).length;
		}
		return {losses, targetTokens: encoded.map(e => e.ids.length - e.contextLength), importance, method: 'gradient', passes};
	}

	async attributeLeaveOneOut(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		const encoded = await this.encode(segments, examples);
		const K = segments.length;
		const ft = this.graphs.info.floatType;
		const losses = new Array<number>(examples.length).fill(Number.NaN);
		const importance = examples.map(() => new Array<number>(K).fill(0));
		let passes = 0;
		await this.forEachBatch(encoded, async batch => {
			const B = batch.members.length;
			const base = await this.runLoss(batch.feeds, segmentMask(B, K, ft), signal);
			passes++;
			batch.members.forEach((m, b) => (losses[m] = Number(base.loss!.data[b])));
			for (let k = 0; k < K; k++) {
				const out = await this.runLoss(batch.feeds, segmentMask(B, K, ft, k), signal);
				passes++;
				batch.members.forEach((m, b) => (importance[m]![k] = Number(out.loss!.data[b]) - losses[m]!));
			}
		});
		return {losses, targetTokens: encoded.map(e => e.ids.length - e.contextLength), importance, method: 'loo', passes};
	}

	/** Loss of each example with the segment mask set to `mask` (one value per segment; 1 = kept). */
	async maskedLoss(segments: readonly string[], examples: readonly JudgeExample[], mask: readonly number[], signal?: AbortSignal): Promise<number[]> {
		const encoded = await this.encode(segments, examples);
		const K = segments.length;
		const ft = this.graphs.info.floatType;
		const losses = new Array<number>(examples.length).fill(Number.NaN);
		await this.forEachBatch(encoded, async batch => {
			const B = batch.members.length;
			const m = segmentMask(B, K, ft);
			for (let b = 0; b < B; b++) {
				for (let k = 0; k < K; k++) {
					(m.data as Float32Array)[b * K + k] = mask[k]!;
				}
			}
			const out = await this.runLoss(batch.feeds, m, signal);
			batch.members.forEach((i, b) => (losses[i] = Number(out.loss!.data[b])));
		});
		return losses;
	}

	async generate(segments: readonly string[], inputs: readonly string[], maxTokens: number, signal?: AbortSignal): Promise<string[]> {
		const {generateGreedy} = await import('./generate.js');
		return generateGreedy(this, segments, inputs, maxTokens, signal);
	}

	async close(): Promise<void> {
		// Sessions belong to the shared pool's workers; the pool's owner closes it.
	}

	/** Run the source model (logits) in the pool: used by greedy generation. */
	async runLogits(feeds: Record<string, Tensor>, signal?: AbortSignal): Promise<Tensor> {
		const out = await this.pool.run({key: `${this.graphs.key}-model`, modelPath: this.folder.modelPath, optimization: this.optimization(), feeds, outputs: ['logits']}, signal);
		return out.logits!;
	}

	/** The source model's interface (inputs the feeds need). */
	get graphInfo() {
		return this.graphs.info;
	}

	private optimization() {
		// Level "all" fuses ops into float-only kernels; float64 graphs need "basic".
		return this.graphs.info.floatType === 'float64' ? ('basic' as const) : ('all' as const);
	}

	private runLoss(feeds: Record<string, Tensor>, mask: Tensor, signal?: AbortSignal) {
		return this.pool.run(
			{key: `${this.graphs.key}-loss`, modelPath: this.graphs.lossPath, optimization: this.optimization(), feeds: {...feeds, segment_mask: mask}, outputs: ['loss']},
			signal,
		);
	}

	private async forEachBatch(encoded: EncodedExample[], fn: (batch: ReturnType<typeof batchFeeds>) => Promise<void>): Promise<void> {
		const info = this.graphs.info;
		// Batches run concurrently, so both workers of the pool are busy.
		await Promise.all(makeBatches(encoded, this.limits).map(members => fn(batchFeeds(encoded, members, {...info, targetPositions: true}))));
	}
}
