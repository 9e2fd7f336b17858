/**
 * The only module that imports onnxruntime-node. Sessions are created and run through these functions, which
 * check feeds against the session's declared inputs and say which names and shapes were wrong on failure.
 *
 * Note: `session.run` blocks the calling thread for the whole run. Code on the UI thread must go through the
 * worker pool in source/judges, never call `run` directly.
 */
import ort from 'onnxruntime-node';
import {sizeOf, type DType, type Tensor, type TensorArray} from './ir.js';

// onnxruntime writes its warnings to stderr ("Removing initializer ... not used by any node" for many exported
// models): over the terminal UI they would garble the screen, and they ask nothing of the user. Errors still come
// back as exceptions. The default logger's level also governs every session's.
ort.env.logLevel = 'error';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export type Feeds = Record<string, ort.Tensor>;

/** Options for creating a session. */
export type SessionOptions = {
	/** Graph optimisation level: use "basic" for float64 graphs (level "all" fuses ops that have float-only kernels). */
	optimization?: 'disabled' | 'basic' | 'extended' | 'all';
	/** Intra-op threads (default 1: the worker pool provides the parallelism). */
	threads?: number;
	/**
	 * The folder external data locations are resolved against, for a model given as bytes (a graph in a cache folder
	 * whose weights lie in the model's own folder; see model-file.ts).
	 */
	externalDataDir?: string;
	/**
	 * Repack constant weights into onnxruntime's own layout at session creation (default true). Faster matmuls
	 * (about 20% at a few hundred rows), but the packed weights are a copy in anonymous memory made while the session
	 * opens (seconds per GB), instead of pages mapped from the data file and shared with the page cache.
	 */
	prepack?: boolean;
};

/** Create a session from model bytes or a file path. */
export async function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<OrtSession> {
	const session: Record<string, string> = {};
	if (options.externalDataDir) {
		session.model_external_initializers_file_folder_path = options.externalDataDir;
	}
	if (options.prepack === false) {
		session.disable_prepacking = '1';
	}
	const opts: ort.InferenceSession.SessionOptions = {
		graphOptimizationLevel: options.optimization ?? 'all',
		intraOpNumThreads: options.threads ?? 1,
		interOpNumThreads: 1,
		executionMode: 'sequential',
		extra: {session},
	};
	return typeof model === 'string'
		? ort.InferenceSession.create(model, opts)
		: ort.InferenceSession.create(model, opts);
}

/** A runtime tensor from typed data. */
export function ortTensor(dtype: DType, data: TensorArray, dims: readonly number[]): OrtTensor {
	const type = ORT_TYPES[dtype];
	if (!type) {
		throw new Error(`onnxruntime tensors of ${dtype} are not supported here`);
	}
	if (data.length !== sizeOf(dims)) {
		throw new Error(`tensor data has ${data.length} elements, shape [${dims.join(',')}] needs ${sizeOf(dims)}`);
	}
	return new ort.Tensor(type as 'float32', data as Float32Array, dims);
}

/** A runtime tensor from an IR tensor. */
export function fromIr(t: Tensor): OrtTensor {
	return ortTensor(t.dtype, t.data, t.dims);
}

/** An IR tensor from a runtime tensor (the data is shared, not copied). */
export function toIr(t: OrtTensor): Tensor {
	const dtype = DTYPES_BY_ORT[t.type];
	if (!dtype) {
		throw new Error(`unsupported runtime tensor type ${t.type}`);
	}
	return {dtype, dims: [...t.dims], data: t.data as TensorArray};
}

const ORT_TYPES: Partial<Record<DType, string>> = {
	float32: 'float32',
	float64: 'float64',
	float16: 'float16',
	int64: 'int64',
	int32: 'int32',
	int16: 'int16',
	int8: 'int8',
	uint8: 'uint8',
	uint16: 'uint16',
	uint32: 'uint32',
	uint64: 'uint64',
	bool: 'bool',
	string: 'string',
};
const DTYPES_BY_ORT: Record<string, DType> = Object.fromEntries(Object.entries(ORT_TYPES).map(([k, v]) => [v, k as DType]));

const describe = (feeds: Feeds): string =>
	Object.entries(feeds)
		.map(([k, v]) => `${k}: ${v.type}[${v.dims.join(',')}]`)
		.join(', ');

/**
 * Run a session. Feeds are checked against the session's input names first: a missing or unexpected name gives
 * an error listing what the model wants and what it got, instead of onnxruntime's terse message.
 */
export async function run(session: OrtSession, feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, OrtTensor>> {
	const wanted = session.inputNames;
	const missing = wanted.filter(n => !(n in feeds));
	const extra = Object.keys(feeds).filter(n => !wanted.includes(n));
	if (missing.length > 0 || extra.length > 0) {
		throw new Error(
			`model inputs do not match: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]; ` +
				`the model takes [${wanted.join(', ')}], got {${describe(feeds)}}`,
		);
	}
	try {
		return outputs ? await session.run(feeds, [...outputs]) : await session.run(feeds);
	} catch (error) {
		throw new Error(`onnxruntime failed: ${(error as Error).message.split('\n')[0]} (inputs {${describe(feeds)}})`);
	}
}

/** Release a session's native resources. */
export async function release(session: OrtSession): Promise<void> {
	await session.release();
}
