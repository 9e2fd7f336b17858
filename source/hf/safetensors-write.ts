/**
 * Writing safetensors checkpoints from tensors (test fixtures and benchmarks: checkpoints in the layout transformers
 * saves). Streams: the header comes from names, shapes and types alone, then each tensor's data is read once,
 * converted in chunks and written, so a lazy tensor of any size passes through without a second full copy.
 */
import {mkdirSync, writeSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic, writeFileAtomicWith} from '../atomic-write.js';
import {sizeOf, type Tensor} from '../onnx/ir.js';
import {f32ToBf16, f32ToF16} from './float-convert.js';
import {INDEX_FILE, SINGLE_FILE} from './safetensors-folder.js';

/** How float tensors are stored. */
export type StoredFloat = 'F32' | 'F16' | 'BF16' | 'F64';

/** Options of the writers. */
export type WriteSafetensorsOptions = {
	/** Storage type of float tensors (default: F32 for float32 tensors, F64 for float64). */
	dtype?: StoredFloat;
	/** __metadata__ of the header (default {"format": "pt"}, as transformers writes). */
	metadata?: Record<string, string>;
};

const STORED_BYTES: Record<StoredFloat, number> = {F32: 4, F16: 2, BF16: 2, F64: 8};
const INT_NAMES: Record<string, string> = {int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', uint16: 'U16', uint32: 'U32', uint64: 'U64', bool: 'BOOL'};
/** Elements converted per write. */
const CHUNK = 1 << 20;

function storage(t: Tensor, options: WriteSafetensorsOptions): {dtype: string; bytes: number} {
	if (t.dtype === 'float32' || t.dtype === 'float64') {
		const dtype = options.dtype ?? (t.dtype === 'float64' ? 'F64' : 'F32');
		return {dtype, bytes: STORED_BYTES[dtype]};
	}
	const name = INT_NAMES[t.dtype];
	if (!name) throw new Error(`safetensors writer: cannot store ${t.dtype} tensors`);
	return {dtype: name, bytes: t.dtype === 'bool' ? 1 : Number(/\d+/.exec(name)?.[0] ?? 8) / 8};
}

/** Bytes `tensors` take in a file with these options. */
export function storedBytes(t: Tensor, options: WriteSafetensorsOptions = {}): number {
	return sizeOf(t.dims) * storage(t, options).bytes;
}

/** Write one safetensors file (atomically: a temporary file, then rename). */
export function writeSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, options: WriteSafetensorsOptions = {}): void {
	const header: Record<string, unknown> = {__metadata__: options.metadata ?? {format: 'pt'}};
	let offset = 0;
	for (const [name, t] of tensors) {
		const {dtype, bytes} = storage(t, options);
		const length = sizeOf(t.dims) * bytes;
		header[name] = {dtype, shape: t.dims, data_offsets: [offset, offset + length]};
		offset += length;
	}
	let json = JSON.stringify(header);
	// Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
	json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
	const head = Buffer.alloc(8);
	head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
	writeFileAtomicWith(file, fd => {
		writeAll(fd, head);
		writeAll(fd, Buffer.from(json, 'utf8'));
		for (const t of tensors.values()) {
			writeTensor(fd, t, storage(t, options).dtype);
		}
	});
}

function writeAll(fd: number, bytes: Uint8Array): void {
	let done = 0;
	while (done < bytes.length) {
		done += writeSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done));
	}
}

function writeTensor(fd: number, t: Tensor, dtype: string): void {
	const data = t.data; // read once: a lazy tensor produces its elements anew on every read
	if (Array.isArray(data)) throw new Error('safetensors writer: string tensors cannot be stored');
	const same = (dtype === 'F32' && data instanceof Float32Array) || (dtype === 'F64' && data instanceof Float64Array) || !(data instanceof Float32Array || data instanceof Float64Array);
	if (same) {
		writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		return;
	}
	const values = data as Float32Array | Float64Array;
	for (let start = 0; start < values.length; start += CHUNK) {
		const part = values.subarray(start, Math.min(values.length, start + CHUNK));
		let out: Uint8Array;
		if (dtype === 'F32') {
			out = new Uint8Array(Float32Array.from(part).buffer);
		} else if (dtype === 'F64') {
			out = new Uint8Array(Float64Array.from(part).buffer);
		} else if (dtype === 'BF16') {
			out = new Uint8Array(f32ToBf16(part instanceof Float32Array ? part : Float32Array.from(part)).buffer);
		} else {
			out = new Uint8Array(f32ToF16(part).buffer);
		}
		writeAll(fd, out);
	}
}

/** Options of a checkpoint write. */
export type WriteCheckpointOptions = WriteSafetensorsOptions & {
	/** Start a new shard when a shard would exceed this many bytes (default: one file, model.safetensors). */
	shardBytes?: number;
};

/**
 * Write `tensors` into `dir` as transformers does: model.safetensors, or model-0000i-of-0000n.safetensors shards
 * and model.safetensors.index.json when `shardBytes` splits them. Returns the files written.
 */
export function writeCheckpointWeights(dir: string, tensors: ReadonlyMap<string, Tensor>, options: WriteCheckpointOptions = {}): string[] {
	mkdirSync(dir, {recursive: true});
	const groups: Map<string, Tensor>[] = [new Map()];
	let size = 0;
	let total = 0;
	for (const [name, t] of tensors) {
		const bytes = storedBytes(t, options);
		if (options.shardBytes !== undefined && size > 0 && size + bytes > options.shardBytes) {
			groups.push(new Map());
			size = 0;
		}
		groups.at(-1)!.set(name, t);
		size += bytes;
		total += bytes;
	}
	if (options.shardBytes === undefined || groups.length === 1) {
		const file = path.join(dir, SINGLE_FILE);
		writeSafetensors(file, tensors, options);
		return [file];
	}
	const n = groups.length;
	const pad = (i: number) => String(i).padStart(5, '0');
	const weightMap: Record<string, string> = {};
	const files = groups.map((group, i) => {
		const name = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
		writeSafetensors(path.join(dir, name), group, options);
		for (const key of group.keys()) weightMap[key] = name;
		return path.join(dir, name);
	});
	const index = path.join(dir, INDEX_FILE);
	writeFileAtomic(index, `${JSON.stringify({metadata: {total_size: total}, weight_map: weightMap}, null, 2)}\n`);
	return [...files, index];
}
