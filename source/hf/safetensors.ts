/**
 * Reading safetensors checkpoints (one file, or shards listed by model.safetensors.index.json) as lazy tensors:
 * only the headers are read up front; each tensor's bytes are read by offset from the file when its data is asked
 * for, converted to the compute type (float32, or float64 for float64 weights), and not kept. So a checkpoint of
 * any size opens in milliseconds, files over 2 GiB work, and converting holds one tensor's source bytes plus its
 * converted array at a time.
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__"?: {...}}, then the data; offsets are relative to the end of the header.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UserError} from '../errors.js';
import {lazyTensor, type DType, type Tensor, type TensorArray} from '../onnx/ir.js';
import {bf16ToF32, f16ToF32} from './float-convert.js';

/** The element types of the safetensors format, with their size in bytes. */
const DTYPE_BYTES = {
	BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
} as const;

/** A safetensors element type. */
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** The float types the reader converts (all delivered as float32, F64 as float64 unless asked otherwise). */
const FLOAT_TYPES = new Set<SafetensorsDType>(['F16', 'BF16', 'F32', 'F64']);

/** Integer and boolean types, delivered as stored. */
const INT_TYPES: Partial<Record<SafetensorsDType, DType>> = {BOOL: 'bool', U8: 'uint8', I8: 'int8', I16: 'int16', U16: 'uint16', I32: 'int32', U32: 'uint32', I64: 'int64', U64: 'uint64'};

/** One tensor of a safetensors file. */
export type SafetensorsEntry = {
	/** Tensor name as stored. */
	name: string;
	/** Absolute path of the file holding it. */
	file: string;
	/** Stored element type. */
	dtype: SafetensorsDType;
	/** Shape. */
	shape: number[];
	/** Absolute byte offset of its first element in the file. */
	offset: number;
	/** Length in bytes. */
	length: number;
};

/** A safetensors file's header. */
export type SafetensorsHeader = {
	/** Absolute path. */
	file: string;
	/** Tensors by name, in header order. */
	entries: Map<string, SafetensorsEntry>;
	/** The __metadata__ strings. */
	metadata: Record<string, string>;
};

/** safetensors refuses headers over 100 MB; so does this reader, before allocating them. */
const MAX_HEADER = 100_000_000;
/** Bytes per read call: readSync moves at most 2 GiB - 1 at once. */
const CHUNK = 1 << 30;

/** Read and validate the header of one safetensors file. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
	const abs = path.resolve(file);
	const bad = (message: string, tensor?: string): never => {
		throw new UserError(message, {file: abs, field: tensor});
	};
	let fd: number;
	try {
		fd = openSync(abs, 'r');
	} catch (error) {
		return bad(`cannot open the checkpoint file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	try {
		const size = fstatSync(fd).size;
		if (size < 8) bad(`not a safetensors file: ${size} bytes, shorter than the 8-byte header length`);
		const head = Buffer.alloc(8);
		readSync(fd, head, 0, 8, 0);
		const n = head.readBigUInt64LE(0);
		if (n > BigInt(Math.min(MAX_HEADER, size - 8))) {
			bad(`not a safetensors file, or truncated: its header claims ${n} bytes and the file has ${size}`);
		}
		const text = Buffer.alloc(Number(n));
		readExactly(fd, text, 8, abs);
		const dataStart = 8 + Number(n);
		const dataSize = size - dataStart;
		let json: unknown;
		try {
			json = JSON.parse(text.toString('utf8'));
		} catch (error) {
			bad(`not a safetensors file: its header is not JSON (${(error as Error).message})`);
		}
		if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('not a safetensors file: its header is not a JSON object');
		const duplicate = firstDuplicateKey(text.toString('utf8'));
		if (duplicate !== undefined) bad('the header names this tensor twice', duplicate);
		const entries = new Map<string, SafetensorsEntry>();
		let metadata: Record<string, string> = {};
		for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
			if (name === '__metadata__') {
				metadata = (value ?? {}) as Record<string, string>;
				continue;
			}
			entries.set(name, validEntry(name, value, abs, dataStart, dataSize, bad));
		}
		const sorted = [...entries.values()].sort((a, b) => a.offset - b.offset);
		for (let i = 1; i < sorted.length; i++) {
			const prev = sorted[i - 1]!;
			if (sorted[i]!.offset < prev.offset + prev.length) bad(`its bytes overlap those of ${prev.name}`, sorted[i]!.name);
		}
		return {file: abs, entries, metadata};
	} finally {
		closeSync(fd);
	}
}

function validEntry(name: string, value: unknown, file: string, dataStart: number, dataSize: number, bad: (m: string, t?: string) => never): SafetensorsEntry {
	const e = value as {dtype?: unknown; shape?: unknown; data_offsets?: unknown};
	if (typeof e !== 'object' || e === null) bad('expected {dtype, shape, data_offsets}', name);
	if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
		bad(`unknown dtype ${JSON.stringify(e.dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`, name);
	}
	const dtype = e.dtype as SafetensorsDType;
	const shape = e.shape;
	if (!Array.isArray(shape) || !shape.every(d => Number.isSafeInteger(d) && d >= 0)) bad(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`, name);
	const offsets = e.data_offsets;
	if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(o => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
		bad(`data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`, name);
	}
	const [begin, end] = offsets as [number, number];
	const elements = (shape as number[]).reduce((a, b) => a * b, 1);
	if (end - begin !== elements * DTYPE_BYTES[dtype]) {
		bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype}[${(shape as number[]).join(',')}] needs ${elements * DTYPE_BYTES[dtype]}`, name);
	}
	if (end > dataSize) {
		bad(`the file is truncated: this tensor ends at data byte ${end}, and the file holds ${dataSize} bytes of data`, name);
	}
	return {name, file, dtype, shape: [...(shape as number[])], offset: dataStart + begin, length: end - begin};
}

/**
 * The first key that appears twice at the top level of a JSON object text (JSON.parse keeps the last one silently,
 * which would hide a corrupt header).
 */
function firstDuplicateKey(text: string): string | undefined {
	const seen = new Set<string>();
	let depth = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '"') {
			const start = i;
			for (i++; i < text.length && text[i] !== '"'; i++) {
				if (text[i] === '\\') i++;
			}
			if (depth !== 1) continue;
			let j = i + 1;
			while (j < text.length && /\s/.test(text[j]!)) j++;
			if (text[j] !== ':') continue;
			const key = JSON.parse(text.slice(start, i + 1)) as string;
			if (seen.has(key)) return key;
			seen.add(key);
		} else if (c === '{' || c === '[') {
			depth++;
		} else if (c === '}' || c === ']') {
			depth--;
		}
	}
	return undefined;
}

function readExactly(fd: number, into: Uint8Array, position: number, file: string, tensor?: string): void {
	let done = 0;
	while (done < into.length) {
		const n = readSync(fd, into, done, Math.min(CHUNK, into.length - done), position + done);
		if (n === 0) {
			throw new UserError(`the file is truncated: ${into.length - done} bytes missing at byte ${position + done}`, {file, field: tensor});
		}
		done += n;
	}
}

/** Read an entry's bytes into `into` (its exact size), opening the file for this read only. */
function readEntry(entry: SafetensorsEntry, into: Uint8Array): void {
	let fd: number;
	try {
		fd = openSync(entry.file, 'r');
	} catch (error) {
		throw new UserError(`cannot open the checkpoint file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {file: entry.file, field: entry.name});
	}
	try {
		readExactly(fd, into, entry.offset, entry.file, entry.name);
	} finally {
		closeSync(fd);
	}
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * The tensor of `entry`, lazily: float types become float32 (F64 stays float64), or `as` when given; integer types
 * keep theirs. `stored` is set when the file's bytes are already the delivered elements, so a writer can reference
 * them in place.
 */
export function safetensorsTensor(entry: SafetensorsEntry, as?: 'float32' | 'float64'): Tensor {
	const n = entry.length / DTYPE_BYTES[entry.dtype];
	if (!LITTLE_ENDIAN) throw new Error('safetensors files are little-endian; this machine is not');
	const intType = INT_TYPES[entry.dtype];
	if (intType) {
		const load = (): TensorArray => {
			const out = allocateInt(intType, n);
			readEntry(entry, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
			return out;
		};
		return lazyTensor(intType, entry.shape, load, {file: entry.file, offset: entry.offset, length: entry.length});
	}
	if (!FLOAT_TYPES.has(entry.dtype)) {
		return lazyTensor('float32', entry.shape, () => {
			throw new UserError(`${entry.dtype} weights are not supported (float32, float16 and bfloat16 are)`, {file: entry.file, field: entry.name});
		});
	}
	const target = as ?? (entry.dtype === 'F64' ? 'float64' : 'float32');
	const load = (): TensorArray => {
		if (entry.dtype === 'F32' || entry.dtype === 'F64') {
			const raw = entry.dtype === 'F32' ? new Float32Array(n) : new Float64Array(n);
			readEntry(entry, new Uint8Array(raw.buffer));
			if ((entry.dtype === 'F32') === (target === 'float32')) return raw;
			return target === 'float32' ? Float32Array.from(raw) : Float64Array.from(raw);
		}
		const words = new Uint16Array(n);
		readEntry(entry, new Uint8Array(words.buffer));
		const f32 = entry.dtype === 'BF16' ? bf16ToF32(words) : f16ToF32(words);
		return target === 'float32' ? f32 : Float64Array.from(f32);
	};
	const inPlace = (entry.dtype === 'F32' && target === 'float32') || (entry.dtype === 'F64' && target === 'float64');
	return lazyTensor(target, entry.shape, load, inPlace ? {file: entry.file, offset: entry.offset, length: entry.length} : undefined);
}

function allocateInt(dtype: DType, n: number): Exclude<TensorArray, string[]> {
	switch (dtype) {
		case 'int64':
			return new BigInt64Array(n);
		case 'uint64':
			return new BigUint64Array(n);
		case 'int32':
			return new Int32Array(n);
		case 'uint32':
			return new Uint32Array(n);
		case 'int16':
			return new Int16Array(n);
		case 'uint16':
			return new Uint16Array(n);
		case 'int8':
			return new Int8Array(n);
		default:
			return new Uint8Array(n);
	}
}

/** Every tensor of one safetensors file, lazily (see safetensorsTensor). */
export function readSafetensors(file: string, as?: 'float32' | 'float64'): Map<string, Tensor> {
	const header = readSafetensorsHeader(file);
	return new Map([...header.entries].map(([name, e]) => [name, safetensorsTensor(e, as)]));
}
