/**
 * Reading a tensor's bytes from a file region (external data, or raw_data left in an .onnx file by a scan). One
 * tensor at a time, by offset, in chunks: a data file is never read whole, and files and offsets past 2 GiB work.
 */
import {closeSync, openSync, readSync} from 'node:fs';
import {allocate, bytesPerElement, type DType, type StoredRegion, type TensorArray} from './ir.js';

/** Largest single read (readSync caps one call near 2 GiB). */
const CHUNK = 1 << 30;

/** Read `length` bytes at `offset` of `file` into `into` (which must hold them). */
export function readRegionInto(file: string, offset: number, into: Uint8Array): void {
	const fd = openSync(file, 'r');
	try {
		let done = 0;
		while (done < into.length) {
			const read = readSync(fd, into, done, Math.min(CHUNK, into.length - done), offset + done);
			if (read === 0) {
				throw new Error(`${file} ends at byte ${offset + done}, before the ${into.length} bytes read from ${offset} (truncated?)`);
			}
			done += read;
		}
	} finally {
		closeSync(fd);
	}
}

/** The elements of a tensor stored little-endian, row-major in `region`. */
export function readStoredTensor(region: StoredRegion, dtype: DType): TensorArray {
	const size = bytesPerElement(dtype);
	if (size === 0) {
		throw new Error(`string tensors cannot be read from ${region.file}`);
	}
	const data = allocate(dtype, region.length / size) as Exclude<TensorArray, string[]>;
	readRegionInto(region.file, region.offset, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
	return data;
}
