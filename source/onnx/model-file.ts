/**
 * .onnx files on disk, weights kept out of memory. Reading scans the file (proto-scan.ts) and leaves every weight
 * where it lies: initializers become lazy tensors that know their file region. Writing places weights as external
 * data: a tensor already stored in a file under the data folder is referenced in place, others are streamed one at
 * a time into one data file; the .onnx message itself then holds the graph only, far below protobuf's 2 GiB limit.
 *
 * onnxruntime resolves external data against one folder and refuses locations outside it (absolute paths, "..",
 * symbolic links that lead out): sessions are created with that folder given explicitly (ort.ts), so a graph in a
 * cache folder can use the weights of a model folder elsewhere.
 */
import {randomBytes} from 'node:crypto';
import {open, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomic} from '../atomic-write.js';
import {bytesPerElement, sizeOf, type Model, type Tensor} from './ir.js';
import {scanModelFile} from './proto-scan.js';
import {decodeModel, encodeModel, type ExternalEntry} from './proto.js';

/**
 * Read an .onnx file: graph structure in memory, weights as lazy tensors over their file regions. External data is
 * resolved in `dataDir` (default: the file's folder).
 */
export function readModel(file: string, dataDir = path.dirname(file)): Model {
	const skeleton = scanModelFile(file);
	return decodeModel(skeleton.bytes, {baseDir: dataDir, cut: {file: path.resolve(file), regions: skeleton.rawData}});
}

/** Bytes of a tensor's elements. */
export function tensorBytes(t: Tensor): number {
	return sizeOf(t.dims) * bytesPerElement(t.dtype);
}

/** protobuf cannot encode a message of 2 GiB or more; leave room for the graph. */
const INLINE_LIMIT = 2 ** 31 - 2 ** 26;

/** Write a small model with every weight inline, atomically and durably (atomic-write.ts). */
export function writeModel(file: string, model: Model): void {
	let inline = 0;
	for (const t of model.graph.initializers.values()) {
		inline += tensorBytes(t);
	}
	if (inline >= INLINE_LIMIT) {
		throw new Error(`${file}: ${inline} bytes of weights do not fit in one ONNX message (2 GiB); write them as external data`);
	}
	writeFileAtomic(file, encodeModel(model));
}

/** How a model's weights are written (see the header). */
export type ExternalDataOptions = {
	/** The folder external data locations are relative to: the one sessions of the written model will be given. */
	dataDir: string;
	/**
	 * File (relative to dataDir) for weights not already stored under dataDir. Without it such weights are written
	 * inline, which only works while they total under 2 GiB.
	 */
	dataFile?: string;
	/** Tensors smaller than this many bytes are written inline (default 4096). */
	threshold?: number;
	/** Cancels the write; nothing is left behind. */
	signal?: AbortSignal;
	/** Called after each tensor written to the data file: bytes written so far and in all. */
	onProgress?: (done: number, total: number) => void;
};

/** Offsets in the data file are multiples of this: the page size, so onnxruntime can memory-map each tensor. */
const ALIGNMENT = 4096;

/** What writeModelExternal wrote. */
export type WrittenModel = {
	/** Bytes written to the data file (0 when every weight was referenced in place). */
	dataBytes: number;
	/** Bytes referenced in place in files under dataDir. */
	referencedBytes: number;
	/** Files under dataDir the model references (absolute paths), the new data file included. */
	dataFiles: string[];
};

/**
 * Write `model` to `file` with its weights as external data (see ExternalDataOptions), atomically: the data file
 * and the model are written under temporary names and renamed when complete; on failure or cancellation both are
 * removed. Not atomic-write.ts: that writer is synchronous and for one file, and this one streams gigabytes
 * asynchronously (the event loop keeps serving progress and cancellation) into two files that are committed together.
 */
export async function writeModelExternal(file: string, model: Model, options: ExternalDataOptions): Promise<WrittenModel> {
	const dataDir = path.resolve(options.dataDir);
	const target = path.resolve(file);
	const threshold = options.threshold ?? 4096;
	const entries = new Map<string, ExternalEntry>();
	const toWrite: [string, Tensor][] = [];
	const dataFiles = new Set<string>();
	let referencedBytes = 0;
	for (const [name, t] of model.graph.initializers) {
		const bytes = tensorBytes(t);
		if (bytes < threshold || t.dtype === 'string') {
			continue;
		}
		// Bytes stored in the file being replaced are copied: the old file is gone once the new one is in place.
		const location = t.stored && t.stored.file !== target ? locationUnder(dataDir, t.stored.file) : undefined;
		if (location !== undefined) {
			entries.set(name, {location, offset: t.stored!.offset, length: t.stored!.length});
			dataFiles.add(t.stored!.file);
			referencedBytes += bytes;
		} else if (options.dataFile) {
			toWrite.push([name, t]);
		}
	}
	let inline = 0;
	for (const [name, t] of model.graph.initializers) {
		if (!entries.has(name) && !toWrite.some(([n]) => n === name)) {
			inline += tensorBytes(t);
		}
	}
	if (inline >= INLINE_LIMIT) {
		throw new Error(`${file}: ${inline} bytes of weights would be inline, over ONNX's 2 GiB message limit; give a data file`);
	}
	const dataPath = options.dataFile ? path.resolve(dataDir, options.dataFile) : undefined;
	if (dataPath && locationUnder(dataDir, dataPath) === undefined) {
		throw new Error(`the data file ${dataPath} must lie under ${dataDir}`);
	}
	const dataTmp = dataPath && toWrite.length > 0 ? temporaryName(dataPath) : undefined;
	const modelTmp = temporaryName(file);
	let dataBytes = 0;
	try {
		if (dataTmp) {
			dataBytes = await writeData(dataTmp, toWrite, entries, options.dataFile!, options);
			dataFiles.add(dataPath!);
		}
		const bytes = encodeModel(model, name => entries.get(name));
		options.signal?.throwIfAborted();
		await writeFile(modelTmp, bytes);
		if (dataTmp) {
			await rename(dataTmp, dataPath!);
		}
		await rename(modelTmp, file);
	} catch (error) {
		await Promise.all([dataTmp && rm(dataTmp, {force: true}), rm(modelTmp, {force: true})]);
		throw error;
	}
	return {dataBytes, referencedBytes, dataFiles: [...dataFiles].sort()};
}

/** Stream tensors into the data file, each at an aligned offset; records their entries. Returns the bytes written. */
async function writeData(
	tmp: string,
	tensors: [string, Tensor][],
	entries: Map<string, ExternalEntry>,
	location: string,
	options: ExternalDataOptions,
): Promise<number> {
	const total = tensors.reduce((sum, [, t]) => sum + tensorBytes(t), 0);
	const handle = await open(tmp, 'w');
	try {
		let offset = 0;
		let done = 0;
		for (const [name, t] of tensors) {
			options.signal?.throwIfAborted();
			const data = t.data as Exclude<Tensor['data'], string[]>;
			const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
			if (bytes.length !== tensorBytes(t)) {
				throw new Error(`tensor ${name}: ${bytes.length} bytes of data for shape [${t.dims.join(',')}] of ${t.dtype}`);
			}
			for (let at = 0; at < bytes.length; at += 1 << 30) {
				const part = bytes.subarray(at, Math.min(bytes.length, at + (1 << 30)));
				await handle.write(part, 0, part.length, offset + at);
			}
			entries.set(name, {location, offset, length: bytes.length});
			offset = Math.ceil((offset + bytes.length) / ALIGNMENT) * ALIGNMENT;
			done += bytes.length;
			options.onProgress?.(done, total);
		}
		await handle.sync();
		return done;
	} finally {
		await handle.close();
	}
}

/** `file` relative to `dir` in ONNX's form (forward slashes), or undefined when it is not under `dir`. */
export function locationUnder(dir: string, file: string): string | undefined {
	const relative = path.relative(dir, path.resolve(file));
	if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
		return undefined;
	}
	return relative.split(path.sep).join('/');
}

function temporaryName(file: string): string {
	return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}
