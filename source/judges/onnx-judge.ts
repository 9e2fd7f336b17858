/**
 * A judge backed by an ONNX causal LM in a judge folder. Text is rendered and tokenised on the main thread (fast,
 * native tokenizer); every model run goes through the worker pool, so the event loop never blocks.
 *
 * Leave-one-out here masks a segment's embeddings to the baseline (m_k = 0), the exact quantity whose first-order
 * estimate the gradient gives, on the same tokenisation; so the two are directly comparable.
 */
import path from 'node:path';
import {UserError} from '../errors.js';
import type {Tensor} from '../onnx/ir.js';
import {batchFeeds, limitsForBudget, makeBatches, segmentMask, type BatchLimits, type EncodedExample, type JudgeLimits} from './batching.js';
import {encodeExample, loadJudgeFolder, type JudgeFolder} from './judge-folder.js';
import {checkpointGraphs, judgeGraphs, type BuildProgress, type JudgeGraphs} from './graph-cache.js';
import type {OrtPool} from './pool.js';
import {activationBudget, LEAN_ABOVE_BYTES} from './memory.js';
import {prefixFeeds, sharedPrefixLength, suffixExamples, withPrefix} from './prefix-cache.js';
import type {AttributionResult, Judge, JudgeExample, JudgeInfo, ScoreResult} from './types.js';
import type {Baseline} from '../onnx/judge-graph.js';
import {integrate, maskRule, type QuadratureRule} from '../core/quadrature.js';

/** Options of an ONNX judge. */
export type OnnxJudgeOptions = {
	/** Worker pool that runs the model. */
	pool: OrtPool;
	/** Embedding baseline of the mask (default: judge.json's attribution.baseline, itself "mean" by default). */
	baseline?: Baseline;
	/** Overrides judge.json's heldout flag. */
	heldout?: boolean;
	/** Batch limits (default: by the judge's size and the activation budget). */
	limits?: BatchLimits;
	/** Bytes the judge's activations may take (default: activationBudget of its weight bytes, memory.ts). */
	activationBudget?: number;
	/**
	 * Mask value at which the gradient is taken (default: judge.json's attribution.maskPoint, itself 0.5). 1 is
	 * DESIGN §2's first-order estimate; 0.5 the midpoint-rule estimate of L(without k) - L(P) = integral of
	 * -dL/dm_k over [0, 1], still one forward and one backward pass.
	 */
	maskPoint?: number;
	/**
	 * Gauss–Legendre points along the mask path (default: judge.json's attribution.points, itself 1). With n > 1 the
	 * gradient is read at the rule's n mask values, every example's row repeated once per value in the same run, and
	 * the readings are combined with the rule's weights; maskPoint is then not used.
	 */
	points?: number;
	/** Cancels a first open's graph build. */
	signal?: AbortSignal;
	/** Progress of a first open's graph build. */
	onProgress?: (progress: BuildProgress) => void;
};

export class OnnxJudge implements Judge {
	readonly info: JudgeInfo;
	readonly folder: JudgeFolder;
	private readonly graphs: JudgeGraphs;
	private readonly pool: OrtPool;
	private readonly limits: JudgeLimits;
	/** Mask value at which gradients are read (every segment's mask is set to it for the gradient pass). */
	readonly maskPoint: number;
	/** Where along the mask path gradients are read, and how they are combined (see core/quadrature.ts). */
	readonly rule: QuadratureRule;

	private constructor(folder: JudgeFolder, graphs: JudgeGraphs, options: OnnxJudgeOptions) {
		this.folder = folder;
		this.graphs = graphs;
		this.pool = options.pool;
		const floatBytes = graphs.info.floatType === 'float64' ? 8 : 4;
		this.limits = options.limits
			? {score: options.limits, attribute: options.limits}
			: limitsForBudget({parameters: graphs.parameters, vocabSize: graphs.info.vocabSize, hiddenSize: graphs.info.hiddenSize, floatBytes}, options.activationBudget ?? activationBudget(graphs.weightBytes));
		this.maskPoint = options.maskPoint ?? 1;
		this.rule = maskRule(options.points ?? 1, this.maskPoint);
		this.info = {
			name: folder.config.name,
			family: folder.family,
			heldout: options.heldout ?? folder.config.heldout,
			parameters: graphs.parameters,
			weightBytes: graphs.weightBytes,
			vocabSize: graphs.info.vocabSize,
			contextLength: folder.maxTokens,
			gradient: graphs.attribution,
		};
	}

	/** Open the judge folder at `dir` (building or reusing its cached graphs). */
	static async open(dir: string, options: OnnxJudgeOptions): Promise<OnnxJudge> {
		return OnnxJudge.openFolder(await loadJudgeFolder(dir), options);
	}

	/** Open a judge folder already loaded. */
	static async openFolder(folder: JudgeFolder, options: OnnxJudgeOptions): Promise<OnnxJudge> {
		const padTokenId = folder.specialTokens.pad_token ? folder.tokenizer.tokenId(folder.specialTokens.pad_token) : undefined;
		const baseline = options.baseline ?? folder.config.attribution.baseline;
		const build = {baseline, padTokenId, signal: options.signal, onProgress: options.onProgress};
		const graphs = folder.kind === 'checkpoint' ? await checkpointGraphs(folder.modelPath, build) : await judgeGraphs(folder.modelPath, build);
		checkVocabulary(folder, graphs.info.vocabSize);
		const points = options.points ?? (options.maskPoint === undefined ? folder.config.attribution.points : 1);
		return new OnnxJudge(folder, graphs, {...options, maskPoint: options.maskPoint ?? folder.config.attribution.maskPoint, points});
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
		const shared = this.graphs.presentOutputs.length > 0 ? sharedPrefixLength(encoded) : 0;
		const present = shared > 0 ? await this.run(prefixFeeds(encoded[0]!.ids.slice(0, shared), info), this.graphs.presentOutputs, signal) : undefined;
		await this.forEachBatch(present ? suffixExamples(encoded, shared) : encoded, async batch => {
			const feeds = present ? withPrefix(batch.feeds, present, shared, info) : batch.feeds;
			const out = await this.runLoss(feeds, segmentMask(batch.members.length, 1, info.floatType), signal);
			batch.members.forEach((m, b) => (losses[m] = Number(out.loss!.data[b])));
		});
		return {losses, targetTokens: encoded.map(e => e.ids.length - e.contextLength)};
	}

	async attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal): Promise<AttributionResult> {
		const attribution = this.graphs.attribution;
		if (!attribution.available) {
			return {...(await this.attributeLeaveOneOut(segments, examples, signal)), fallbackReason: attribution.reason};
		}
		const encoded = await this.encode(segments, examples);
		const K = segments.length;
		const losses = new Array<number>(examples.length).fill(Number.NaN);
		const importance = examples.map(() => new Array<number>(K).fill(0));
		let passes = 0;
		// Away from m = 1 the graph's loss is that of a part-masked prompt: the prompt's own loss is a plain score
		// (one more forward, sharing the prompt's key/value prefix), run alongside.
		const {nodes} = this.rule;
		const n = nodes.length;
		const atOne = n === 1 && nodes[0] === 1;
		const scored = atOne ? undefined : this.score(segments, examples, signal);
		// With n points, every example's row is repeated n times in one batch (block i at mask value nodes[i]), so the
		// batches hold 1/n as many examples.
		const attributed = this.forEachBatch(encoded, async batch => {
			const B = batch.members.length;
			const mask = segmentMask(n * B, K, this.graphs.info.floatType);
			for (let i = 0; i < n; i++) (mask.data as Float32Array).fill(nodes[i]!, i * B * K, (i + 1) * B * K);
			const out = await this.run({...batch.feeds, segment_mask: mask, ...wantGrad(true)}, ['loss', 'segment_grad'], signal);
			passes += n;
			const grad = out.segment_grad!.data;
			batch.members.forEach((m, b) => {
				if (atOne) {
					losses[m] = Number(out.loss!.data[b]);
				}
				const readings = nodes.map((_, i) => Array.from({length: K}, (_, k) => -Number(grad[(i * B + b) * K + k])));
				importance[m] = integrate(readings, this.rule);
			});
		}, 'attribute', n);
		// Awaited together: if one fails (a cancel rejects both), the other's rejection is handled too, not left to
		// crash the process as an unhandled rejection.
		const [, result] = await Promise.all([attributed, scored]);
		if (result) {
			result.losses.forEach((l, i) => (losses[i] = l));
			passes += makeBatches(encoded, this.limits.score).length;
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

	/**
	 * Logits [B, 1, V] of the token after each sequence (greedy generation), from the judge graph's forward branch
	 * with one target position per row: the last token of that row.
	 */
	async nextTokenLogits(sequences: readonly (readonly number[])[], signal?: AbortSignal): Promise<Tensor> {
		const encoded: EncodedExample[] = sequences.map(ids => ({ids: [...ids, 0], contextLength: ids.length, segments: ids.map(() => -1)}));
		const info = this.graphs.info;
		const batch = batchFeeds(encoded, encoded.map((_, i) => i), {...info, targetPositions: true});
		const out = await this.run({...batch.feeds, segment_mask: segmentMask(sequences.length, 1, info.floatType), ...this.forward()}, ['target_logits'], signal);
		return out.target_logits!;
	}

	/** The source model's interface (inputs the feeds need). */
	get graphInfo() {
		return this.graphs.info;
	}

	/** Run the judge graph in the pool. */
	private run(feeds: Record<string, Tensor>, outputs: string[], signal?: AbortSignal) {
		const {optimization, prepack} = this.sessionOptions();
		return this.pool.run({key: `${this.graphs.key}-${optimization}-${prepack}`, modelPath: this.graphs.graphPath, dataDir: this.graphs.dataDir, optimization, prepack, feeds: {...this.forward(), ...feeds}, outputs}, signal);
	}

	/**
	 * Small judges: every graph optimisation and prepacked weights (fastest). Judges of real size: no graph
	 * optimisation and no prepacking, so the weights stay one copy, mapped from their file, and the session opens at
	 * once instead of repacking gigabytes. The graph gmpo builds has nothing left for onnxruntime's optimisers to gain
	 * at that size: on the SmolLM2-360M shape every level ran the forward within 5% and was as lean, attribution was
	 * within 4%, and "disabled" created the session in 4.5 s against 7.3 s for "basic" (npm run bench --
	 * session-options). float64 graphs need "basic" (level "all" fuses ops into float-only kernels).
	 */
	private sessionOptions(): {optimization: 'disabled' | 'basic' | 'all'; prepack: boolean} {
		if (this.graphs.weightBytes > LEAN_ABOVE_BYTES) return {optimization: 'disabled', prepack: false};
		return {optimization: this.graphs.info.floatType === 'float64' ? 'basic' : 'all', prepack: true};
	}

	/** The want_grad feed of the forward branch, when the graph has the branch input. */
	private forward(): Record<string, Tensor> {
		return this.graphs.attribution.available ? wantGrad(false) : {};
	}

	private runLoss(feeds: Record<string, Tensor>, mask: Tensor, signal?: AbortSignal) {
		return this.run({...feeds, segment_mask: mask}, ['loss'], signal);
	}

	/**
	 * Runs `fn` on every batch, concurrently (so every worker of the pool is busy). With `repeat` = n, a batch's feeds
	 * hold each member's row n times (members, then members again, ...) and batches are cut to 1/n of the limits.
	 */
	private async forEachBatch(encoded: EncodedExample[], fn: (batch: ReturnType<typeof batchFeeds>) => Promise<void>, kind: 'score' | 'attribute' = 'score', repeat = 1): Promise<void> {
		const info = this.graphs.info;
		const limits = this.limits[kind];
		const cut = repeat === 1 ? limits : {maxBatch: Math.max(1, Math.floor(limits.maxBatch / repeat)), maxTokens: Math.max(1, Math.floor(limits.maxTokens / repeat))};
		await Promise.all(
			makeBatches(encoded, cut).map(members => {
				const rows = Array.from({length: repeat}, () => members).flat();
				return fn({...batchFeeds(encoded, rows, {...info, targetPositions: true}), members});
			}),
		);
	}
}

/**
 * A tokenizer with more ids than the model has embedding rows would feed ids past the end of the table (onnxruntime:
 * "indices element out of data bounds"): refused at open. Fewer ids is normal (tables are padded to a round size).
 */
function checkVocabulary(folder: JudgeFolder, modelVocab: number): void {
	const tokenizerVocab = folder.tokenizer.vocabSize;
	if (tokenizerVocab > modelVocab) {
		throw new UserError(
			`judge "${folder.config.name}": the tokenizer (${path.basename(folder.tokenizerPath)}) has ${tokenizerVocab} ids, more than the model's vocabulary of ${modelVocab}; ` +
				'the tokenizer must be the one the model was trained with',
			{file: folder.dir},
		);
	}
}

/** The branch input of a unified judge graph. */
function wantGrad(value: boolean): Record<string, Tensor> {
	return {want_grad: {dtype: 'bool', dims: [], data: Uint8Array.of(value ? 1 : 0)}};
}
