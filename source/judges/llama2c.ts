/**
 * Import of llama2.c checkpoints (legacy "v0" format) and tokenizers into Hugging Face naming, so the Llama builder
 * turns them into an ordinary judge folder.
 *
 * Checkpoint: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a
 * negative vocab_size means the classifier is a separate matrix at the end), then float32 arrays: token embedding,
 * rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag, [wcls].
 *
 * llama2.c rotates adjacent pairs (0,1), (2,3), ... of each head; Hugging Face's Llama rotates halves (i, i+d/2).
 * The two agree after permuting the rows of wq and wk within each head, exactly as Hugging Face's own conversion
 * script does, so the imported model computes what run.c computes.
 *
 * Tokenizer: int32 max_token_length, then per token {float32 score, int32 length, bytes}. It is SentencePiece BPE
 * with byte fallback: "<0xNN>" tokens, merges ranked by the merged piece's score, and a space prepended to the text.
 */
import {readFileSync} from 'node:fs';
import {UserError} from '../errors.js';
import {ioError, refuseSpecialFile} from '../fs-errors.js';
import type {Tensor} from '../onnx/ir.js';

/** The header of a llama2.c checkpoint. */
export type Llama2cHeader = {
	/** Model width. */
	dim: number;
	/** Feed-forward width. */
	hiddenDim: number;
	/** Transformer layers. */
	nLayers: number;
	/** Query heads. */
	nHeads: number;
	/** Key/value heads. */
	nKvHeads: number;
	/** Vocabulary size. */
	vocabSize: number;
	/** Context length. */
	seqLen: number;
	/** Whether the classifier shares the token embedding. */
	shared: boolean;
};

/** Why a file could not be read, as one line (a file over 2 GiB is refused by readFileSync with a code of its own). */
function readFailure(error: unknown, action: string, file: string): UserError {
	const known = ioError(error, action, file);
	return known instanceof UserError ? known : new UserError(`cannot ${action}: ${(error as Error).message}`, {file});
}

/** Read a llama2.c checkpoint into Hugging Face Llama parameter names. */
export function readLlama2cCheckpoint(file: string): {header: Llama2cHeader; weights: Map<string, Tensor>} {
	let bytes: Buffer;
	refuseSpecialFile(file, 'read the checkpoint');
	try {
		bytes = readFileSync(file);
	} catch (error) {
		throw readFailure(error, 'read the checkpoint', file);
	}
	if (bytes.length < 28) {
		throw new UserError('not a llama2.c checkpoint: shorter than its 28-byte header', {file});
	}
	const h = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 28));
	const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = Array.from(h) as [number, number, number, number, number, number, number];
	const header: Llama2cHeader = {dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(rawVocab), seqLen, shared: rawVocab > 0};
	const sane = dim > 0 && hiddenDim > 0 && nLayers > 0 && nHeads > 0 && nKvHeads > 0 && nHeads % nKvHeads === 0 && dim % nHeads === 0 && seqLen > 0 && header.vocabSize > 0;
	if (!sane) {
		throw new UserError(`not a llama2.c checkpoint: implausible header [${Array.from(h).join(', ')}]`, {file});
	}
	const headSize = dim / nHeads;
	const kvDim = nKvHeads * headSize;
	const V = header.vocabSize;
	const sizes: [string, number[]][] = [
		['embed', [V, dim]],
		['rms_att', [nLayers, dim]],
		['wq', [nLayers, dim, dim]],
		['wk', [nLayers, kvDim, dim]],
		['wv', [nLayers, kvDim, dim]],
		['wo', [nLayers, dim, dim]],
		['rms_ffn', [nLayers, dim]],
		['w1', [nLayers, hiddenDim, dim]],
		['w2', [nLayers, dim, hiddenDim]],
		['w3', [nLayers, hiddenDim, dim]],
		['rms_final', [dim]],
		['freq_real', [seqLen, headSize / 2]],
		['freq_imag', [seqLen, headSize / 2]],
	];
	if (!header.shared) {
		sizes.push(['wcls', [V, dim]]);
	}
	const total = sizes.reduce((n, [, d]) => n + d.reduce((a, b) => a * b, 1), 0);
	const expected = 28 + 4 * total;
	if (bytes.length !== expected) {
		throw new UserError(`checkpoint is ${bytes.length} bytes; its header [${Array.from(h).join(', ')}] implies ${expected}`, {file});
	}
	const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 28, bytes.byteOffset + bytes.length));
	const parts = new Map<string, Float32Array>();
	let offset = 0;
	for (const [name, dims] of sizes) {
		const n = dims.reduce((a, b) => a * b, 1);
		parts.set(name, floats.subarray(offset, offset + n));
		offset += n;
	}
	const weights = new Map<string, Tensor>();
	const put = (name: string, dims: number[], data: Float32Array) => weights.set(name, {dtype: 'float32', dims, data: new Float32Array(data)});
	const layer = (name: string, i: number, rows: number, cols: number) => parts.get(name)!.subarray(i * rows * cols, (i + 1) * rows * cols);
	put('model.embed_tokens.weight', [V, dim], parts.get('embed')!);
	for (let i = 0; i < nLayers; i++) {
		const p = `model.layers.${i}`;
		put(`${p}.input_layernorm.weight`, [dim], layer('rms_att', i, 1, dim));
		put(`${p}.self_attn.q_proj.weight`, [dim, dim], permuteRotary(layer('wq', i, dim, dim), nHeads, headSize, dim));
		put(`${p}.self_attn.k_proj.weight`, [kvDim, dim], permuteRotary(layer('wk', i, kvDim, dim), nKvHeads, headSize, dim));
		put(`${p}.self_attn.v_proj.weight`, [kvDim, dim], layer('wv', i, kvDim, dim));
		put(`${p}.self_attn.o_proj.weight`, [dim, dim], layer('wo', i, dim, dim));
		put(`${p}.post_attention_layernorm.weight`, [dim], layer('rms_ffn', i, 1, dim));
		put(`${p}.mlp.gate_proj.weight`, [hiddenDim, dim], layer('w1', i, hiddenDim, dim));
		put(`${p}.mlp.down_proj.weight`, [dim, hiddenDim], layer('w2', i, dim, hiddenDim));
		put(`${p}.mlp.up_proj.weight`, [hiddenDim, dim], layer('w3', i, hiddenDim, dim));
	}
	put('model.norm.weight', [dim], parts.get('rms_final')!);
	if (!header.shared) {
		put('lm_head.weight', [V, dim], parts.get('wcls')!);
	}
	return {header, weights};
}

/**
 * Reorder the rows of a [heads*headSize, cols] projection so that rotating halves equals llama2.c's rotation of
 * adjacent pairs: within each head, row 2j goes to j and row 2j+1 goes to j + headSize/2.
 */
export function permuteRotary(w: Float32Array, heads: number, headSize: number, cols: number): Float32Array {
	const out = new Float32Array(w.length);
	const half = headSize / 2;
	for (let h = 0; h < heads; h++) {
		for (let j = 0; j < half; j++) {
			for (const [src, dst] of [
				[2 * j, j],
				[2 * j + 1, j + half],
			] as const) {
				const from = (h * headSize + src) * cols;
				const to = (h * headSize + dst) * cols;
				out.set(w.subarray(from, from + cols), to);
			}
		}
	}
	return out;
}

/** A token of a llama2.c tokenizer. */
export type Llama2cToken = {
	/** The piece, decoded from UTF-8 (byte tokens stay as "<0xNN>"). */
	piece: string;
	/** Merge score (higher merges first). */
	score: number;
};

/** Read a llama2.c tokenizer.bin for a vocabulary of `vocabSize` tokens. */
export function readLlama2cTokenizer(file: string, vocabSize: number): Llama2cToken[] {
	let bytes: Buffer;
	refuseSpecialFile(file, 'read the tokenizer');
	try {
		bytes = readFileSync(file);
	} catch (error) {
		throw readFailure(error, 'read the tokenizer', file);
	}
	const tokens: Llama2cToken[] = [];
	let at = 4;
	for (let i = 0; i < vocabSize; i++) {
		if (at + 8 > bytes.length) {
			throw new UserError(`tokenizer ends after ${i} tokens; the checkpoint has ${vocabSize}`, {file});
		}
		const score = bytes.readFloatLE(at);
		const len = bytes.readInt32LE(at + 4);
		at += 8;
		if (len < 0 || at + len > bytes.length) {
			throw new UserError(`token ${i} has an impossible length ${len}`, {file});
		}
		tokens.push({piece: bytes.subarray(at, at + len).toString('utf8'), score});
		at += len;
	}
	return tokens;
}

/**
 * A Hugging Face tokenizer.json equivalent to llama2.c's encoder and decoder: BPE over characters with byte
 * fallback, merges ordered by the merged piece's score, a space prepended, and on decoding that space stripped.
 * Ids 0, 1 and 2 are <unk>, BOS and EOS as in llama2.c.
 */
export function llama2cTokenizerJson(tokens: Llama2cToken[]): Record<string, unknown> {
	const vocab: Record<string, number> = {};
	tokens.forEach((t, id) => {
		if (!(t.piece in vocab)) {
			vocab[t.piece] = id;
		}
	});
	const isByte = (p: string) => /^<0x[0-9A-F]{2}>$/.test(p);
	const merges: {pair: [string, string]; score: number; id: number}[] = [];
	tokens.forEach((t, id) => {
		if (id < 3 || isByte(t.piece) || [...t.piece].length < 2) {
			return;
		}
		const chars = [...t.piece];
		for (let k = 1; k < chars.length; k++) {
			const left = chars.slice(0, k).join('');
			const right = chars.slice(k).join('');
			if (left in vocab && right in vocab) {
				merges.push({pair: [left, right], score: t.score, id});
			}
		}
	});
	merges.sort((a, b) => b.score - a.score || a.id - b.id);
	const special = (id: number, content: string) => ({id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true});
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [special(0, tokens[0]!.piece), special(1, tokens[1]!.piece), special(2, tokens[2]!.piece)],
		normalizer: {type: 'Prepend', prepend: ' '},
		pre_tokenizer: null,
		post_processor: null,
		decoder: {
			type: 'Sequence',
			decoders: [{type: 'ByteFallback'}, {type: 'Fuse'}, {type: 'Strip', content: ' ', start: 1, stop: 0}],
		},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: tokens[0]!.piece,
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: true,
			byte_fallback: true,
			ignore_merges: false,
			vocab,
			merges: merges.map(m => m.pair),
		},
	};
}
