/**
 * Reading an .onnx file without loading its weights. An ONNX file is one protobuf message; a model's weights are the
 * `raw_data` fields of its graph's initializers, which can make up all but a few megabytes of a 2 GB file. This
 * walks the protobuf wire format with positioned reads and returns the model with those fields cut out (a
 * "skeleton" that protobufjs decodes in milliseconds), plus where each cut field lies in the file, so the weights
 * can be read one tensor at a time, or referenced in place as external data, and never all at once.
 *
 * Only the fields on the path to the weights are walked: ModelProto.graph (7), GraphProto.initializer (5),
 * TensorProto.raw_data (9) and TensorProto.name (8). Everything else is copied byte for byte.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';

/** A byte range of the scanned file. */
export type Region = {offset: number; length: number};

/** The model without its large raw_data fields, and where they are. */
export type Skeleton = {
	/** A valid ModelProto: the file with the cut fields left out. */
	bytes: Uint8Array;
	/** raw_data of each cut initializer, by tensor name. */
	rawData: Map<string, Region>;
};

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const LENGTH_DELIMITED = 2;

/** raw_data smaller than this stays in the skeleton (small constants are needed by the surgery anyway). */
const MIN_CUT_BYTES = 4096;

/** Positioned reads through a window, so walking many small fields costs few system calls. */
class FileWindow {
	private window = new Uint8Array(0);
	private start = 0;

	constructor(
		private readonly fd: number,
		readonly size: number,
	) {}

	/** `length` bytes at `position` (a view of the window: copy it before the next read). */
	bytes(position: number, length: number): Uint8Array {
		if (position < this.start || position + length > this.start + this.window.length) {
			this.fill(position, Math.max(length, 1 << 16));
		}
		return this.window.subarray(position - this.start, position - this.start + length);
	}

	private fill(position: number, length: number): void {
		const n = Math.min(length, this.size - position);
		if (n < 0) {
			throw new RangeError(`read past the end of the file (byte ${position} of ${this.size})`);
		}
		const buffer = new Uint8Array(n);
		let done = 0;
		while (done < n) {
			const read = readSync(this.fd, buffer, done, n - done, position + done);
			if (read === 0) {
				break;
			}
			done += read;
		}
		this.window = buffer.subarray(0, done);
		this.start = position;
	}
}

/** A varint at `position`: its value and the position after it. */
function varint(file: FileWindow, position: number): [number, number] {
	const bytes = file.bytes(position, Math.min(10, file.size - position));
	let value = 0;
	let scale = 1;
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i]!;
		value += (b & 0x7f) * scale;
		if (b < 0x80) {
			return [value, position + i + 1];
		}
		scale *= 128;
	}
	throw new Error(`truncated or malformed protobuf varint at byte ${position}`);
}

function encodeVarint(value: number): number[] {
	const out: number[] = [];
	while (value >= 0x80) {
		out.push((value % 128) | 0x80);
		value = Math.floor(value / 128);
	}
	out.push(value);
	return out;
}

/** One field: its number, wire type, where it starts, where its payload starts and where it ends. */
type Field = {number: number; wireType: number; start: number; payload: number; end: number};

/** The fields of the message in [start, end). */
function* fields(file: FileWindow, start: number, end: number): Generator<Field> {
	let position = start;
	while (position < end) {
		const [tag, afterTag] = varint(file, position);
		const wireType = tag % 8;
		const number = Math.floor(tag / 8);
		let payload = afterTag;
		let fieldEnd: number;
		switch (wireType) {
			case 0:
				fieldEnd = varint(file, afterTag)[1];
				break;
			case 1:
				fieldEnd = afterTag + 8;
				break;
			case 2: {
				const [length, afterLength] = varint(file, afterTag);
				payload = afterLength;
				fieldEnd = afterLength + length;
				break;
			}
			case 5:
				fieldEnd = afterTag + 4;
				break;
			default:
				throw new Error(`unsupported protobuf wire type ${wireType} at byte ${position}`);
		}
		if (fieldEnd > end) {
			throw new Error(`protobuf field ${number} at byte ${position} runs past its message (the file is truncated?)`);
		}
		yield {number, wireType, start: position, payload, end: fieldEnd};
		position = fieldEnd;
	}
}

/** Collects byte chunks of a message being rebuilt. */
class Parts {
	readonly chunks: Uint8Array[] = [];
	length = 0;

	push(chunk: Uint8Array): void {
		this.chunks.push(chunk);
		this.length += chunk.length;
	}

	copy(file: FileWindow, start: number, end: number): void {
		// Copied in pieces: a single copied field (a graph's nodes) can be large.
		for (let p = start; p < end; p += 1 << 20) {
			this.push(file.bytes(p, Math.min(1 << 20, end - p)).slice());
		}
	}

	/** A length-delimited field holding `inner`. */
	nested(number: number, inner: Parts): void {
		this.push(Uint8Array.from([...encodeVarint(number * 8 + LENGTH_DELIMITED), ...encodeVarint(inner.length)]));
		for (const c of inner.chunks) {
			this.push(c);
		}
	}

	join(): Uint8Array {
		const out = new Uint8Array(this.length);
		let at = 0;
		for (const c of this.chunks) {
			out.set(c, at);
			at += c.length;
		}
		return out;
	}
}

function scanTensor(file: FileWindow, start: number, end: number, rawData: Map<string, Region>): Parts {
	const out = new Parts();
	let name = '';
	let raw: Region | undefined;
	for (const f of fields(file, start, end)) {
		if (f.number === TENSOR_RAW_DATA && f.wireType === LENGTH_DELIMITED && f.end - f.payload >= MIN_CUT_BYTES) {
			raw = {offset: f.payload, length: f.end - f.payload};
			continue;
		}
		if (f.number === TENSOR_NAME && f.wireType === LENGTH_DELIMITED) {
			name = Buffer.from(file.bytes(f.payload, f.end - f.payload)).toString('utf8');
		}
		out.copy(file, f.start, f.end);
	}
	if (raw) {
		rawData.set(name, raw);
	}
	return out;
}

function scanGraph(file: FileWindow, start: number, end: number, rawData: Map<string, Region>): Parts {
	const out = new Parts();
	for (const f of fields(file, start, end)) {
		if (f.number === GRAPH_INITIALIZER && f.wireType === LENGTH_DELIMITED && f.end - f.payload >= MIN_CUT_BYTES) {
			out.nested(GRAPH_INITIALIZER, scanTensor(file, f.payload, f.end, rawData));
		} else {
			out.copy(file, f.start, f.end);
		}
	}
	return out;
}

/** The skeleton of the .onnx file at `path` (see the header). */
export function scanModelFile(path: string): Skeleton {
	const fd = openSync(path, 'r');
	try {
		const file = new FileWindow(fd, fstatSync(fd).size);
		const rawData = new Map<string, Region>();
		const out = new Parts();
		for (const f of fields(file, 0, file.size)) {
			if (f.number === MODEL_GRAPH && f.wireType === LENGTH_DELIMITED) {
				out.nested(MODEL_GRAPH, scanGraph(file, f.payload, f.end, rawData));
			} else {
				out.copy(file, f.start, f.end);
			}
		}
		return {bytes: out.join(), rawData};
	} finally {
		closeSync(fd);
	}
}
