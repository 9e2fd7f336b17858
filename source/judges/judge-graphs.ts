/**
 * Building a judge's graphs once and caching them on disk: the loss graph (scoring, leave-one-out) and the
 * attribution graph (loss and segment_grad from one forward and one backward pass). The cache key is the model
 * file's SHA-256 plus the options and the surgery's version, so a changed model or option never reuses a stale
 * graph. When the model cannot be differentiated, the reason is cached instead and leave-one-out is used.
 */
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UserError} from '../errors.js';
import {UnsupportedOpError} from '../onnx/autodiff.js';
import {cloneModel, sizeOf, isFloat, type Model} from '../onnx/ir.js';
import {buildAttributionGraph, buildLossGraph, inspectCausalLm, JudgeGraphError, type Baseline, type CausalLmInterface} from '../onnx/judge-graph.js';
import {decodeModel, writeModel} from '../onnx/proto.js';
import {prefixModel} from './prefix-cache.js';

/** Bump when the surgery or autodiff changes what they emit, so cached graphs are rebuilt. */
const SURGERY_VERSION = 2;

/** Where cached judge graphs live: $GMPO_CACHE_DIR, else ~/.cache/gmpo. */
export function cacheDir(): string {
	return process.env.GMPO_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gmpo');
}

/** A judge's graphs, ready for sessions. */
export type JudgeGraphs = {
	/** The source model's interface. */
	info: CausalLmInterface;
	/** Loss-only graph file. */
	lossPath: string;
	/** Prefix graph file (the model pruned to its key/value cache outputs), when the model has a cache. */
	prefixPath?: string;
	/** Attribution graph file, or why there is none. */
	attribution: {path: string} | {reason: string};
	/** Parameters (elements of float initializers). */
	parameters: number;
	/** Cache key (for session caching in workers). */
	key: string;
};

/** Build (or find in the cache) the graphs of the model at `modelPath`. */
export async function judgeGraphs(modelPath: string, options: {baseline?: Baseline; padTokenId?: number} = {}): Promise<JudgeGraphs> {
	const bytes = readFileSync(modelPath);
	const baseline = options.baseline ?? 'zero';
	const hash = createHash('sha256').update(bytes).update(`|${baseline}|${options.padTokenId ?? ''}|v${SURGERY_VERSION}`).digest('hex').slice(0, 24);
	const dir = cacheDir();
	mkdirSync(dir, {recursive: true});
	const lossPath = path.join(dir, `${hash}-loss.onnx`);
	const attrPath = path.join(dir, `${hash}-attr.onnx`);
	const failPath = path.join(dir, `${hash}-attr.unsupported.txt`);
	const prefixPath = path.join(dir, `${hash}-prefix.onnx`);
	let model: Model;
	try {
		model = decodeModel(bytes, path.dirname(modelPath));
	} catch (error) {
		throw new UserError(`not a readable ONNX model: ${(error as Error).message}`, {file: modelPath});
	}
	let info: CausalLmInterface;
	try {
		info = inspectCausalLm(model);
	} catch (error) {
		if (error instanceof JudgeGraphError) {
			throw new UserError(error.message, {file: modelPath});
		}
		throw error;
	}
	if (!existsSync(lossPath)) {
		writeModel(lossPath, buildLossGraph(model, {baseline, padTokenId: options.padTokenId, targetPositions: true}).model);
	}
	let hasPrefix = existsSync(prefixPath);
	if (!hasPrefix) {
		const prefix = prefixModel(cloneModel(model), info);
		if (prefix) {
			writeModel(prefixPath, prefix);
			hasPrefix = true;
		}
	}
	let attribution: JudgeGraphs['attribution'];
	if (existsSync(attrPath)) {
		attribution = {path: attrPath};
	} else if (existsSync(failPath)) {
		attribution = {reason: readFileSync(failPath, 'utf8')};
	} else {
		try {
			const built = await buildAttributionGraph(model, {baseline, padTokenId: options.padTokenId, targetPositions: true});
			writeModel(attrPath, built.model);
			attribution = {path: attrPath};
		} catch (error) {
			if (!(error instanceof UnsupportedOpError)) {
				throw error;
			}
			const tmp = `${failPath}.${process.pid}.tmp`;
			writeFileSync(tmp, error.message);
			renameSync(tmp, failPath);
			attribution = {reason: error.message};
		}
	}
	let parameters = 0;
	for (const t of model.graph.initializers.values()) {
		if (isFloat(t.dtype)) {
			parameters += sizeOf(t.dims);
		}
	}
	return {info, lossPath, prefixPath: hasPrefix ? prefixPath : undefined, attribution, parameters, key: hash};
}
