/**
 * Opening a Hugging Face checkpoint folder (config.json, safetensors weights, single or sharded) as an ONNX decoder
 * graph built by gmpo's own builders. Only headers are read here: the graph's initializers are lazy tensors that read
 * and convert their weights when a writer asks for them, one at a time.
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';
import {bytesPerElement, lazyTensor, sizeOf, type Model, type Tensor} from '../onnx/ir.js';
import {ConfigReader, computeDType} from './config-reader.js';
import {architectureFor} from './registry.js';
import {INDEX_FILE, SINGLE_FILE, readCheckpointEntries} from './safetensors-folder.js';
import {safetensorsTensor} from './safetensors.js';

/** Special token ids from config.json and generation_config.json. */
export type CheckpointTokens = {
	/** Beginning-of-sequence id (generation_config.json's, else config.json's). */
	bosTokenId?: number;
	/** End-of-sequence ids: config.json's, then those generation_config.json adds (end-of-turn tokens). */
	eosTokenIds: number[];
	/** Padding id, when either config names one. */
	padTokenId?: number;
};

/** An opened checkpoint. */
export type Checkpoint = {
	/** Absolute path of the folder. */
	dir: string;
	/** config.json's model_type, which chose the architecture. */
	architecture: string;
	/** The builder config read from config.json (its type is the architecture's). */
	config: unknown;
	/** The decoder graph; its weight initializers are lazy tensors reading the safetensors files. */
	model: Model;
	/** Special token ids. */
	tokens: CheckpointTokens;
	/** Elements of the weights. */
	parameters: number;
	/** Bytes of the weights once converted to the compute type (float32, or float64 for float64 checkpoints). */
	weightBytes: number;
};

/** Options of loadCheckpoint. */
export type LoadCheckpointOptions = {
	/**
	 * Cancels: checked between shard headers and before each weight is read, so a writer streaming the model stops
	 * at the next tensor.
	 */
	signal?: AbortSignal;
	/** Bytes of weights converted so far and in all, reported as the model's weights are read (each counted once). */
	onProgress?: (done: number, total: number) => void;
};

/** True when `dir` holds a config.json and safetensors weights (model.safetensors or a sharded index). */
export function isCheckpointFolder(dir: string): boolean {
	return existsSync(path.join(dir, 'config.json')) && (existsSync(path.join(dir, SINGLE_FILE)) || existsSync(path.join(dir, INDEX_FILE)));
}

/** Open the checkpoint in `dir`; every problem a user can cause is a UserError naming the file (and field). */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Checkpoint> {
	const root = path.resolve(dir);
	const configFile = path.join(root, 'config.json');
	const json = readJsonObject(configFile, true)!;
	const architecture = await architectureFor(json['model_type'], configFile);
	const config: unknown = architecture.readConfig(json, configFile);
	noPickleOnly(root);
	options.signal?.throwIfAborted();
	const entries = readCheckpointEntries(root, () => options.signal?.throwIfAborted());
	const dtype = computeDType(json);
	const weights = new Map<string, Tensor>();
	const from = new Map<string, string>();
	for (const [key, entry] of entries) {
		const name = architecture.canonicalName ? architecture.canonicalName(key, config) : key;
		if (name === undefined) continue;
		const other = from.get(name);
		if (other !== undefined) {
			throw new UserError(`tensors ${other} and ${key} are both ${name}`, {file: root});
		}
		from.set(name, key);
		weights.set(name, safetensorsTensor(entry, dtype));
	}
	let parameters = 0;
	let weightBytes = 0;
	for (const t of weights.values()) {
		parameters += sizeOf(t.dims);
		weightBytes += sizeOf(t.dims) * bytesPerElement(t.dtype);
	}
	const tracked = options.signal || options.onProgress ? track(weights, weightBytes, options) : weights;
	let model: Model;
	try {
		model = architecture.build(config, tracked);
	} catch (error) {
		if (error instanceof UserError) throw error;
		throw new UserError(`the checkpoint does not match config.json: ${(error as Error).message}`, {file: root});
	}
	return {dir: root, architecture: json['model_type'] as string, config, model, tokens: readTokens(root, json, configFile), parameters, weightBytes};
}

/** Weights whose reads check the signal and report progress; a tensor counts once however often it is read. */
function track(weights: Map<string, Tensor>, total: number, options: LoadCheckpointOptions): Map<string, Tensor> {
	const counted = new Set<string>();
	let done = 0;
	return new Map(
		[...weights].map(([name, t]) => [
			name,
			lazyTensor(
				t.dtype,
				t.dims,
				() => {
					options.signal?.throwIfAborted();
					const data = t.data;
					if (!counted.has(name)) {
						counted.add(name);
						done += sizeOf(t.dims) * bytesPerElement(t.dtype);
						options.onProgress?.(done, total);
					}
					return data;
				},
				t.stored,
			),
		]),
	);
}

function noPickleOnly(root: string): void {
	if (existsSync(path.join(root, SINGLE_FILE)) || existsSync(path.join(root, INDEX_FILE))) return;
	const names = readdirSync(root);
	const pickle = names.find(n => n.endsWith('.bin') || n.endsWith('.pt') || n.endsWith('.pth'));
	const loose = names.find(n => n.endsWith('.safetensors'));
	const hint = pickle
		? `; it has ${pickle} (PyTorch pickle), which gmpo does not read: save the model with safetensors (save_pretrained's default)`
		: loose
			? `; it has ${loose}: name it ${SINGLE_FILE}, or add ${INDEX_FILE} for shards`
			: '';
	throw new UserError(`no ${SINGLE_FILE} or ${INDEX_FILE} in the checkpoint folder${hint}`, {file: root});
}

function readTokens(root: string, json: Record<string, unknown>, configFile: string): CheckpointTokens {
	const generationFile = path.join(root, 'generation_config.json');
	const generation = new ConfigReader(readJsonObject(generationFile, false) ?? {}, generationFile);
	const config = new ConfigReader(json, configFile);
	const eos = [...new Set([...config.tokenIds('eos_token_id'), ...generation.tokenIds('eos_token_id')])];
	const bos = generation.optionalTokenId('bos_token_id') ?? config.optionalTokenId('bos_token_id');
	const pad = config.optionalTokenId('pad_token_id') ?? generation.optionalTokenId('pad_token_id');
	return {...(bos === undefined ? {} : {bosTokenId: bos}), eosTokenIds: eos, ...(pad === undefined ? {} : {padTokenId: pad})};
}

function readJsonObject(file: string, required: boolean): Record<string, unknown> | undefined {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
		throw new UserError(missing ? 'missing: a Hugging Face checkpoint folder has a config.json' : `cannot read (${(error as Error).message})`, {file});
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		throw new UserError(`not valid JSON (${(error as Error).message})`, {file});
	}
	if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError('expected a JSON object', {file});
	return json as Record<string, unknown>;
}
