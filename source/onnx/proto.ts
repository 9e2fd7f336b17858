/**
 * Encoding and decoding ONNX protobuf. The only module that imports onnx-proto: the rest of the project works on
 * the plain types of ir.ts. Files are read and written by model-file.ts, which keeps weights out of memory.
 *
 * Tensors stored as external data decode to lazy tensors (ir.ts lazyTensor) that read their bytes by offset when
 * used; so do initializers whose raw_data a scan cut out of the message (proto-scan.ts).
 */
import {statSync} from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import {readStoredTensor} from './stored.js';
import {
	allocate,
	bytesPerElement,
	lazyTensor,
	dtypeCode,
	dtypeFromCode,
	sizeOf,
	type Attr,
	type DType,
	type Dim,
	type Graph,
	type Model,
	type Node,
	type StoredRegion,
	type Tensor,
	type ValueInfo,
} from './ir.js';

const {onnx} = onnxProto;

function dtypeOf(code: number, where: string): DType {
	const d = dtypeFromCode(code);
	if (!d) {
		throw new Error(`${where}: unsupported tensor element type ${code}`);
	}
	return d;
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

/** Where decoding finds weights that are not in the message itself. */
export type DecodeOptions = {
	/** Folder that external data locations are relative to (the model file's folder). */
	baseDir?: string;
	/** raw_data fields cut out of the message by a scan: the file and each initializer's byte range in it. */
	cut?: {file: string; regions: ReadonlyMap<string, {offset: number; length: number}>};
};

/** Decode ONNX bytes. */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
	const m = onnx.ModelProto.decode(bytes);
	if (!m.graph) {
		throw new Error('the file holds no ONNX graph');
	}
	const metadata: Record<string, string> = {};
	for (const e of m.metadataProps ?? []) {
		metadata[e.key ?? ''] = e.value ?? '';
	}
	const context: DecodeContext = {...options, sizes: new Map()};
	const graph = decodeGraph(m.graph, context);
	for (const [name, region] of options.cut?.regions ?? []) {
		const t = graph.initializers.get(name);
		if (!t) {
			throw new Error(`initializer "${name}" of the scan is missing from the decoded graph`);
		}
		graph.initializers.set(name, storedTensor(name, t.dtype, t.dims, {file: options.cut!.file, ...region}));
	}
	return {
		irVersion: toNumber(m.irVersion ?? 8),
		opsets: (m.opsetImport ?? []).map(o => ({domain: o.domain ?? '', version: toNumber(o.version ?? 1)})),
		producerName: m.producerName ?? '',
		producerVersion: m.producerVersion ?? '',
		graph,
		metadata,
	};
}

type DecodeContext = DecodeOptions & {
	/** Sizes of the external data files seen so far (each is checked once). */
	sizes: Map<string, number>;
};

function decodeGraph(g: onnxProto.onnx.IGraphProto, context: DecodeContext): Graph {
	const initializers = new Map<string, Tensor>();
	const cut = context.cut?.regions;
	for (const t of g.initializer ?? []) {
		const name = t.name ?? '';
		// A cut initializer decodes as a placeholder here and becomes a stored tensor in decodeModel.
		initializers.set(name, cut?.has(name) && !t.rawData?.length ? {dtype: dtypeOf(t.dataType ?? 0, `tensor ${name}`), dims: (t.dims ?? []).map(toNumber), data: new Uint8Array(0)} : decodeTensor(t, context));
	}
	const inner: DecodeContext = {...context, cut: undefined};
	return {
		name: g.name ?? 'graph',
		nodes: (g.node ?? []).map((n, i) => decodeNode(n, i, inner)),
		inputs: (g.input ?? []).map(decodeValueInfo),
		outputs: (g.output ?? []).map(decodeValueInfo),
		initializers,
		valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
	};
}

/** A lazy tensor over a checked file region (the region must hold exactly the tensor's bytes). */
function storedTensor(name: string, dtype: DType, dims: number[], region: StoredRegion): Tensor {
	const expected = sizeOf(dims) * bytesPerElement(dtype);
	if (dtype === 'string' || region.length !== expected) {
		throw new Error(`tensor ${name}: ${region.length} bytes of data for ${sizeOf(dims)} elements of ${dtype}`);
	}
	return lazyTensor(dtype, dims, () => readStoredTensor(region, dtype), region);
}

function decodeNode(n: onnxProto.onnx.INodeProto, index: number, context: DecodeContext): Node {
	const attrs: Record<string, Attr> = {};
	for (const a of n.attribute ?? []) {
		const decoded = decodeAttr(a, context);
		if (decoded) {
			attrs[a.name ?? ''] = decoded;
		}
	}
	return {
		op: n.opType ?? '',
		domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
		name: n.name || `node_${index}`,
		inputs: [...(n.input ?? [])],
		outputs: [...(n.output ?? [])],
		attrs,
	};
}

function decodeAttr(a: onnxProto.onnx.IAttributeProto, context: DecodeContext): Attr | undefined {
	const T = onnx.AttributeProto.AttributeType;
	switch (a.type) {
		case T.INT:
			return {type: 'int', value: toNumber(a.i ?? 0)};
		case T.FLOAT:
			return {type: 'float', value: a.f ?? 0};
		case T.STRING:
			return {type: 'string', value: Buffer.from(a.s ?? new Uint8Array()).toString('utf8')};
		case T.INTS:
			return {type: 'ints', value: (a.ints ?? []).map(toNumber)};
		case T.FLOATS:
			return {type: 'floats', value: [...(a.floats ?? [])]};
		case T.STRINGS:
			return {type: 'strings', value: (a.strings ?? []).map(s => Buffer.from(s).toString('utf8'))};
		case T.TENSOR:
			return {type: 'tensor', value: decodeTensor(a.t!, context)};
		case T.GRAPH:
			return {type: 'graph', value: decodeGraph(a.g!, context)};
		default:
			// Attribute kinds the project never needs (sparse tensors, type protos) are dropped, not guessed.
			return undefined;
	}
}

function decodeValueInfo(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
	const tt = v.type?.tensorType;
	const dtype = tt?.elemType ? dtypeOf(tt.elemType, `value ${v.name}`) : 'float32';
	const shape: Dim[] | undefined = tt?.shape
		? (tt.shape.dim ?? []).map(d => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? toNumber(d.dimValue) : d.dimParam || null))
		: undefined;
	return {name: v.name ?? '', dtype, shape};
}

/** Decode one TensorProto into a typed array (raw_data or typed fields), or a lazy tensor over its external data. */
export function decodeTensor(t: onnxProto.onnx.ITensorProto, context: DecodeContext = {sizes: new Map()}): Tensor {
	const dtype = dtypeOf(t.dataType ?? 0, `tensor ${t.name}`);
	const dims = (t.dims ?? []).map(toNumber);
	const n = sizeOf(dims);
	let raw: Uint8Array | undefined;
	if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
		return externalTensor(t, dtype, dims, context);
	} else if (t.rawData && t.rawData.length > 0) {
		raw = t.rawData;
	}
	const data = allocate(dtype, n);
	if (dtype === 'string') {
		const strings = (t.stringData ?? []).map(s => Buffer.from(s).toString('utf8'));
		return {dtype, dims, data: strings};
	}
	const typed = data as Exclude<typeof data, string[]>;
	if (raw) {
		const bytes = new Uint8Array(typed.buffer);
		if (raw.length !== bytes.length) {
			throw new Error(`tensor ${t.name}: ${raw.length} bytes of data for ${n} elements of ${dtype}`);
		}
		bytes.set(raw);
		return {dtype, dims, data: typed};
	}
	let source: ArrayLike<unknown> = [];
	switch (dtype) {
		case 'float32':
			source = t.floatData ?? [];
			break;
		case 'float64':
			source = t.doubleData ?? [];
			break;
		case 'int64':
			source = t.int64Data ?? [];
			break;
		case 'uint64':
		case 'uint32':
			source = t.uint64Data ?? [];
			break;
		default:
			// int32, int16, int8, uint8, uint16, bool, float16 and bfloat16 all travel in int32_data.
			source = t.int32Data ?? [];
	}
	if (source.length !== n && !(source.length === 0 && n === 0)) {
		throw new Error(`tensor ${t.name}: ${source.length} elements for shape [${dims.join(',')}]`);
	}
	for (let i = 0; i < n; i++) {
		const v = source[i];
		if (typed instanceof BigInt64Array || typed instanceof BigUint64Array) {
			typed[i] = BigInt(toNumber(v));
		} else {
			typed[i] = toNumber(v);
		}
	}
	return {dtype, dims, data: typed};
}

/**
 * A tensor stored as external data: a lazy tensor over its region, after checking that the file exists and holds
 * the region (a truncated or missing data file is named with the tensor, not found at first use).
 */
function externalTensor(t: onnxProto.onnx.ITensorProto, dtype: DType, dims: number[], context: DecodeContext): Tensor {
	const info = Object.fromEntries((t.externalData ?? []).map(e => [e.key, e.value]));
	if (!context.baseDir || !info.location) {
		throw new Error(`tensor ${t.name} is stored as external data but the model's folder is unknown`);
	}
	const file = path.resolve(context.baseDir, info.location);
	let size = context.sizes.get(file);
	if (size === undefined) {
		const stat = statSync(file, {throwIfNoEntry: false});
		if (!stat?.isFile()) {
			throw new Error(`external data file ${file} of tensor ${t.name} does not exist`);
		}
		size = stat.size;
		context.sizes.set(file, size);
	}
	const offset = Number(info.offset ?? 0);
	const length = info.length ? Number(info.length) : size - offset;
	if (offset + length > size) {
		throw new Error(`external data file ${file} is truncated: tensor ${t.name} needs bytes ${offset}-${offset + length}, the file has ${size}`);
	}
	return storedTensor(t.name ?? '', dtype, dims, {file, offset, length});
}

/** Where an initializer's bytes go when they are not written into the message: an external data entry. */
export type ExternalEntry = {location: string; offset: number; length: number};

/** Decides, per initializer, whether it is written as external data (and where) or inline. */
export type Placement = (name: string, t: Tensor) => ExternalEntry | undefined;

function encodeTensor(name: string, t: Tensor, external?: ExternalEntry): onnxProto.onnx.ITensorProto {
	const base = {name, dataType: dtypeCode(t.dtype), dims: t.dims};
	if (external) {
		const entries = Object.entries({location: external.location, offset: String(external.offset), length: String(external.length)});
		return {...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entries.map(([key, value]) => ({key, value}))};
	}
	if (Array.isArray(t.data)) {
		return {...base, stringData: t.data.map(s => Buffer.from(s, 'utf8'))};
	}
	const d = t.data;
	return {...base, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength)};
}

function encodeAttr(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
	const T = onnx.AttributeProto.AttributeType;
	switch (a.type) {
		case 'int':
			return {name, type: T.INT, i: a.value};
		case 'float':
			return {name, type: T.FLOAT, f: a.value};
		case 'string':
			return {name, type: T.STRING, s: Buffer.from(a.value, 'utf8')};
		case 'ints':
			return {name, type: T.INTS, ints: a.value};
		case 'floats':
			return {name, type: T.FLOATS, floats: a.value};
		case 'strings':
			return {name, type: T.STRINGS, strings: a.value.map(s => Buffer.from(s, 'utf8'))};
		case 'tensor':
			return {name, type: T.TENSOR, t: encodeTensor('', a.value)};
		case 'graph':
			return {name, type: T.GRAPH, g: encodeGraph(a.value)};
	}
}

function encodeValueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
	if (v.untyped) {
		return {name: v.name};
	}
	return {
		name: v.name,
		type: {
			tensorType: {
				elemType: dtypeCode(v.dtype),
				shape: v.shape
					? {dim: v.shape.map(d => (typeof d === 'number' ? {dimValue: d} : d ? {dimParam: d} : {}))}
					: undefined,
			},
		},
	};
}

function encodeGraph(g: Graph, placement?: Placement): onnxProto.onnx.IGraphProto {
	return {
		name: g.name,
		node: g.nodes.map(n => ({
			opType: n.op,
			domain: n.domain,
			name: n.name,
			input: n.inputs,
			output: n.outputs,
			attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
		})),
		input: g.inputs.map(encodeValueInfo),
		output: g.outputs.map(encodeValueInfo),
		initializer: [...g.initializers].map(([name, t]) => encodeTensor(name, t, placement?.(name, t))),
		valueInfo: g.valueInfo.map(encodeValueInfo),
	};
}

/**
 * Encode a model to ONNX bytes; `placement` sends initializers to external data. Lazy tensors written inline are
 * loaded here, so a model over protobuf's 2 GiB limit must place its weights externally (model-file.ts).
 */
export function encodeModel(model: Model, placement?: Placement): Uint8Array {
	const message = onnx.ModelProto.create({
		irVersion: model.irVersion,
		opsetImport: model.opsets.map(o => ({domain: o.domain, version: o.version})),
		producerName: model.producerName,
		producerVersion: model.producerVersion,
		graph: encodeGraph(model.graph, placement),
		metadataProps: Object.entries(model.metadata).map(([key, value]) => ({key, value})),
	});
	return onnx.ModelProto.encode(message).finish();
}
