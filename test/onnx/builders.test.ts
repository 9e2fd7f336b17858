import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {seededRandom, type FloatDType} from '../../source/onnx/builders/common.js';
import {buildGpt2, randomGpt2Weights, type Gpt2Config} from '../../source/onnx/builders/gpt2.js';
import {readHubConfig, writeHubFolder} from '../../source/hf/hub-folder.js';
import {buildLlama, randomLlamaWeights, type LlamaConfig} from '../../source/onnx/builders/llama.js';
import {tensorOf, type Model, type Tensor} from '../../source/onnx/ir.js';
import {createSession, ortTensor, run, type OrtSession, type OrtTensor} from '../../source/onnx/ort.js';
import {encodeModel} from '../../source/onnx/proto.js';
import {readModel} from '../../source/onnx/model-file.js';

type Weights = Map<string, Tensor>;
type Vec = number[];

const gpt2Config = (dtype: FloatDType): Gpt2Config => ({
	vocabSize: 37, nPositions: 32, nEmbd: 16, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-5, bosTokenId: 0, eosTokenId: 1, dtype,
});
const llamaConfig = (dtype: FloatDType, tieWordEmbeddings = false): LlamaConfig => ({
	vocabSize: 37, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
	maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 500, tieWordEmbeddings, bosTokenId: 0, eosTokenId: 1, padTokenId: 2, dtype,
});

/** Random init is tiny (std 0.02) and has zero biases / unit norms: perturb every weight so mistakes show. */
function perturb(weights: Weights, seed: number): Weights {
	const r = seededRandom(seed);
	return new Map([...weights].map(([k, t]) => [k, tensorOf(t.dtype, t.dims, Array.from(t.data as Float64Array, v => v + 0.5 * (2 * r() - 1)))]));
}

// ---- Reference forwards: plain float64 loops over one sequence, written from the HF modelling code. ----

const rows = (t: Tensor): Vec[] => {
	const n = t.dims.at(-1)!;
	const flat = Array.from(t.data as Float64Array);
	return Array.from({length: flat.length / n}, (_, i) => flat.slice(i * n, (i + 1) * n));
};
const vec = (t: Tensor): Vec => Array.from(t.data as Float64Array);
/** x [in] times W [in, out] (Conv1D layout) plus bias. */
const conv1d = (x: Vec, w: Vec[], b?: Vec): Vec => w[0]!.map((_, o) => x.reduce((s, xi, i) => s + xi * w[i]![o]!, b ? b[o]! : 0));
/** x [in] times W^T with W [out, in] (nn.Linear layout). */
const linear = (x: Vec, w: Vec[]): Vec => w.map(row => row.reduce((s, wi, i) => s + wi * x[i]!, 0));
const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);
function layerNorm(x: Vec, g: Vec, b: Vec, eps: number): Vec {
	const mean = x.reduce((s, v) => s + v, 0) / x.length;
	const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
	return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
}
function rmsNorm(x: Vec, g: Vec, eps: number): Vec {
	const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
	return x.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]!);
}
/** Causal attention over one sequence; head h reads key/value head floor(h / (heads / kvHeads)). */
function attend(q: Vec[], k: Vec[], v: Vec[], heads: number, kvHeads: number, hd: number): Vec[] {
	return q.map((qt, t) => {
		const out: Vec = [];
		for (let h = 0; h < heads; h++) {
			const kh = Math.floor(h / (heads / kvHeads));
			const qh = qt.slice(h * hd, (h + 1) * hd);
			const scores = k.slice(0, t + 1).map(ks => ks.slice(kh * hd, (kh + 1) * hd).reduce((s, kv, d) => s + kv * qh[d]!, 0) / Math.sqrt(hd));
			const max = Math.max(...scores);
			const e = scores.map(s => Math.exp(s - max));
			const z = e.reduce((a, b) => a + b, 0);
			for (let d = 0; d < hd; d++) {
				out.push(e.reduce((s, p, j) => s + (p / z) * v[j]![kh * hd + d]!, 0));
			}
		}
		return out;
	});
}
const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function referenceGpt2(c: Gpt2Config, w: Weights, ids: number[]): Vec[] {
	const W = (n: string): Tensor => w.get(n)!;
	const wte = rows(W('transformer.wte.weight'));
	const wpe = rows(W('transformer.wpe.weight'));
	const d = c.nEmbd;
	let h = ids.map((id, t) => add(wte[id]!, wpe[t]!));
	for (let l = 0; l < c.nLayer; l++) {
		const p = `transformer.h.${l}.`;
		const qkv = h.map(x => conv1d(layerNorm(x, vec(W(`${p}ln_1.weight`)), vec(W(`${p}ln_1.bias`)), c.layerNormEpsilon), rows(W(`${p}attn.c_attn.weight`)), vec(W(`${p}attn.c_attn.bias`))));
		const ctx = attend(qkv.map(r => r.slice(0, d)), qkv.map(r => r.slice(d, 2 * d)), qkv.map(r => r.slice(2 * d)), c.nHead, c.nHead, d / c.nHead);
		h = h.map((x, t) => add(x, conv1d(ctx[t]!, rows(W(`${p}attn.c_proj.weight`)), vec(W(`${p}attn.c_proj.bias`)))));
		h = h.map(x => {
			const m = layerNorm(x, vec(W(`${p}ln_2.weight`)), vec(W(`${p}ln_2.bias`)), c.layerNormEpsilon);
			const f = conv1d(m, rows(W(`${p}mlp.c_fc.weight`)), vec(W(`${p}mlp.c_fc.bias`))).map(gelu);
			return add(x, conv1d(f, rows(W(`${p}mlp.c_proj.weight`)), vec(W(`${p}mlp.c_proj.bias`))));
		});
	}
	return h.map(x => linear(layerNorm(x, vec(W('transformer.ln_f.weight')), vec(W('transformer.ln_f.bias')), c.layerNormEpsilon), wte));
}

function referenceLlama(c: LlamaConfig, w: Weights, ids: number[]): Vec[] {
	const W = (n: string): Vec[] => rows(w.get(n)!);
	const g = (n: string): Vec => vec(w.get(n)!);
	const hd = c.hiddenSize / c.numAttentionHeads;
	const rope = (x: Vec, pos: number): Vec =>
		x.map((v, i) => {
			const d = i % hd;
			const half = hd / 2;
			const angle = pos / c.ropeTheta ** ((2 * (d % half)) / hd);
			const other = d < half ? -x[i + half]! : x[i - half]!;
			return v * Math.cos(angle) + other * Math.sin(angle);
		});
	let h = ids.map(id => W('model.embed_tokens.weight')[id]!);
	for (let l = 0; l < c.numHiddenLayers; l++) {
		const p = `model.layers.${l}.`;
		const a = h.map(x => rmsNorm(x, g(`${p}input_layernorm.weight`), c.rmsNormEps));
		const q = a.map((x, t) => rope(linear(x, W(`${p}self_attn.q_proj.weight`)), t));
		const k = a.map((x, t) => rope(linear(x, W(`${p}self_attn.k_proj.weight`)), t));
		const v = a.map(x => linear(x, W(`${p}self_attn.v_proj.weight`)));
		const ctx = attend(q, k, v, c.numAttentionHeads, c.numKeyValueHeads, hd);
		h = h.map((x, t) => add(x, linear(ctx[t]!, W(`${p}self_attn.o_proj.weight`))));
		h = h.map(x => {
			const m = rmsNorm(x, g(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
			const gate = linear(m, W(`${p}mlp.gate_proj.weight`));
			const up = linear(m, W(`${p}mlp.up_proj.weight`));
			return add(x, linear(gate.map((z, i) => (z / (1 + Math.exp(-z))) * up[i]!), W(`${p}mlp.down_proj.weight`)));
		});
	}
	const head = W(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
	return h.map(x => linear(rmsNorm(x, g('model.norm.weight'), c.rmsNormEps), head));
}

// ---- Running the ONNX graphs. ----

type Family = {
	name: 'gpt2' | 'llama';
	config: (dtype: FloatDType) => Gpt2Config | LlamaConfig;
	weights: (dtype: FloatDType) => Weights;
	build: (config: Gpt2Config | LlamaConfig, weights: Weights) => Model;
	reference: (config: Gpt2Config | LlamaConfig, weights: Weights, ids: number[]) => Vec[];
	layers: number;
	kvHeads: number;
	headDim: number;
};
const FAMILIES: Family[] = [
	{
		name: 'gpt2',
		config: gpt2Config,
		weights: dtype => perturb(randomGpt2Weights(gpt2Config(dtype), 1), 2),
		build: (c, w) => buildGpt2(c as Gpt2Config, w),
		reference: (c, w, ids) => referenceGpt2(c as Gpt2Config, w, ids),
		layers: 2, kvHeads: 4, headDim: 4,
	},
	{
		name: 'llama',
		config: llamaConfig,
		weights: dtype => perturb(randomLlamaWeights(llamaConfig(dtype), 1), 2),
		build: (c, w) => buildLlama(c as LlamaConfig, w),
		reference: (c, w, ids) => referenceLlama(c as LlamaConfig, w, ids),
		layers: 2, kvHeads: 2, headDim: 4,
	},
];

const session = async (model: Model, dtype: FloatDType): Promise<OrtSession> =>
	createSession(encodeModel(model), {optimization: dtype === 'float64' ? 'basic' : 'all'});
const randomIds = (n: number, seed: number): number[] => {
	const r = seededRandom(seed);
	return Array.from({length: n}, () => Math.floor(r() * 37));
};
const ints = (rowsOf: number[][]): OrtTensor => ortTensor('int64', BigInt64Array.from(rowsOf.flat(), BigInt), [rowsOf.length, rowsOf[0]!.length]);
const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, i) => from + i);

/** Run a batch; `past` defaults to an empty cache; mask defaults to all ones over past + new tokens. */
async function forward(s: OrtSession, f: Family, dtype: FloatDType, ids: number[][], opts: {past?: Record<string, OrtTensor>; pastLength?: number; mask?: number[][]; positions?: number[][]} = {}) {
	const pastLength = opts.pastLength ?? 0;
	const batch = ids.length;
	const feeds: Record<string, OrtTensor> = {
		input_ids: ints(ids),
		attention_mask: ints(opts.mask ?? ids.map(r => new Array<number>(pastLength + r.length).fill(1))),
		position_ids: ints(opts.positions ?? ids.map(r => range(pastLength, pastLength + r.length))),
	};
	for (let i = 0; i < f.layers; i++) {
		for (const kind of ['key', 'value']) {
			feeds[`past_key_values.${i}.${kind}`] = opts.past?.[`present.${i}.${kind}`] ?? ortTensor(dtype, dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), [batch, f.kvHeads, 0, f.headDim]);
		}
	}
	return run(s, feeds);
}
/** Logits [S][V] of batch row `b`. */
const logitsOf = (t: OrtTensor, b = 0): Vec[] => {
	const [, S, V] = t.dims as number[];
	const flat = Array.from(t.data as Float64Array);
	return Array.from({length: S!}, (_, s) => flat.slice((b * S! + s) * V!, (b * S! + s + 1) * V!));
};
const maxDiff = (a: Vec[], b: Vec[]): number => {
	assert.equal(a.length, b.length);
	return Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i]![j]!))));
};
/** An explicit message: assert.ok without one makes node re-parse this TypeScript source, which can hang. */
const assertClose = (a: Vec[], b: Vec[], tol: number, what: string): void => {
	const d = maxDiff(a, b);
	assert.ok(d < tol, `${what}: max difference ${d} exceeds ${tol}`);
};

for (const f of FAMILIES) {
	test(`${f.name}: float64 logits match the reference forward for lengths 3, 7 and 11`, async () => {
		const config = f.config('float64');
		const weights = f.weights('float64');
		const s = await session(f.build(config, weights), 'float64');
		for (const [n, seed] of [[3, 10], [7, 11], [11, 12]] as const) {
			const ids = randomIds(n, seed);
			const out = await forward(s, f, 'float64', [ids]);
			const expected = f.reference(config, weights, ids);
			assertClose(logitsOf(out.logits!), expected, 1e-9, `float64, length ${n}`);
			assert.ok(Math.max(...expected.flat().map(Math.abs)) > 0.5, 'logits are not trivially small');
			assert.deepEqual(out['present.1.key']!.dims, [1, f.kvHeads, n, f.headDim]);
		}
	});

	test(`${f.name}: float32 logits match the reference forward to 1e-4`, async () => {
		const config = f.name === 'llama' ? llamaConfig('float32', true) : f.config('float32');
		const weights = f.name === 'llama' ? perturb(randomLlamaWeights(config as LlamaConfig, 3), 4) : f.weights('float32');
		const s = await session(f.build(config, weights), 'float32');
		for (const [n, seed] of [[3, 20], [7, 21]] as const) {
			const ids = randomIds(n, seed);
			const out = await forward(s, f, 'float32', [ids]);
			assert.equal(out.logits!.type, 'float32');
			assertClose(logitsOf(out.logits!), f.reference(config, weights, ids), 1e-4, `float32, length ${n}`);
		}
	});

	test(`${f.name}: running with the KV cache equals running all tokens at once`, async () => {
		const config = f.config('float64');
		const s = await session(f.build(config, f.weights('float64')), 'float64');
		const ids = randomIds(11, 30);
		const whole = logitsOf((await forward(s, f, 'float64', [ids])).logits!);
		let past: Record<string, OrtTensor> | undefined;
		for (const [from, to] of [[0, 4], [4, 7], [7, 11]] as const) {
			const out = await forward(s, f, 'float64', [ids.slice(from, to)], {past, pastLength: from});
			assertClose(logitsOf(out.logits!), whole.slice(from, to), 1e-9, `tokens ${from}..${to}`);
			assert.deepEqual(out['present.0.value']!.dims, [1, f.kvHeads, to, f.headDim]);
			past = out;
		}
	});

	test(`${f.name}: right and left padding in a batch of 2 leave the real positions unchanged`, async () => {
		const s = await session(f.build(f.config('float64'), f.weights('float64')), 'float64');
		const long = randomIds(7, 40);
		const short = randomIds(3, 41);
		const out = await forward(s, f, 'float64', [long, [...short, 0, 0, 0, 0]], {mask: [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0]]});
		const alone = async (ids: number[]) => logitsOf((await forward(s, f, 'float64', [ids])).logits!);
		assertClose(logitsOf(out.logits!, 0), await alone(long), 1e-9, 'longer row');
		assertClose(logitsOf(out.logits!, 1).slice(0, 3), await alone(short), 1e-9, 'right-padded row');
		assert.ok(Array.from(out.logits!.data as Float64Array).every(Number.isFinite), 'logits stay finite');
		// Right padding never reaches a real position through the causal mask; left padding does, so it tests the
		// padding mask itself (positions as HF computes them, cumsum(mask) - 1, clamped at 0).
		const left = await forward(s, f, 'float64', [long, [0, 0, 0, 0, ...short]], {
			mask: [[1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1]],
			positions: [range(0, 7), [0, 0, 0, 0, 0, 1, 2]],
		});
		assertClose(logitsOf(left.logits!, 1).slice(4), await alone(short), 1e-9, 'left-padded row');
		assert.ok(Array.from(left.logits!.data as Float64Array).every(Number.isFinite), 'fully padded rows stay finite');
	});

	test(`${f.name}: interface, embedding Gather and the ops between weights and logits`, () => {
		const config = f.config('float32');
		const weights = f.weights('float32');
		const model = f.build(config, weights);
		const g = model.graph;
		assert.equal(model.irVersion, 8);
		assert.deepEqual(model.opsets, [{domain: '', version: 17}]);
		const kv = range(0, f.layers).flatMap(i => [`.${i}.key`, `.${i}.value`]);
		assert.deepEqual(g.inputs.map(v => v.name), ['input_ids', 'attention_mask', 'position_ids', ...kv.map(k => `past_key_values${k}`)]);
		assert.deepEqual(g.outputs.map(v => v.name), ['logits', ...kv.map(k => `present${k}`)]);
		assert.deepEqual(g.inputs[1]!.shape, ['batch_size', 'past_sequence_length + sequence_length']);
		assert.deepEqual(g.outputs[0]!.shape, ['batch_size', 'sequence_length', 37]);
		for (const [name, t] of weights) {
			assert.equal(g.initializers.get(name), t, `${name} is the initializer itself`);
		}
		const embedding = f.name === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
		const lookups = g.nodes.filter(n => n.op === 'Gather' && n.inputs[1] === 'input_ids');
		assert.equal(lookups.length, 1);
		assert.equal(lookups[0]!.inputs[0], embedding);
		// Nodes both downstream of a weight and upstream of the logits.
		const down = new Set(weights.keys());
		for (const n of g.nodes) {
			if (n.inputs.some(i => down.has(i))) n.outputs.forEach(o => down.add(o));
		}
		const up = new Set(['logits']);
		for (const n of [...g.nodes].reverse()) {
			if (n.outputs.some(o => up.has(o))) n.inputs.forEach(i => up.add(i));
		}
		const onPath = new Set(g.nodes.filter(n => n.inputs.some(i => down.has(i)) && n.outputs.some(o => up.has(o))).map(n => n.op));
		const allowed = 'MatMul Add Mul Div Neg Pow Sqrt Tanh Sigmoid Softmax ReduceMean Transpose Reshape Unsqueeze Expand Where Concat Split Gather LayerNormalization';
		assert.deepEqual([...onPath].filter(op => !allowed.split(' ').includes(op)), []);
	});
}

test('hub folder round trip: config.json and model.onnx read back to the same model', async () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'gmpo-builders-'));
	try {
		for (const f of FAMILIES) {
			const config = f.config('float64');
			const model = f.build(config, f.weights('float64'));
			const folder = path.join(dir, f.name);
			writeHubFolder(folder, model, config);
			assert.deepEqual(readHubConfig(folder), {family: f.name, config});
			const ids = randomIds(5, 50);
			const a = await forward(await session(model, 'float64'), f, 'float64', [ids]);
			const b = await forward(await createSession(path.join(folder, 'model.onnx'), {optimization: 'basic'}), f, 'float64', [ids]);
			assert.deepEqual(logitsOf(b.logits!), logitsOf(a.logits!));
			assert.deepEqual([...readModel(path.join(folder, 'model.onnx')).graph.initializers.keys()].filter(k => !k.startsWith('/')).sort(), [...f.weights('float64').keys()].sort());
		}
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('readHubConfig reads a real GPT-2 config.json and names the field of a bad one', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'gmpo-builders-'));
	try {
		const file = path.join(dir, 'config.json');
		const real = {activation_function: 'gelu_new', architectures: ['GPT2LMHeadModel'], bos_token_id: 50256, eos_token_id: 50256, layer_norm_epsilon: 1e-5, model_type: 'gpt2', n_ctx: 1024, n_embd: 768, n_head: 12, n_inner: null, n_layer: 12, n_positions: 1024, vocab_size: 50257};
		writeFileSync(file, JSON.stringify(real));
		assert.deepEqual(readHubConfig(dir), {
			family: 'gpt2',
			config: {vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12, layerNormEpsilon: 1e-5, bosTokenId: 50256, eosTokenId: 50256, dtype: 'float32'},
		});
		writeFileSync(file, JSON.stringify({...real, n_head: 'twelve'}));
		assert.throws(() => readHubConfig(dir), (e: unknown) => e instanceof UserError && e.field === 'n_head' && e.file === file);
		writeFileSync(file, JSON.stringify({model_type: 'bert'}));
		assert.throws(() => readHubConfig(dir), (e: unknown) => e instanceof UserError && e.field === 'model_type');
		rmSync(file);
		assert.throws(() => readHubConfig(dir), (e: unknown) => e instanceof UserError && /no config.json/.test(e.message));
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
