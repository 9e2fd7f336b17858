/**
 * A plain, mutable in-memory form of an ONNX model. Everything in source/onnx works on these types; only
 * proto.ts knows the protobuf classes. Kept deliberately small: what graph surgery, autodiff and the model
 * builders need, nothing more.
 */

/** Element types the project reads and writes. */
export type DType =
	| 'float32'
	| 'float64'
	| 'float16'
	| 'int64'
	| 'int32'
	| 'int16'
	| 'int8'
	| 'uint8'
	| 'uint16'
	| 'uint32'
	| 'uint64'
	| 'bool'
	| 'string'
	| 'bfloat16';

/** Typed array backing a tensor of each dtype (float16/bfloat16 are kept as raw 16-bit words). */
export type TensorArray =
	| Float32Array
	| Float64Array
	| BigInt64Array
	| BigUint64Array
	| Int32Array
	| Int16Array
	| Int8Array
	| Uint8Array
	| Uint16Array
	| Uint32Array
	| string[];

const DTYPE_CODES: Record<DType, number> = {
	float32: 1,
	uint8: 2,
	int8: 3,
	uint16: 4,
	int16: 5,
	int32: 6,
	int64: 7,
	string: 8,
	bool: 9,
	float16: 10,
	float64: 11,
	uint32: 12,
	uint64: 13,
	bfloat16: 16,
};
const CODE_DTYPES = new Map<number, DType>(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));

/** The ONNX TensorProto.DataType code of a dtype (the `to` of Cast). */
export function dtypeCode(dtype: DType): number {
	return DTYPE_CODES[dtype];
}

/** The dtype of an ONNX TensorProto.DataType code, or undefined for one the project does not handle. */
export function dtypeFromCode(code: number): DType | undefined {
	return CODE_DTYPES.get(code);
}

/** A constant tensor: an initializer, a Constant node's value or a tensor attribute. */
export type Tensor = {
	/** Element type. */
	dtype: DType;
	/** Dimensions (concrete). */
	dims: number[];
	/**
	 * Elements in row-major order. For a lazy tensor (see lazyTensor) this is a getter that produces the elements
	 * anew on every read and keeps nothing: read it once into a local, never in a loop.
	 */
	data: TensorArray;
	/**
	 * Where the elements already lie in a file, byte for byte as ONNX external data holds them (little-endian,
	 * row-major, this dtype): a writer can reference the region instead of copying it.
	 */
	stored?: StoredRegion;
};

/** A byte range of a file holding a tensor's elements exactly. */
export type StoredRegion = {
	/** Absolute path of the file. */
	file: string;
	/** Byte offset of the first element. */
	offset: number;
	/** Length in bytes. */
	length: number;
};

/**
 * A tensor whose elements are produced by `load` when read and never kept, so a model of any size can be held as
 * graph structure plus loaders: weights read from a file by offset, converted from bfloat16, or generated from a
 * seed. Writers stream such tensors one at a time. `stored` says where the elements lie when `load` reads them
 * unchanged from a file.
 */
export function lazyTensor(dtype: DType, dims: number[], load: () => TensorArray, stored?: StoredRegion): Tensor {
	const t = {dtype, dims, ...(stored ? {stored} : {})} as Tensor;
	// Not enumerable: spreading or serialising a tensor must never load gigabytes by accident.
	Object.defineProperty(t, 'data', {get: load, enumerable: false, configurable: true});
	return t;
}

/** True for a tensor made by lazyTensor (its data is loaded on each read). */
export function isLazy(t: Tensor): boolean {
	return Object.getOwnPropertyDescriptor(t, 'data')?.get !== undefined;
}

/** Bytes per element of a numeric dtype (0 for strings). */
export function bytesPerElement(dtype: DType): number {
	switch (dtype) {
		case 'float64':
		case 'int64':
		case 'uint64':
			return 8;
		case 'float32':
		case 'int32':
		case 'uint32':
			return 4;
		case 'float16':
		case 'bfloat16':
		case 'int16':
		case 'uint16':
			return 2;
		case 'int8':
		case 'uint8':
		case 'bool':
			return 1;
		case 'string':
			return 0;
	}
}

/** A dimension of a declared shape: a number, a symbolic name, or unknown. */
export type Dim = number | string | null;

/** A typed value declared on a graph input, output or value_info. */
export type ValueInfo = {
	/** Tensor name. */
	name: string;
	/** Element type. */
	dtype: DType;
	/** Declared shape, or undefined when the rank is unknown. */
	shape?: Dim[];
	/** Write no type at all (graph outputs added for probing, whose type onnxruntime infers). */
	untyped?: boolean;
};

/** An attribute value, tagged with its ONNX attribute type so it round-trips exactly. */
export type Attr =
	| {type: 'int'; value: number}
	| {type: 'float'; value: number}
	| {type: 'string'; value: string}
	| {type: 'ints'; value: number[]}
	| {type: 'floats'; value: number[]}
	| {type: 'strings'; value: string[]}
	| {type: 'tensor'; value: Tensor}
	| {type: 'graph'; value: Graph};

/** One operator application. */
export type Node = {
	/** Operator type, e.g. "MatMul". */
	op: string;
	/** Operator domain: "" for the default ONNX domain, "com.microsoft" for contrib ops. */
	domain: string;
	/** Node name (unique within the graph when the project wrote it). */
	name: string;
	/** Input tensor names; "" marks an omitted optional input. */
	inputs: string[];
	/** Output tensor names; "" marks an omitted optional output. */
	outputs: string[];
	/** Attributes by name. */
	attrs: Record<string, Attr>;
};

/** A computation graph. */
export type Graph = {
	/** Graph name. */
	name: string;
	/** Nodes (not necessarily in topological order after surgery: see topologicalOrder). */
	nodes: Node[];
	/** Graph inputs (initializers are not listed here unless the source model listed them). */
	inputs: ValueInfo[];
	/** Graph outputs. */
	outputs: ValueInfo[];
	/** Constant tensors by name. */
	initializers: Map<string, Tensor>;
	/** Type and shape annotations of intermediate tensors. */
	valueInfo: ValueInfo[];
};

/** An operator set the model imports. */
export type OpsetImport = {
	/** Domain: "" (or "ai.onnx") for the default domain. */
	domain: string;
	/** Version. */
	version: number;
};

/** A whole model. */
export type Model = {
	/** ONNX IR version. */
	irVersion: number;
	/** Imported operator sets. */
	opsets: OpsetImport[];
	/** Producer name. */
	producerName: string;
	/** Producer version. */
	producerVersion: string;
	/** The main graph. */
	graph: Graph;
	/** Free-form metadata. */
	metadata: Record<string, string>;
};

/** The default-domain opset version the model imports. */
export function defaultOpset(model: Model): number {
	const entry = model.opsets.find(o => o.domain === '' || o.domain === 'ai.onnx');
	if (!entry) {
		throw new Error('model imports no default-domain opset');
	}
	return entry.version;
}

/** Make sure the model imports `domain` (at `version` when it does not yet). */
export function ensureOpset(model: Model, domain: string, version: number): void {
	if (!model.opsets.some(o => o.domain === domain)) {
		model.opsets.push({domain, version});
	}
}

/** Element count of a shape. */
export function sizeOf(dims: readonly number[]): number {
	let n = 1;
	for (const d of dims) {
		n *= d;
	}
	return n;
}

/** Allocate an empty typed array for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): TensorArray {
	switch (dtype) {
		case 'float32':
			return new Float32Array(n);
		case 'float64':
			return new Float64Array(n);
		case 'int64':
			return new BigInt64Array(n);
		case 'uint64':
			return new BigUint64Array(n);
		case 'int32':
			return new Int32Array(n);
		case 'int16':
			return new Int16Array(n);
		case 'int8':
			return new Int8Array(n);
		case 'uint8':
		case 'bool':
			return new Uint8Array(n);
		case 'uint16':
		case 'float16':
		case 'bfloat16':
			return new Uint16Array(n);
		case 'uint32':
			return new Uint32Array(n);
		case 'string':
			return Array.from({length: n}, () => '');
	}
}

/** True for the floating-point dtypes gradients flow through. */
export function isFloat(dtype: DType | undefined): boolean {
	return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** A tensor of `dtype` holding the given numbers (bigint conversion for 64-bit integer types). */
export function tensorOf(dtype: DType, dims: number[], values: ArrayLike<number> | readonly number[]): Tensor {
	const n = sizeOf(dims);
	if (values.length !== n) {
		throw new Error(`tensorOf: ${values.length} values for shape [${dims.join(',')}]`);
	}
	const data = allocate(dtype, n);
	if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
		for (let i = 0; i < n; i++) {
			data[i] = BigInt(values[i]!);
		}
	} else if (Array.isArray(data)) {
		throw new Error('tensorOf: string tensors are not built from numbers');
	} else {
		(data as Float32Array).set(values as ArrayLike<number>);
	}
	return {dtype, dims: [...dims], data};
}

/** The elements of a numeric tensor as plain numbers. */
export function tensorNumbers(t: Tensor): number[] {
	if (Array.isArray(t.data)) {
		throw new Error('tensorNumbers: string tensor');
	}
	return Array.from(t.data as ArrayLike<number | bigint>, v => Number(v));
}

/** A shallow-cloned model whose graph arrays can be changed without touching the original. */
export function cloneModel(model: Model): Model {
	return {
		...model,
		opsets: model.opsets.map(o => ({...o})),
		metadata: {...model.metadata},
		graph: cloneGraph(model.graph),
	};
}

function cloneGraph(g: Graph): Graph {
	return {
		name: g.name,
		nodes: g.nodes.map(n => ({...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: {...n.attrs}})),
		inputs: g.inputs.map(v => ({...v, shape: v.shape ? [...v.shape] : undefined})),
		outputs: g.outputs.map(v => ({...v, shape: v.shape ? [...v.shape] : undefined})),
		initializers: new Map(g.initializers),
		valueInfo: g.valueInfo.map(v => ({...v, shape: v.shape ? [...v.shape] : undefined})),
	};
}

/** Attribute accessors that say which node lacked what. */
export function attrInt(node: Node, name: string, fallback?: number): number {
	const a = node.attrs[name];
	if (a === undefined) {
		if (fallback === undefined) {
			throw new Error(`${node.op} node "${node.name}" has no attribute ${name}`);
		}
		return fallback;
	}
	if (a.type !== 'int') {
		throw new Error(`${node.op} node "${node.name}": attribute ${name} is ${a.type}, expected int`);
	}
	return a.value;
}

export function attrFloat(node: Node, name: string, fallback?: number): number {
	const a = node.attrs[name];
	if (a === undefined) {
		if (fallback === undefined) {
			throw new Error(`${node.op} node "${node.name}" has no attribute ${name}`);
		}
		return fallback;
	}
	if (a.type !== 'float' && a.type !== 'int') {
		throw new Error(`${node.op} node "${node.name}": attribute ${name} is ${a.type}, expected float`);
	}
	return a.value;
}

export function attrInts(node: Node, name: string): number[] | undefined {
	const a = node.attrs[name];
	if (a === undefined) {
		return undefined;
	}
	if (a.type !== 'ints') {
		throw new Error(`${node.op} node "${node.name}": attribute ${name} is ${a.type}, expected ints`);
	}
	return a.value;
}

export function attrString(node: Node, name: string, fallback?: string): string {
	const a = node.attrs[name];
	if (a === undefined) {
		if (fallback === undefined) {
			throw new Error(`${node.op} node "${node.name}" has no attribute ${name}`);
		}
		return fallback;
	}
	if (a.type !== 'string') {
		throw new Error(`${node.op} node "${node.name}": attribute ${name} is ${a.type}, expected string`);
	}
	return a.value;
}

/** Attribute constructors for builder code: plain numbers are ints, wrap floats with `float()`. */
export const attr = {
	int: (value: number): Attr => ({type: 'int', value}),
	float: (value: number): Attr => ({type: 'float', value}),
	ints: (value: number[]): Attr => ({type: 'ints', value}),
	floats: (value: number[]): Attr => ({type: 'floats', value}),
	string: (value: string): Attr => ({type: 'string', value}),
	tensor: (value: Tensor): Attr => ({type: 'tensor', value}),
};
