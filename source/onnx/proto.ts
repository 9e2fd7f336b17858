/**
 * Reading and writing ONNX protobuf. The only module that imports onnx-proto: the rest of the project works on
 * the plain types of ir.ts.
 */
import {readFileSync, writeFileSync, renameSync} from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import {
	allocate,
	dtypeCode,
	dtypeFromCode,
	sizeOf,
	type Attr,
	type DType,
	type Dim,
	type Graph,
	type Model,
	type Node,
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

/** Decode ONNX bytes. `baseDir` resolves tensors stored as external data. */
export function decodeModel(bytes: Uint8Array, baseDir?: string): Model {
	const m = onnx.ModelProto.decode(bytes);
	if (!m.graph) {
		throw new Error('the file holds no ONNX graph');
	}
	const metadata: Record<string, string> = {};
	for (const e of m.metadataProps ?? []) {
		metadata[e.key ?? ''] = e.value ?? '';
	}
	return {
		irVersion: toNumber(m.irVersion ?? 8),
		opsets: (m.opsetImport ?? []).map(o => ({domain: o.domain ?? '', version: toNumber(o.version ?? 1)})),
		producerName: m.producerName ?? '',
		producerVersion: m.producerVersion ?? '',
		graph: decodeGraph(m.graph, baseDir),
		metadata,
	};
}

/** Read an .onnx file. */
export function readModel(file: string): Model {
	return decodeModel(readFileSync(file), path.dirname(file));
}

function decodeGraph(g: onnxProto.onnx.IGraphProto, baseDir?: string): Graph {
	const initializers = new Map<string, Tensor>();
	for (const t of g.initializer ?? []) {
		initializers.set(t.name ?? '', decodeTensor(t, baseDir));
	}
	return {
		name: g.name ?? 'graph',
		nodes: (g.node ?? []).map((n, i) => decodeNode(n, i, baseDir)),
		inputs: (g.input ?? []).map(decodeValueInfo),
		outputs: (g.output ?? []).map(decodeValueInfo),
		initializers,
		valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
	};
}

function decodeNode(n: onnxProto.onnx.INodeProto, index: number, baseDir?: string): Node {
	const attrs: Record<string, Attr> = {};
	for (const a of n.attribute ?? []) {
		const decoded = decodeAttr(a, baseDir);
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

function decodeAttr(a: onnxProto.onnx.IAttributeProto, baseDir?: string): Attr | undefined {
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
			return {type: 'tensor', value: decodeTensor(a.t!, baseDir)};
		case T.GRAPH:
			return {type: 'graph', value: decodeGraph(a.g!, baseDir)};
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

/** Decode one TensorProto into a typed array (raw_data, typed fields or external data). */
export function decodeTensor(t: onnxProto.onnx.ITensorProto, baseDir?: string): Tensor {
	const dtype = dtypeOf(t.dataType ?? 0, `tensor ${t.name}`);
	const dims = (t.dims ?? []).map(toNumber);
	const n = sizeOf(dims);
	let raw: Uint8Array | undefined;
	if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
		const info = Object.fromEntries((t.externalData ?? []).map(e => [e.key, e.value]));
		if (!baseDir || !info.location) {
			throw new Error(`tensor ${t.name} is stored as external data but the model's folder is unknown`);
		}
		const file = readFileSync(path.join(baseDir, info.location));
		const offset = Number(info.offset ?? 0);
		const length = info.length ? Number(info.length) : file.length - offset;
		raw = file.subarray(offset, offset + length);
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

function encodeTensor(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
	const base = {name, dataType: dtypeCode(t.dtype), dims: t.dims};
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

function encodeGraph(g: Graph): onnxProto.onnx.IGraphProto {
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
		initializer: [...g.initializers].map(([name, t]) => encodeTensor(name, t)),
		valueInfo: g.valueInfo.map(encodeValueInfo),
	};
}

/** Encode a model to ONNX bytes. */
export function encodeModel(model: Model): Uint8Array {
	const message = onnx.ModelProto.create({
		irVersion: model.irVersion,
		opsetImport: model.opsets.map(o => ({domain: o.domain, version: o.version})),
		producerName: model.producerName,
		producerVersion: model.producerVersion,
		graph: encodeGraph(model.graph),
		metadataProps: Object.entries(model.metadata).map(([key, value]) => ({key, value})),
	});
	return onnx.ModelProto.encode(message).finish();
}

/** Write a model atomically (temporary file, then rename). */
export function writeModel(file: string, model: Model): void {
	const tmp = `${file}.tmp-${process.pid}`;
	writeFileSync(tmp, encodeModel(model));
	renameSync(tmp, file);
}
