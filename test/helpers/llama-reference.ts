/**
 * A float64 reference forward of the Llama-family decoder over one sequence, written in plain loops from the
 * transformers modelling code (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM): biases,
 * per-head q/k RMSNorm, explicit head_dim, RoPE scaling ("linear", "llama3") and a sliding window. Independent of the
 * ONNX builder it checks: it shares no code with it.
 */
import type {LlamaConfig} from '../../source/onnx/builders/llama.js';
import type {Tensor} from '../../source/onnx/ir.js';

type Vec = number[];

const rows = (t: Tensor): Vec[] => {
	const n = t.dims.at(-1)!;
	const flat = Array.from(t.data as Float64Array);
	return Array.from({length: flat.length / n}, (_, i) => flat.slice(i * n, (i + 1) * n));
};
const linear = (x: Vec, w: Vec[], b?: Vec): Vec => w.map((row, o) => row.reduce((s, wi, i) => s + wi * x[i]!, b ? b[o]! : 0));
const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);
function rmsNorm(x: Vec, g: Vec, eps: number): Vec {
	const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
	return x.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]!);
}

/** transformers' inverse frequencies, with the config's scaling (modeling_rope_utils). */
export function referenceInvFreq(c: LlamaConfig): number[] {
	const hd = c.headDim ?? c.hiddenSize / c.numAttentionHeads;
	const inv = Array.from({length: hd / 2}, (_, i) => 1 / c.ropeTheta ** ((2 * i) / hd));
	const s = c.ropeScaling;
	if (s?.type === 'linear') return inv.map(f => f / s.factor);
	if (s?.type !== 'llama3') return inv;
	const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
	const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
	return inv.map(f => {
		const wavelen = (2 * Math.PI) / f;
		const scaled = wavelen > lowWavelen ? f / s.factor : f;
		const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
		const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
		return medium ? ((1 - smooth) * scaled) / s.factor + smooth * scaled : scaled;
	});
}

/** Logits [S][V] of `ids` (positions 0..S-1). */
export function referenceLlamaLogits(c: LlamaConfig, w: ReadonlyMap<string, Tensor>, ids: number[]): Vec[] {
	const W = (n: string): Vec[] => rows(w.get(n)!);
	const g = (n: string): Vec | undefined => (w.has(n) ? Array.from(w.get(n)!.data as Float64Array) : undefined);
	const hd = c.headDim ?? c.hiddenSize / c.numAttentionHeads;
	const inv = referenceInvFreq(c);
	const rope = (x: Vec, pos: number): Vec =>
		x.map((v, i) => {
			const d = i % hd;
			const half = hd / 2;
			const angle = pos * inv[d % half]!;
			const other = d < half ? -x[i + half]! : x[i - half]!;
			return v * Math.cos(angle) + other * Math.sin(angle);
		});
	const perHead = (x: Vec, weight: Vec | undefined): Vec => {
		if (!weight) return x;
		const out: Vec = [];
		for (let h = 0; h < x.length / hd; h++) out.push(...rmsNorm(x.slice(h * hd, (h + 1) * hd), weight, c.rmsNormEps));
		return out;
	};
	let h = ids.map(id => W('model.embed_tokens.weight')[id]!);
	for (let l = 0; l < c.numHiddenLayers; l++) {
		const p = `model.layers.${l}.`;
		const a = h.map(x => rmsNorm(x, g(`${p}input_layernorm.weight`)!, c.rmsNormEps));
		const proj = (x: Vec, name: string) => linear(x, W(`${p}${name}.weight`), g(`${p}${name}.bias`));
		const q = a.map((x, t) => rope(perHead(proj(x, 'self_attn.q_proj'), g(`${p}self_attn.q_norm.weight`)), t));
		const k = a.map((x, t) => rope(perHead(proj(x, 'self_attn.k_proj'), g(`${p}self_attn.k_norm.weight`)), t));
		const v = a.map(x => proj(x, 'self_attn.v_proj'));
		const window = c.slidingWindow !== undefined && (c.slidingLayers ?? [l]).includes(l) ? c.slidingWindow : Number.POSITIVE_INFINITY;
		const ctx = q.map((qt, t) => {
			const out: Vec = [];
			for (let head = 0; head < c.numAttentionHeads; head++) {
				const kh = Math.floor(head / (c.numAttentionHeads / c.numKeyValueHeads));
				const qh = qt.slice(head * hd, (head + 1) * hd);
				const visible = k.map((_, j) => j).filter(j => j <= t && t - j < window);
				const scores = visible.map(j => k[j]!.slice(kh * hd, (kh + 1) * hd).reduce((s, kv, d) => s + kv * qh[d]!, 0) / Math.sqrt(hd));
				const max = Math.max(...scores);
				const e = scores.map(s => Math.exp(s - max));
				const z = e.reduce((x, y) => x + y, 0);
				for (let d = 0; d < hd; d++) out.push(e.reduce((s, pr, i) => s + (pr / z) * v[visible[i]!]![kh * hd + d]!, 0));
			}
			return out;
		});
		h = h.map((x, t) => add(x, proj(ctx[t]!, 'self_attn.o_proj')));
		h = h.map(x => {
			const m = rmsNorm(x, g(`${p}post_attention_layernorm.weight`)!, c.rmsNormEps);
			const gate = proj(m, 'mlp.gate_proj');
			const up = proj(m, 'mlp.up_proj');
			return add(x, proj(gate.map((z, i) => (z / (1 + Math.exp(-z))) * up[i]!), 'mlp.down_proj'));
		});
	}
	const head = W(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
	return h.map(x => linear(rmsNorm(x, g('model.norm.weight')!, c.rmsNormEps), head));
}
