/**
 * Judge graph surgery: from a causal-LM graph with the interface of Hugging Face Optimum exports (input_ids,
 * attention_mask, optional position_ids, optional past_key_values.* inputs, a logits output) build the judge graph:
 *
 *   extra inputs   segment_mask [B,S] float, segment_ids [B,T] int64 (-1 outside the prompt),
 *                  target_ids [B,T] int64 (the token to predict at each position), target_weight [B,T] float
 *   outputs        loss [B] = -sum_t target_weight[b,t] * log p(target_ids[b,t] | tokens <= t)
 *                  segment_grad [B,S] = d loss[b] / d segment_mask[b,k] at the fed mask (attribution graph only)
 *
 * The mask scales the output of the token-embedding Gather: h~_t = base + m_k (h_t - base) for a token t of segment
 * k, and h~_t = h_t outside the prompt (DESIGN §2). Per-token scales come from a one-hot product of segment_ids with
 * segment_mask, so the gradient flows back through MatMul, and nothing needs a scatter.
 */
import {buildGradientModel} from './gradient.js';
import {GraphBuilder} from './graph-builder.js';
import {attr, cloneModel, defaultOpset, type DType, type Model, type Node, type ValueInfo} from './ir.js';
import {ortTensor, type Feeds} from './ort.js';
import type {ProbeRunner} from './shapes.js';
import {consumerMap, producerMap} from './topo.js';

/** Embedding baseline b of DESIGN §2. */
export type Baseline = 'zero' | 'pad' | 'mean';

/** Options of the surgery. */
export type JudgeGraphOptions = {
	/** Baseline the mask interpolates towards (default zero). */
	baseline?: Baseline;
	/** Token id whose embedding is the baseline when baseline = "pad". */
	padTokenId?: number;
	/**
	 * Compute the LM head only at the positions given by an extra input target_positions [B,K]; target_ids and
	 * target_weight are then [B,K] (default: every position, target_ids and target_weight [B,T]).
	 */
	targetPositions?: boolean;
};

/** Element type of an integer input the judge feeds: int64 (Optimum exports) or int32 (onnxruntime-genai exports). */
export type IdType = 'int64' | 'int32';

/** A past key/value input, fed as a zero-length tensor (see pastDims). */
export type PastInput = {
	/** Input name: past_key_values.<layer>.key|value, or past_<layer> when packed. */
	name: string;
	/** Float type of the cache. */
	dtype: DType;
	/** Key/value heads. */
	heads: number;
	/** Width of a head. */
	headDim: number;
	/** Keys and values in one input [2, batch, heads, past, head_dim] (onnxruntime's GPT-2 exports), not two. */
	packed?: boolean;
};

/** What the surgery found in the source graph. */
export type CausalLmInterface = {
	/** Whether the graph takes position_ids. */
	hasPositionIds: boolean;
	/**
	 * Element type of each integer input the judge feeds: input_ids and attention_mask always, position_ids and
	 * token_type_ids (fed as zeros, as a tokenizer returns them for one sequence) when the graph takes them.
	 */
	idTypes: {input_ids: IdType; attention_mask: IdType; position_ids?: IdType; token_type_ids?: IdType};
	/** Past key/value inputs (past_key_values.* or packed past_N) the judge feeds as zero-length tensors. */
	pastInputs: PastInput[];
	/** Float type of the logits (and so of the mask and weights). */
	floatType: DType;
	/** Name of the token-embedding Gather node. */
	embeddingNode: string;
	/** Vocabulary size (rows of the embedding matrix). */
	vocabSize: number;
	/** Width of a token embedding (columns of the embedding matrix). */
	hiddenSize: number;
};

/** A problem with the model's interface or structure (the caller turns it into a user-facing error). */
export class JudgeGraphError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'JudgeGraphError';
	}
}

const PASS_THROUGH = new Set(['Reshape', 'Cast', 'Identity', 'Unsqueeze', 'Squeeze', 'Flatten']);

/** Integer inputs gmpo feeds, besides the past key/value inputs. */
const ID_INPUTS = ['input_ids', 'attention_mask', 'position_ids', 'token_type_ids'] as const;

/** Check the causal-LM interface and find the token-embedding lookup. */
export function inspectCausalLm(model: Model): CausalLmInterface {
	const g = model.graph;
	const inputs = new Map(g.inputs.map(v => [v.name, v]));
	for (const required of ['input_ids', 'attention_mask']) {
		if (!inputs.has(required)) {
			throw new JudgeGraphError(`the model has no "${required}" input (inputs: ${[...inputs.keys()].join(', ')}); a causal-LM export is expected`);
		}
	}
	const logits = g.outputs.find(o => o.name === 'logits');
	if (!logits) {
		throw new JudgeGraphError(`the model has no "logits" output (outputs: ${g.outputs.map(o => o.name).join(', ')}); a causal-LM export is expected`);
	}
	const idTypes: Partial<Record<(typeof ID_INPUTS)[number], IdType>> = {};
	const pastInputs: PastInput[] = [];
	for (const v of g.inputs) {
		// An input with an initializer of its name has a default value: nothing needs to be fed.
		if (g.initializers.has(v.name)) {
			continue;
		}
		const id = ID_INPUTS.find(n => n === v.name);
		if (id) {
			if (v.dtype !== 'int64' && v.dtype !== 'int32') {
				throw new JudgeGraphError(`input "${v.name}" is ${v.dtype}; an int64 or int32 input is expected`);
			}
			idTypes[id] = v.dtype;
		} else if (v.name.startsWith('past_key_values.') || /^past_\d+$/.test(v.name)) {
			pastInputs.push(pastInput(v));
		} else {
			throw new JudgeGraphError(cannotFeed(v));
		}
	}
	const producers = producerMap(g);
	const fromInputIds = (name: string): boolean => {
		for (let depth = 0; depth < 8; depth++) {
			if (name === 'input_ids') {
				return true;
			}
			const p = producers.get(name);
			if (!p || !PASS_THROUGH.has(p.op)) {
				return false;
			}
			name = p.inputs[0]!;
		}
		return false;
	};
	const embedding = g.nodes.find(n => n.op === 'Gather' && n.domain === '' && fromInputIds(n.inputs[1]!) && g.initializers.get(n.inputs[0]!)?.dims.length === 2);
	if (!embedding) {
		throw new JudgeGraphError('no token-embedding lookup found (a Gather of a [vocab, hidden] initializer by input_ids)');
	}
	const table = g.initializers.get(embedding.inputs[0]!)!;
	return {
		hasPositionIds: idTypes.position_ids !== undefined,
		idTypes: {...idTypes, input_ids: idTypes.input_ids!, attention_mask: idTypes.attention_mask!},
		pastInputs,
		floatType: logits.dtype,
		embeddingNode: embedding.name,
		vocabSize: table.dims[0]!,
		hiddenSize: table.dims[1]!,
	};
}

/** A past input: past_key_values.* [batch, heads, past, head_dim], or past_N [2, batch, heads, past, head_dim]. */
function pastInput(v: ValueInfo): PastInput {
	const shape = v.shape ?? [];
	const packed = !v.name.startsWith('past_key_values.');
	const [heads, headDim] = packed ? [shape[2], shape[4]] : [shape[1], shape[3]];
	const rank = packed ? 5 : 4;
	if (shape.length !== rank || typeof heads !== 'number' || typeof headDim !== 'number' || (packed && shape[0] !== 2)) {
		const expected = packed ? '[2, batch, heads, past, head_dim]' : '[batch, heads, past, head_dim]';
		throw new JudgeGraphError(`input "${v.name}" must be ${expected} with static heads and head_dim, got [${shape.join(', ')}]`);
	}
	return {name: v.name, dtype: v.dtype, heads, headDim, ...(packed ? {packed: true} : {})};
}

/** The one line for a required input the judge cannot feed. */
function cannotFeed(v: ValueInfo): string {
	const what = `the model requires input "${v.name}" (${v.dtype} [${(v.shape ?? []).join(', ')}]), which gmpo cannot feed`;
	const feeds = 'gmpo feeds input_ids, attention_mask, position_ids, token_type_ids (zeros) and empty past_key_values.* or past_N';
	if (v.name === 'use_cache_branch') {
		return `${what}: this is Optimum's merged decoder; use its decoder_model.onnx, or export with --no-post-process`;
	}
	return `${what} (${feeds}); export the model without it`;
}

/** Dimensions of a zero-length past input for `batch` rows (or of a `past`-long one). */
export function pastDims(p: PastInput, batch: number, past = 0): number[] {
	return p.packed ? [2, batch, p.heads, past, p.headDim] : [batch, p.heads, past, p.headDim];
}

/** The judge graph computing `loss` only (scoring). */
export function buildLossGraph(source: Model, options: JudgeGraphOptions = {}): {model: Model; info: CausalLmInterface} {
	const info = inspectCausalLm(source);
	const model = cloneModel(source);
	const g = model.graph;
	const b = new GraphBuilder(g, defaultOpset(model), 'judge');
	const ft = info.floatType;
	const embedding = g.nodes.find(n => n.name === info.embeddingNode)!;
	const hidden = embedding.outputs[0]!;

	const targetDim = options.targetPositions ? 'num_targets' : 'sequence_length';
	g.inputs.push(
		{name: 'segment_mask', dtype: ft, shape: ['batch_size', 'num_segments']},
		{name: 'segment_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length']},
		{name: 'target_ids', dtype: 'int64', shape: ['batch_size', targetDim]},
		{name: 'target_weight', dtype: ft, shape: ['batch_size', targetDim]},
	);

	// Per-token scale: 1 + onehot(segment_ids) @ (segment_mask - 1); tokens with id -1 match no column and keep 1.
	const numSegments = b.op('Gather', [b.op('Shape', ['segment_mask']), b.scalar(1, 'int64')], {axis: attr.int(0)});
	const range = b.op('Range', [b.scalar(0, 'int64'), numSegments, b.scalar(1, 'int64')]);
	const oneHot = b.cast(b.op('Equal', [b.unsqueeze('segment_ids', [2]), range]), ft);
	const maskMinusOne = b.unsqueeze(b.op('Sub', ['segment_mask', b.scalar(1, ft)]), [2]);
	const scale = b.op('Add', [b.op('MatMul', [oneHot, maskMinusOne]), b.scalar(1, ft)]);
	const masked = maskEmbedding(b, hidden, scale, embedding, options);

	// Every reader of the embedding output now reads the masked embedding.
	for (const n of consumerMap(g).get(hidden) ?? []) {
		if (!masked.nodes.has(n.name)) {
			n.inputs = n.inputs.map(x => (x === hidden ? masked.output : x));
		}
	}

	// Loss head: -sum_j w[b,j] log softmax(logits)[b,j,target[b,j]].
	const logits = options.targetPositions ? logitsAtTargets(b, model) : 'logits';
	const logp = b.softmax(logits, -1, 3, 'LogSoftmax');
	const picked = b.squeeze(b.op('GatherElements', [logp, b.unsqueeze('target_ids', [2])], {axis: attr.int(2)}), [2]);
	const weighted = b.op('Mul', [picked, 'target_weight']);
	b.opInto('loss', 'Neg', [b.reduceSum(weighted, [1], false)]);
	g.outputs = [{name: 'loss', dtype: ft, shape: ['batch_size']}];
	removeDeadNodes(model);
	return {model, info};
}

/** Elementwise ops that may follow the head (soft-capping, logit scaling) and are replayed after the gather. */
const HEAD_TAIL_OPS = new Set(['Div', 'Mul', 'Add', 'Sub', 'Tanh', 'Cast', 'Identity']);

/**
 * Compute the LM head only at the positions that predict a target token: the hidden states entering the final
 * MatMul are gathered at `target_positions` [B,K] first, so the head (often most of a model's FLOPs with a large
 * vocabulary) and the log-softmax run on K positions instead of T. target_ids and target_weight are then [B,K].
 * Elementwise ops between the head and the logits (Gemma 2's soft-capping, Granite's logits_scaling) are replayed
 * on the gathered logits. A head that is not a MatMul keeps computing every position, and its logits are gathered.
 * The result is named `target_logits` [B,K,V].
 */
function logitsAtTargets(b: GraphBuilder, model: Model): string {
	const g = model.graph;
	const producers = producerMap(g);
	g.inputs.push({name: 'target_positions', dtype: 'int64', shape: ['batch_size', 'num_targets']});
	const isConstant = (x: string) => g.initializers.has(x) || producers.get(x)?.op === 'Constant';
	// Walk up from the logits through elementwise ops with one varying input.
	const tail: {node: Node; varying: number}[] = [];
	let head = producers.get('logits');
	while (head && head.domain === '' && HEAD_TAIL_OPS.has(head.op)) {
		const varying = head.inputs.map((x, i) => (x !== '' && !isConstant(x) ? i : -1)).filter(i => i >= 0);
		if (varying.length !== 1) {
			break;
		}
		tail.push({node: head, varying: varying[0]!});
		head = producers.get(head.inputs[varying[0]!]!);
	}
	const gatherRows = (x: string) => {
		// Index [B,K] -> [B,K,width] for GatherElements along the time axis.
		const width = b.op('Slice', [b.op('Shape', [x]), b.int64s([2]), b.int64s([3]), b.int64s([0])]);
		const shape = b.op('Concat', [b.op('Shape', ['target_positions']), width], {axis: attr.int(0)});
		return b.op('GatherElements', [x, b.op('Expand', [b.unsqueeze('target_positions', [2]), shape])], {axis: attr.int(1)});
	};
	if (head?.op !== 'MatMul' || head.domain !== '') {
		return b.opInto('target_logits', 'Identity', [gatherRows('logits')]);
	}
	let y = b.op('MatMul', [gatherRows(head.inputs[0]!), head.inputs[1]!]);
	for (const {node, varying} of tail.reverse()) {
		const inputs = node.inputs.map((x, i) => (i === varying ? y : x));
		y = b.op(node.op, inputs, node.attrs, node.domain);
	}
	return b.opInto('target_logits', 'Identity', [y]);
}

/** Drop nodes whose outputs nothing reads (the full-width head once it is replaced, present.* outputs, ...). */
export function removeDeadNodes(model: Model): void {
	const g = model.graph;
	let changed = true;
	while (changed) {
		const needed = new Set(g.outputs.map(o => o.name));
		for (const n of g.nodes) {
			for (const x of n.inputs) {
				needed.add(x);
			}
		}
		const before = g.nodes.length;
		g.nodes = g.nodes.filter(n => n.outputs.some(o => needed.has(o)));
		changed = g.nodes.length !== before;
	}
	const used = new Set(g.nodes.flatMap(n => n.inputs));
	for (const name of [...g.initializers.keys()]) {
		if (!used.has(name)) {
			g.initializers.delete(name);
		}
	}
}

type Masked = {output: string; nodes: Set<string>};

function maskEmbedding(b: GraphBuilder, hidden: string, scale: string, embedding: Node, options: JudgeGraphOptions): Masked {
	const first = b.graph.nodes.length;
	const baseline = options.baseline ?? 'zero';
	let output: string;
	if (baseline === 'zero') {
		output = b.op('Mul', [hidden, scale]);
	} else {
		const table = embedding.inputs[0]!;
		let base: string;
		if (baseline === 'pad') {
			if (options.padTokenId === undefined) {
				throw new JudgeGraphError('the attribution baseline "pad" needs a pad token, and the tokenizer files name none (tokenizer_config.json pad_token): use baseline "mean" or "zero"');
			}
			base = b.op('Gather', [table, b.int64s([options.padTokenId])], {axis: attr.int(0)});
		} else {
			base = b.reduce('ReduceMean', table, [0], true);
		}
		// h~ = base + scale * (h - base); base is [1, hidden] and broadcasts over batch and time.
		output = b.op('Add', [base, b.op('Mul', [scale, b.op('Sub', [hidden, base])])]);
	}
	const nodes = new Set(b.graph.nodes.slice(first).map(n => n.name));
	return {output, nodes};
}

/** Integer ids as the input's element type wants them (int32 inputs get an Int32Array). */
export function idData(dtype: IdType, values: BigInt64Array): BigInt64Array | Int32Array {
	return dtype === 'int32' ? Int32Array.from(values, Number) : values;
}

/** Feeds at a given size, for the shape probe of the gradient pipeline (K = targets per row with target positions). */
export function probeFeeds(info: CausalLmInterface, batch: number, length: number, segments: number, targetCount?: number): Feeds {
	const n = batch * length;
	const ids = new BigInt64Array(n);
	const segIds = new BigInt64Array(n);
	const targets = new BigInt64Array(n);
	const positions = new BigInt64Array(n);
	const floats = info.floatType === 'float64' ? Float64Array : Float32Array;
	for (let i = 0; i < n; i++) {
		ids[i] = BigInt((i * 7 + 3) % info.vocabSize);
		targets[i] = BigInt((i * 5 + 1) % info.vocabSize);
		segIds[i] = BigInt((i % (segments + 1)) - 1);
		positions[i] = BigInt(i % length);
	}
	const id = (name: keyof CausalLmInterface['idTypes'], values: BigInt64Array) => ortTensor(info.idTypes[name]!, idData(info.idTypes[name]!, values), [batch, length]);
	const feeds: Feeds = {
		input_ids: id('input_ids', ids),
		attention_mask: id('attention_mask', new BigInt64Array(n).fill(1n)),
		segment_mask: ortTensor(info.floatType, new floats(batch * segments).fill(1), [batch, segments]),
		segment_ids: ortTensor('int64', segIds, [batch, length]),
		target_ids: ortTensor('int64', targets, [batch, length]),
		target_weight: ortTensor(info.floatType, new floats(n).fill(1 / length), [batch, length]),
	};
	if (info.idTypes.position_ids) {
		feeds.position_ids = id('position_ids', positions);
	}
	if (info.idTypes.token_type_ids) {
		feeds.token_type_ids = id('token_type_ids', new BigInt64Array(n));
	}
	for (const p of info.pastInputs) {
		feeds[p.name] = ortTensor(p.dtype, new (p.dtype === 'float64' ? Float64Array : Float32Array)(0), pastDims(p, batch));
	}
	if (targetCount !== undefined) {
		const k = batch * targetCount;
		const at = new BigInt64Array(k);
		const ids2 = new BigInt64Array(k);
		for (let i = 0; i < k; i++) {
			at[i] = BigInt((i * 3 + 1) % length);
			ids2[i] = BigInt((i * 5 + 2) % info.vocabSize);
		}
		feeds.target_positions = ortTensor('int64', at, [batch, targetCount]);
		feeds.target_ids = ortTensor('int64', ids2, [batch, targetCount]);
		feeds.target_weight = ortTensor(info.floatType, new floats(k).fill(1 / targetCount), [batch, targetCount]);
	}
	return feeds;
}

/** The judge graph computing `loss` and `segment_grad` (attribution: one forward and one backward pass). */
export async function buildAttributionGraph(
	source: Model,
	options: JudgeGraphOptions = {},
	probeRunner?: ProbeRunner,
): Promise<{model: Model; info: CausalLmInterface}> {
	const {model, info} = buildLossGraph(source, options);
	const k = options.targetPositions ? [2, 3] : [undefined, undefined];
	const probes = [probeFeeds(info, 2, 5, 3, k[0]), probeFeeds(info, 3, 7, 4, k[1])];
	const {model: withGrad} = await buildGradientModel(model, {
		loss: 'loss',
		wrt: ['segment_mask'],
		probes,
		gradNames: {segment_mask: 'segment_grad'},
		probeRunner,
	});
	return {model: withGrad, info};
}
