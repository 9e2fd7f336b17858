/**
 * Training checkpoints: weights, AdamW moments, the step and the loss history in one file, written atomically
 * (temporary file, fsync, rename) so a kill mid-write leaves the previous checkpoint intact. Tensors are stored as
 * raw little-endian float32 bytes, so a resumed run starts from exactly the state the interrupted one had.
 *
 * Layout: "GMPOCKPT" (8 bytes), header length (uint32 LE), header JSON (UTF-8), then for every tensor of the header
 * in order its weights, m and v as float32.
 */
import {readFileSync} from 'node:fs';
import {writeFileAtomic} from '../atomic-write.js';

const MAGIC = 'GMPOCKPT';

/** What a checkpoint holds besides the tensors. */
export type CheckpointMeta = {
	/** Steps done. */
	step: number;
	/** Optimizer step counter (equal to `step` unless a run changed optimizers). */
	optimizerStep: number;
	/** A fingerprint of the run's settings: a checkpoint only resumes the run it came from. */
	fingerprint: string;
	/** Training loss of every step done. */
	losses: number[];
	/** Anything else the trainer keeps (held-out curve, timings). */
	extra: Record<string, unknown>;
};

/** A checkpoint in memory. */
export type Checkpoint = CheckpointMeta & {
	/** Parameters by name, in a fixed order. */
	weights: Map<string, Float32Array>;
	/** First moments by name. */
	m: Map<string, Float32Array>;
	/** Second moments by name. */
	v: Map<string, Float32Array>;
};

/** Write a checkpoint atomically. */
export function saveCheckpoint(file: string, ckpt: Checkpoint): void {
	const names = [...ckpt.weights.keys()];
	const header = Buffer.from(
		JSON.stringify({
			step: ckpt.step,
			optimizerStep: ckpt.optimizerStep,
			fingerprint: ckpt.fingerprint,
			losses: ckpt.losses,
			extra: ckpt.extra,
			tensors: names.map(n => ({name: n, size: ckpt.weights.get(n)!.length})),
		}),
		'utf8',
	);
	const head = Buffer.alloc(12);
	head.write(MAGIC, 0, 'latin1');
	head.writeUInt32LE(header.length, 8);
	const tensors = names.flatMap(n => [ckpt.weights.get(n)!, ckpt.m.get(n)!, ckpt.v.get(n)!]);
	writeFileAtomic(file, [head, header, ...tensors.map(t => new Uint8Array(t.buffer, t.byteOffset, t.byteLength))]);
}

/** Read a checkpoint; throws with the file name when it is not one. */
export function loadCheckpoint(file: string): Checkpoint {
	const bytes = readFileSync(file);
	if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file} is not a gmpo training checkpoint`);
	const headerLength = bytes.readUInt32LE(8);
	const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as CheckpointMeta & {tensors: {name: string; size: number}[]};
	let at = 12 + headerLength;
	const take = (size: number): Float32Array => {
		if (at + size * 4 > bytes.length) throw new Error(`${file} is truncated`);
		const out = new Float32Array(size);
		new Uint8Array(out.buffer).set(bytes.subarray(at, at + size * 4));
		at += size * 4;
		return out;
	};
	const weights = new Map<string, Float32Array>();
	const m = new Map<string, Float32Array>();
	const v = new Map<string, Float32Array>();
	for (const {name, size} of header.tensors) {
		weights.set(name, take(size));
		m.set(name, take(size));
		v.set(name, take(size));
	}
	if (at !== bytes.length) throw new Error(`${file}: ${bytes.length - at} unexpected trailing bytes`);
	return {step: header.step, optimizerStep: header.optimizerStep, fingerprint: header.fingerprint, losses: header.losses, extra: header.extra, weights, m, v};
}
