/**
 * transformers.js (@huggingface/transformers in Node) as the scoring baseline a user would reach for: it loads the
 * judge's own folder (model, config.json, tokenizer) with remote models off, tokenises the rendered texts with its
 * own tokenizer, runs the model to full logits, and the loss (mean token cross-entropy of the target) is computed in
 * JavaScript, the way one scores text with it. Plus a bare onnxruntime forward of the same model.onnx.
 */
import {copyFileSync, existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {AutoModelForCausalLM, AutoTokenizer, env, Tensor as HfTensor} from '@huggingface/transformers';
import type {EncodedExample} from '../source/judges/batching.js';
import type {OnnxJudge} from '../source/judges/onnx-judge.js';
import type {JudgeExample} from '../source/judges/types.js';
import type {TensorArray} from '../source/onnx/ir.js';
import {createSession, ortTensor, run as ortRun, type OrtTensor} from '../source/onnx/ort.js';
import {tempDir} from './judge-fixtures.js';

/** Mean token cross-entropy of each row's target from full logits [B, T, V] (row b holds example members[b]). */
function crossEntropy(logits: Float32Array, dims: readonly number[], encoded: readonly EncodedExample[], members: readonly number[], out: number[]): void {
	const [, T, V] = dims as [number, number, number];
	members.forEach((m, b) => {
		const e = encoded[m]!;
		const count = e.ids.length - e.contextLength;
		let total = 0;
		for (let j = 0; j < count; j++) {
			// Position contextLength - 1 + j predicts target token j.
			const row = (b * T + e.contextLength - 1 + j) * V;
			let max = -Infinity;
			for (let v = 0; v < V; v++) {
				max = Math.max(max, logits[row + v]!);
			}
			let s = 0;
			for (let v = 0; v < V; v++) {
				s += Math.exp(logits[row + v]! - max);
			}
			total += max + Math.log(s) - logits[row + e.ids[e.contextLength + j]!]!;
		}
		out[m] = total / count;
	});
}

/** Right-padded [B, T] input_ids and attention_mask of a batch. */
function padded(encoded: readonly EncodedExample[], members: readonly number[]): {ids: BigInt64Array; mask: BigInt64Array; dims: [number, number]} {
	const T = Math.max(...members.map(m => encoded[m]!.ids.length));
	const ids = new BigInt64Array(members.length * T);
	const mask = new BigInt64Array(members.length * T);
	members.forEach((m, b) => encoded[m]!.ids.forEach((id, t) => {
		ids[b * T + t] = BigInt(id);
		mask[b * T + t] = 1n;
	}));
	return {ids, mask, dims: [members.length, T]};
}

/** The judge folder copied into the layout transformers.js loads (onnx/model.onnx, config.json, tokenizer files). */
function hubCopy(judge: OnnxJudge): {root: string; name: string} {
	const root = tempDir('tjs');
	const name = 'judge';
	const dir = path.join(root, name);
	mkdirSync(path.join(dir, 'onnx'), {recursive: true});
	copyFileSync(judge.folder.modelPath, path.join(dir, 'onnx', 'model.onnx'));
	copyFileSync(path.join(judge.folder.dir, 'config.json'), path.join(dir, 'config.json'));
	copyFileSync(judge.folder.tokenizerPath, path.join(dir, 'tokenizer.json'));
	const tokenizerConfig = path.join(judge.folder.dir, 'tokenizer_config.json');
	if (existsSync(tokenizerConfig)) {
		copyFileSync(tokenizerConfig, path.join(dir, 'tokenizer_config.json'));
	} else {
		writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({tokenizer_class: 'PreTrainedTokenizerFast', ...judge.folder.specialTokens}));
	}
	return {root, name};
}

/** A transformers.js scorer of the judge's folder: same texts, same batches, losses in JavaScript. */
export async function transformersJsScorer(judge: OnnxJudge, segments: readonly string[], examples: readonly JudgeExample[], encoded: readonly EncodedExample[], batches: readonly number[][]) {
	const {root, name} = hubCopy(judge);
	env.allowRemoteModels = false;
	env.allowLocalModels = true;
	env.localModelPath = root;
	const tokenizer = await AutoTokenizer.from_pretrained(name);
	// Session options left at transformers.js's defaults (graph optimisation "all", onnxruntime's thread count).
	const model = await AutoModelForCausalLM.from_pretrained(name, {dtype: 'fp32', device: 'cpu'});
	const {prefix = [], suffix = []} = judge.folder.framing;
	const losses = new Array<number>(examples.length).fill(Number.NaN);
	let sameIds = true;
	const score = async () => {
		// Its own tokenisation of the judge's rendered texts, framed with the judge's BOS/EOS.
		const mine: EncodedExample[] = examples.map((e, i) => {
			const text = judge.folder.formatter.render(segments, e.input, e.target).text;
			const body = tokenizer.encode(text, {add_special_tokens: false}) as number[];
			// The judge writes its BOS only when the text does not start with it already (a template that writes it).
			const framed = prefix.every((id, i) => body[i] === id) ? body : [...prefix, ...body];
			const ids = [...framed, ...suffix];
			const judgeIds = encoded[i]!.ids;
			if (ids.length !== judgeIds.length || ids.some((id, t) => id !== judgeIds[t])) {
				sameIds = false;
			}
			return {...encoded[i]!, ids};
		});
		for (const members of batches) {
			const p = padded(mine, members);
			const out = (await model({input_ids: new HfTensor('int64', p.ids, p.dims), attention_mask: new HfTensor('int64', p.mask, p.dims)})) as {logits: HfTensor};
			crossEntropy(out.logits.data as Float32Array, out.logits.dims, mine, members, losses);
		}
		return losses;
	};
	return {score, sameIds: () => sameIds, close: () => model.dispose()};
}

/** A bare onnxruntime forward (to logits) of the judge's model.onnx on the same batches, main thread, 2 threads. */
export async function bareForward(judge: OnnxJudge, encoded: readonly EncodedExample[], batches: readonly number[][]) {
	const session = await createSession(judge.folder.modelPath, {threads: 2});
	const info = judge.graphInfo;
	const feeds = batches.map(members => {
		const p = padded(encoded, members);
		const f: Record<string, OrtTensor> = {input_ids: ortTensor('int64', p.ids, p.dims), attention_mask: ortTensor('int64', p.mask, p.dims)};
		if (info.hasPositionIds) {
			const pos = new BigInt64Array(p.ids.length);
			pos.forEach((_, i) => (pos[i] = BigInt(i % p.dims[1])));
			f.position_ids = ortTensor('int64', pos, p.dims);
		}
		for (const past of info.pastInputs) {
			f[past.name] = ortTensor(past.dtype, new Float32Array(0) as TensorArray, [p.dims[0], past.heads, 0, past.headDim]);
		}
		return f;
	});
	const forward = async () => {
		for (const f of feeds) {
			await ortRun(session, f, ['logits']);
		}
	};
	return {forward, release: () => session.release()};
}
