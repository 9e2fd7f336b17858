/**
 * Layers the Phi-3, Gemma and GPT-NeoX builders share: RMSNorm (also Gemma's 1 + w form), LayerNorm, the GELU
 * variants by their transformers names, and rotary position embeddings with a partial rotary size, frequency
 * tables chosen at run time (LongRoPE) and a cos/sin scaling factor. All from ops the autodiff differentiates.
 */
import {attr, tensorOf} from '../ir.js';
import type {GraphBuilder} from '../graph-builder.js';
import type {FloatDType} from './common.js';

/**
 * RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) times the weight, or times (1 + weight) with `plusOne`
 * (Gemma, whose norm weights are stored centred on zero).
 */
export function rmsNorm(b: GraphBuilder, x: string, weight: string, eps: number, dtype: FloatDType, plusOne = false): string {
	const meanSquare = b.reduce('ReduceMean', b.op('Pow', [x, b.scalar(2, dtype)]), [-1], true);
	const rms = b.op('Sqrt', [b.op('Add', [meanSquare, b.scalar(eps, dtype)])]);
	const scale = plusOne ? b.op('Add', [weight, b.scalar(1, dtype)]) : weight;
	return b.op('Mul', [b.op('Div', [x, rms]), scale]);
}

/** LayerNorm with weight `${prefix}.weight` and bias `${prefix}.bias` over the last axis. */
export function layerNorm(b: GraphBuilder, x: string, prefix: string, epsilon: number): string {
	return b.op('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {axis: attr.int(-1), epsilon: attr.float(epsilon)});
}

/** The activations the builders accept, by their transformers (ACT2FN) names. */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** True for an activation name the builders implement. */
export function isActivation(name: unknown): name is Activation {
	return typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
}

/**
 * `name` applied to x. gelu: the exact form 0.5 x (1 + erf(x / sqrt 2)); gelu_new and gelu_pytorch_tanh: the tanh
 * approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); gelu_fast: the same with transformers' rounded
 * constant 0.7978845608; silu: x sigmoid(x). (ONNX Gelu only exists from opset 20; these graphs are opset 17.)
 */
export function activation(b: GraphBuilder, x: string, name: Activation, dtype: FloatDType): string {
	const k = (v: number) => b.scalar(v, dtype);
	switch (name) {
		case 'silu':
			return b.op('Mul', [x, b.op('Sigmoid', [x])]);
		case 'gelu': {
			const e = erf(b, b.op('Div', [x, k(Math.SQRT2)]), dtype);
			return b.op('Mul', [b.op('Mul', [x, k(0.5)]), b.op('Add', [e, k(1)])]);
		}
		case 'gelu_new':
		case 'gelu_pytorch_tanh':
		case 'gelu_fast': {
			const c = name === 'gelu_fast' ? 0.7978845608 : Math.sqrt(2 / Math.PI);
			const cube = b.op('Mul', [x, b.op('Mul', [x, x])]);
			const inner = b.op('Add', [x, b.op('Mul', [cube, k(0.044715)])]);
			const t = b.op('Tanh', [b.op('Mul', [inner, k(c)])]);
			return b.op('Mul', [b.op('Mul', [x, k(0.5)]), b.op('Add', [t, k(1)])]);
		}
	}
}

/** Where |z| switches from the series to the continued fraction, and how many terms each takes. */
const ERF_SPLIT = 2.5;
const ERF_SERIES_TERMS = 34;
const ERF_FRACTION_DEPTH = 24;

/**
 * erf(z). In float32 the Erf op; onnxruntime has no float64 Erf kernel, so in float64 it is built from ops it
 * runs in double (and the autodiff differentiates): for |z| < 2.5 the series
 * erf(z) = 2/sqrt(pi) exp(-z^2) z sum_n (2 z^2)^n / (2n+1)!! (positive terms, so no cancellation), beyond it
 * 1 - erfc(|z|) with the continued fraction erfc(z) = exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / ...))).
 * Measured against a 400-term series: within 2e-15 everywhere. Each branch reads an input clamped to its own range,
 * so the branch not taken stays finite and its (zero) gradient cannot turn into NaN.
 */
export function erf(b: GraphBuilder, z: string, dtype: FloatDType): string {
	if (dtype === 'float32') {
		return b.op('Erf', [z]);
	}
	const k = (v: number) => b.scalar(v, dtype);
	const negative = b.op('Less', [z, k(0)]);
	const abs = b.op('Where', [negative, b.op('Neg', [z]), z]);
	const far = b.op('GreaterOrEqual', [abs, k(ERF_SPLIT)]);
	// Near zero: Horner over u = z^2 of sum a_n u^n, a_n = 2^n / (2n+1)!!.
	const zs = b.op('Where', [far, k(0), z]);
	const u = b.op('Mul', [zs, zs]);
	const coefficients = [1];
	for (let n = 1; n <= ERF_SERIES_TERMS; n++) {
		coefficients.push((coefficients[n - 1]! * 2) / (2 * n + 1));
	}
	let sum = b.op('Mul', [u, k(coefficients[ERF_SERIES_TERMS]!)]);
	for (let n = ERF_SERIES_TERMS - 1; n >= 1; n--) {
		sum = b.op('Mul', [b.op('Add', [sum, k(coefficients[n]!)]), u]);
	}
	sum = b.op('Add', [sum, k(1)]);
	const gauss = (square: string) => b.op('Exp', [b.op('Neg', [square])]);
	const near = b.op('Mul', [b.op('Mul', [b.op('Mul', [gauss(u), zs]), sum]), k(2 / Math.sqrt(Math.PI))]);
	// Far from zero: the continued fraction evaluated from its tail, on |z| clamped to at least the split.
	const zc = b.op('Where', [far, abs, k(ERF_SPLIT)]);
	let fraction = zc;
	for (let j = ERF_FRACTION_DEPTH; j >= 1; j--) {
		fraction = b.op('Add', [zc, b.op('Div', [k(j / 2), fraction])]);
	}
	const erfc = b.op('Div', [b.op('Mul', [gauss(b.op('Mul', [zc, zc])), k(1 / Math.sqrt(Math.PI))]), fraction]);
	const tail = b.op('Sub', [k(1), erfc]);
	const farValue = b.op('Where', [negative, b.op('Neg', [tail]), tail]);
	return b.op('Where', [far, farValue, near]);
}

/**
 * Inverse frequencies of RoPE over `rotaryDim` dimensions: 1 / (factor_i * theta^(2i / rotaryDim)), each rounded to
 * float32 because transformers keeps them in a float32 buffer (and so do its float64 reference runs).
 */
export function ropeInverseFrequencies(theta: number, rotaryDim: number, factors?: readonly number[]): number[] {
	return Array.from({length: rotaryDim / 2}, (_, i) => Math.fround(1 / Math.fround((factors?.[i] ?? 1) * Math.fround(theta ** Math.fround((2 * i) / rotaryDim)))));
}

/** How the rotary tables are made. */
export type RotarySpec = {
	/** Dimensions rotated at the start of each head (even; the rest of the head passes through). */
	rotaryDim: number;
	/** Inverse frequencies (rotaryDim / 2) for positions that fit the original context. */
	invFreq: number[];
	/**
	 * LongRoPE: the frequencies used instead when max(position_ids) + 1 exceeds `originalMaxPositions`, checked per
	 * run over the whole batch as transformers does.
	 */
	long?: {invFreq: number[]; originalMaxPositions: number};
	/** Factor on cos and sin (LongRoPE's attention factor; 1 otherwise). */
	scale: number;
	/** Float type of the tables. */
	dtype: FloatDType;
};

/** cos and sin tables [B, 1, S, rotaryDim] for the two RoPE halves. */
export type RotaryTables = {cos: string; sin: string; rotaryDim: number};

/**
 * cos and sin of position_ids * inv_freq, the frequencies repeated for both halves as in HF. Computed from the
 * integer positions only, so no weight gradient flows through Cos/Sin.
 */
export function rotaryTables(b: GraphBuilder, spec: RotarySpec): RotaryTables {
	const table = (f: number[], hint: string) => b.constant(tensorOf(spec.dtype, [spec.rotaryDim], [...f, ...f]), hint);
	let freqs = table(spec.invFreq, 'rope_inv_freq');
	if (spec.long) {
		const maxPosition = b.reduce('ReduceMax', 'position_ids', [0, 1], false);
		// max + 1 > original, in integers: max >= original.
		const isLong = b.op('GreaterOrEqual', [maxPosition, b.scalar(spec.long.originalMaxPositions, 'int64')]);
		freqs = b.op('Where', [isLong, table(spec.long.invFreq, 'rope_long_inv_freq'), freqs]);
	}
	const positions = b.unsqueeze(b.cast('position_ids', spec.dtype), [1, 3]); // [B, 1, S, 1]
	const angles = b.op('Mul', [positions, freqs]); // [B, 1, S, rotaryDim]
	let cos = b.op('Cos', [angles]);
	let sin = b.op('Sin', [angles]);
	if (spec.scale !== 1) {
		cos = b.op('Mul', [cos, b.scalar(spec.scale, spec.dtype)]);
		sin = b.op('Mul', [sin, b.scalar(spec.scale, spec.dtype)]);
	}
	return {cos, sin, rotaryDim: spec.rotaryDim};
}

/**
 * RoPE on x [B, heads, S, headDim] in the rotate_half convention on the first rotaryDim dimensions:
 * x_rot * cos + rotate_half(x_rot) * sin, rotate_half(v) = concat(-v2, v1); the remaining dimensions pass through.
 */
export function applyRotary(b: GraphBuilder, x: string, rope: RotaryTables, headDim: number): string {
	const r = rope.rotaryDim;
	const [rot, pass] = r === headDim ? [x, undefined] : b.split(x, 3, [r, headDim - r]);
	const [x1, x2] = b.split(rot!, 3, [r / 2, r / 2]);
	const rotated = b.op('Concat', [b.op('Neg', [x2!]), x1!], {axis: attr.int(3)});
	const embedded = b.op('Add', [b.op('Mul', [rot!, rope.cos]), b.op('Mul', [rotated, rope.sin])]);
	return pass ? b.op('Concat', [embedded, pass], {axis: attr.int(3)}) : embedded;
}
