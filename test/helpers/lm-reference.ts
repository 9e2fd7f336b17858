/**
 * Plain float64 building blocks for reference forward passes of the decoder architectures, written from the
 * transformers modelling code and independent of the graph builders: the tests compare the ONNX graphs with
 * straightforward loops over one sequence built from these.
 */
import type {Tensor} from '../../source/onnx/ir.js';

export type Vec = number[];

/** Rows of a 2-D tensor (or of the last axis). */
export function rows(t: Tensor): Vec[] {
	const n = t.dims.at(-1)!;
	const flat = Array.from(t.data as Float64Array);
	return Array.from({length: flat.length / n}, (_, i) => flat.slice(i * n, (i + 1) * n));
}

export const vec = (t: Tensor): Vec => Array.from(t.data as Float64Array);
/** x [in] times W^T with W [out, in] (nn.Linear layout), plus an optional bias. */
export const linear = (x: Vec, w: Vec[], bias?: Vec): Vec => w.map((row, o) => row.reduce((s, wi, i) => s + wi * x[i]!, bias ? bias[o]! : 0));
export const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);
export const mul = (a: Vec, b: Vec): Vec => a.map((v, i) => v * b[i]!);

export function layerNorm(x: Vec, g: Vec, b: Vec, eps: number): Vec {
	const mean = x.reduce((s, v) => s + v, 0) / x.length;
	const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
	return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
}

/** RMSNorm: x / rms(x) times g, or times (1 + g) for Gemma. */
export function rmsNorm(x: Vec, g: Vec, eps: number, plusOne = false): Vec {
	const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
	return x.map((v, i) => (v / Math.sqrt(ms + eps)) * (plusOne ? 1 + g[i]! : g[i]!));
}

/** erf by its everywhere-positive series erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (2n+1)!!, exact to ~1e-16. */
export function erf(x: number): number {
	const ax = Math.abs(x);
	if (ax > 6) {
		return Math.sign(x);
	}
	let term = ax;
	let sum = ax;
	for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
		term *= (2 * ax * ax) / (2 * n + 1);
		sum += term;
	}
	return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

export const geluErf = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
export const silu = (x: number): number => x / (1 + Math.exp(-x));

/**
 * RoPE inverse frequencies as transformers' float32 buffers hold them: 1 / (factor_i * theta^(2i / dim)), every
 * intermediate rounded to float32.
 */
export function inverseFrequencies(theta: number, dim: number, factors?: Vec): Vec {
	const out: Vec = [];
	for (let i = 0; i < dim / 2; i++) {
		const exponent = Math.fround((2 * i) / dim);
		out.push(Math.fround(1 / Math.fround((factors ? factors[i]! : 1) * Math.fround(theta ** exponent))));
	}
	return out;
}

/**
 * Rotary embedding of every head of x (heads * headDim values) at position `pos`: the first rotaryDim dimensions
 * of each head rotated in the rotate_half convention, cos and sin multiplied by `scale`, the rest unchanged.
 */
export function rope(x: Vec, pos: number, o: {headDim: number; rotaryDim: number; invFreq: Vec; scale?: number}): Vec {
	const half = o.rotaryDim / 2;
	const s = o.scale ?? 1;
	return x.map((v, i) => {
		const d = i % o.headDim;
		if (d >= o.rotaryDim) {
			return v;
		}
		const angle = pos * o.invFreq[d % half]!;
		const other = d < half ? -x[i + half]! : x[i - half]!;
		return v * Math.cos(angle) * s + other * Math.sin(angle) * s;
	});
}

/** Attention settings of the reference. */
export type AttendOptions = {
	heads: number;
	kvHeads: number;
	headDim: number;
	/** Score factor (default headDim^-0.5). */
	scale?: number;
	/** Scores become cap * tanh(score / cap) before masking. */
	softcap?: number;
	/** Key j is visible to query t only when t - j < window. */
	window?: number;
};

/** Causal attention over one sequence; query head h reads key/value head floor(h / (heads / kvHeads)). */
export function attend(q: Vec[], k: Vec[], v: Vec[], o: AttendOptions): Vec[] {
	const hd = o.headDim;
	const scale = o.scale ?? 1 / Math.sqrt(hd);
	return q.map((qt, t) => {
		const out: Vec = [];
		const first = o.window === undefined ? 0 : Math.max(0, t - o.window + 1);
		for (let h = 0; h < o.heads; h++) {
			const kh = Math.floor(h / (o.heads / o.kvHeads));
			const qh = qt.slice(h * hd, (h + 1) * hd);
			const scores = k.slice(first, t + 1).map(ks => {
				const s = ks.slice(kh * hd, (kh + 1) * hd).reduce((acc, kv, d) => acc + kv * qh[d]!, 0) * scale;
				return o.softcap === undefined ? s : o.softcap * Math.tanh(s / o.softcap);
			});
			const max = Math.max(...scores);
			const e = scores.map(s => Math.exp(s - max));
			const z = e.reduce((a, b) => a + b, 0);
			for (let d = 0; d < hd; d++) {
				out.push(e.reduce((s, p, j) => s + (p / z) * v[first + j]![kh * hd + d]!, 0));
			}
		}
		return out;
	});
}
