/**
 * Conversions between the float encodings of checkpoints (bfloat16, float16) and float32, over whole typed arrays.
 * bfloat16 is the top half of a float32, so widening is a shift and narrowing rounds to nearest-even on the low
 * half. float16 goes through @petamoriken/float16 (IEEE 754 half precision, subnormals and rounding included);
 * widening uses a 65536-entry table made with it, so a billion-element tensor costs one lookup per element.
 */
import {getFloat16, setFloat16} from '@petamoriken/float16';

/** bfloat16 words to float32 (exact). */
export function bf16ToF32(words: Uint16Array, out = new Float32Array(words.length)): Float32Array {
	const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
	for (let i = 0; i < words.length; i++) {
		bits[i] = words[i]! << 16;
	}
	return out;
}

/** float32 values to bfloat16 words, rounded to nearest-even as torch does; NaN stays NaN. */
export function f32ToBf16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
	const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
	for (let i = 0; i < values.length; i++) {
		const b = bits[i]!;
		out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
	}
	return out;
}

let halfTable: Float32Array | undefined;

/** float16 words to float32 (exact). */
export function f16ToF32(words: Uint16Array, out = new Float32Array(words.length)): Float32Array {
	if (!halfTable) {
		halfTable = new Float32Array(65536);
		const view = new DataView(new ArrayBuffer(2));
		for (let w = 0; w < 65536; w++) {
			view.setUint16(0, w, true);
			halfTable[w] = getFloat16(view, 0, true);
		}
	}
	const table = halfTable;
	for (let i = 0; i < words.length; i++) {
		out[i] = table[words[i]!]!;
	}
	return out;
}

/** float32 (or float64) values to float16 words, rounded to nearest-even. */
export function f32ToF16(values: Float32Array | Float64Array, out = new Uint16Array(values.length)): Uint16Array {
	const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
	for (let i = 0; i < values.length; i++) {
		setFloat16(view, 2 * i, values[i]!, true);
	}
	return out;
}
