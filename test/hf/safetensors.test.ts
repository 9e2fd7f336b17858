import assert from 'node:assert/strict';
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {f16round} from '@petamoriken/float16';
import {UserError} from '../../source/errors.js';
import {bf16ToF32, f16ToF32, f32ToBf16, f32ToF16} from '../../source/hf/float-convert.js';
import {readCheckpointEntries} from '../../source/hf/safetensors-folder.js';
import {readSafetensors, readSafetensorsHeader, safetensorsTensor} from '../../source/hf/safetensors.js';
import {writeCheckpointWeights, writeSafetensors} from '../../source/hf/safetensors-write.js';
import {isLazy, tensorOf, type Tensor} from '../../source/onnx/ir.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gmpo-safetensors-'));
after(() => rmSync(dir, {recursive: true, force: true}));
let n = 0;
const file = () => path.join(dir, `t${n++}.safetensors`);

const values = (count: number, seed: number) => Array.from({length: count}, (_, i) => Math.sin(seed * 1000 + i * 1.7) * 10 ** ((i % 7) - 3));
const tensors = (): Map<string, Tensor> =>
	new Map<string, Tensor>([
		['model.embed_tokens.weight', tensorOf('float32', [5, 3], values(15, 1))],
		['model.norm.weight', tensorOf('float32', [3], values(3, 2))],
		['scalar', tensorOf('float32', [], [0.25])],
		['empty', tensorOf('float32', [0, 4], [])],
		['ids', tensorOf('int64', [2, 2], [1, -2, 3, 2 ** 40])],
		['double', tensorOf('float64', [2], [Math.PI, 1e-300])],
	]);
const same = (a: Tensor, b: Tensor, what: string) => {
	assert.equal(a.dtype, b.dtype, `${what}: dtype`);
	assert.deepEqual(a.dims, b.dims, `${what}: dims`);
	assert.deepEqual(Array.from(a.data as ArrayLike<number | bigint>), Array.from(b.data as ArrayLike<number | bigint>), `${what}: data`);
};
const rejects = (fn: () => unknown, pattern: RegExp, tensor?: string) =>
	assert.throws(fn, (e: unknown) => e instanceof UserError && pattern.test(e.message) && (tensor === undefined || e.field === tensor) && typeof e.file === 'string', `expected a UserError matching ${pattern}${tensor ? ` naming ${tensor}` : ''}`);

test('float32, float64 and int64 tensors round-trip exactly; tensors are lazy, float32 ones point at their stored bytes', () => {
	const f = file();
	writeSafetensors(f, tensors());
	const bytes = readFileSync(f);
	assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0, 'data starts 8-byte aligned');
	const header = readSafetensorsHeader(f);
	assert.deepEqual(header.metadata, {format: 'pt'});
	const read = readSafetensors(f);
	for (const [name, t] of tensors()) same(read.get(name)!, t, name);
	const emb = read.get('model.embed_tokens.weight')!;
	assert.ok(isLazy(emb));
	assert.notEqual(emb.data, emb.data, 'each read produces a new array: nothing is kept');
	const stored = emb.stored!;
	assert.deepEqual(new Float32Array(bytes.buffer.slice(bytes.byteOffset + stored.offset, bytes.byteOffset + stored.offset + stored.length)), emb.data);
	assert.equal(read.get('double')!.dtype, 'float64');
	assert.equal(readSafetensors(f, 'float32').get('double')!.dtype, 'float32', 'F64 delivered as float32 when asked');
	assert.equal(readSafetensors(f, 'float64').get('model.norm.weight')!.stored, undefined, 'converted tensors have no stored region');
});

test('bfloat16 rounds to nearest-even and widens exactly; float16 agrees with IEEE half precision', () => {
	const x = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 3.3e38, 1e-40, 0, -0, Number.POSITIVE_INFINITY, Number.NaN]);
	const bf = bf16ToF32(f32ToBf16(x));
	assert.deepEqual(Array.from(bf.subarray(0, 4)), [1, 1, 1 + 4 * 2 ** -8, -2.5], 'ties go to even');
	assert.ok(Number.isNaN(bf[9]!) && bf[8] === Number.POSITIVE_INFINITY && Object.is(bf[7], -0));
	const h = new Float32Array([1, 65504, 65520, 6e-8, 2 ** -24, 1 / 3, -0.1, 1e-10, Number.NEGATIVE_INFINITY]);
	const back = f16ToF32(f32ToF16(h));
	h.forEach((v, i) => assert.ok(Object.is(back[i], f16round(v)), `${v}: ${back[i]} vs ${f16round(v)}`));
});

test('a checkpoint written as bf16 or f16 reads back as the rounded float32 values', () => {
	for (const dtype of ['BF16', 'F16'] as const) {
		const f = file();
		const t = tensors();
		writeSafetensors(f, t, {dtype});
		const header = readSafetensorsHeader(f);
		assert.equal(header.entries.get('model.norm.weight')!.dtype, dtype);
		assert.equal(header.entries.get('ids')!.dtype, 'I64', 'integer tensors keep their type');
		const read = readSafetensors(f);
		const src = t.get('model.embed_tokens.weight')!.data as Float32Array;
		const rounded = dtype === 'BF16' ? bf16ToF32(f32ToBf16(src)) : f16ToF32(f32ToF16(src));
		assert.deepEqual(read.get('model.embed_tokens.weight')!.data, rounded);
		assert.equal(read.get('model.embed_tokens.weight')!.stored, undefined);
	}
});

test('a sharded checkpoint (index + shards) holds the same tensors as the single file', () => {
	const single = path.join(dir, 'single');
	const sharded = path.join(dir, 'sharded');
	writeCheckpointWeights(single, tensors());
	const files = writeCheckpointWeights(sharded, tensors(), {shardBytes: 40});
	assert.ok(files.length >= 4, `${files.length} files`);
	assert.ok(files.at(-1)!.endsWith('model.safetensors.index.json'));
	const a = readCheckpointEntries(single);
	const b = readCheckpointEntries(sharded);
	assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
	for (const [name, e] of a) same(safetensorsTensor(b.get(name)!), safetensorsTensor(e), name);
	assert.ok(new Set([...b.values()].map(e => e.file)).size > 1);
});

test('bad files get one UserError naming the file and the tensor', () => {
	const good = file();
	writeSafetensors(good, tensors());
	const bytes = readFileSync(good);
	const headerLength = Number(bytes.readBigUInt64LE(0));
	const withHeader = (json: string, data = Buffer.alloc(64)) => {
		const f = file();
		const head = Buffer.alloc(8);
		head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
		writeFileSync(f, Buffer.concat([head, Buffer.from(json), data]));
		return f;
	};
	const truncated = file();
	writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
	rejects(() => readSafetensorsHeader(truncated), /truncated/, 'double');
	const cutHeader = file();
	writeFileSync(cutHeader, bytes.subarray(0, 8 + headerLength - 5));
	rejects(() => readSafetensorsHeader(cutHeader), /truncated/);
	rejects(() => readSafetensorsHeader(withHeader('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [60, 68]}}')), /truncated/, 'a');
	rejects(() => readSafetensorsHeader(withHeader('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}')), /needs 12/, 'a');
	rejects(() => readSafetensorsHeader(withHeader('{"a": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}')), /unknown dtype "F33"/, 'a');
	rejects(() => readSafetensorsHeader(withHeader('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}')), /twice/, 'a');
	rejects(() => readSafetensorsHeader(withHeader('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}')), /overlap/, 'b');
	rejects(() => readSafetensorsHeader(withHeader('{"a": [1, 2')), /not JSON/);
	rejects(() => readSafetensorsHeader(path.join(dir, 'missing.safetensors')), /cannot open/);
	const f8 = withHeader('{"a": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}');
	rejects(() => readSafetensors(f8).get('a')!.data, /F8_E4M3 weights are not supported/, 'a');
	// A file that shrank after its header was read: the tensor's read names it.
	const shrinking = file();
	writeFileSync(shrinking, bytes);
	const lazy = readSafetensors(shrinking);
	truncateSync(shrinking, 8 + headerLength + 10);
	rejects(() => lazy.get('model.norm.weight')!.data, /truncated/, 'model.norm.weight');
});

test('sharded checkpoints: a missing shard, an index that misplaces a tensor, a tensor in two shards', () => {
	let shards: string[] = [];
	const make = (name: string) => {
		const d = path.join(dir, name);
		shards = writeCheckpointWeights(d, tensors(), {shardBytes: 40}).slice(0, -1).map(s => path.basename(s));
		return d;
	};
	const missing = make('missing-shard');
	rmSync(path.join(missing, shards[1]!));
	rejects(() => readCheckpointEntries(missing), new RegExp(`${shards[1]}, which is missing`));
	const misplaced = make('misplaced');
	const indexFile = path.join(misplaced, 'model.safetensors.index.json');
	const index = JSON.parse(readFileSync(indexFile, 'utf8'));
	const last = shards.at(-1)!;
	index.weight_map['model.norm.weight'] = last;
	writeFileSync(indexFile, JSON.stringify(index));
	rejects(() => readCheckpointEntries(misplaced), new RegExp(`puts tensor model.norm.weight in ${last}, but it is in`));
	const twice = make('twice');
	writeSafetensors(path.join(twice, shards.at(-1)!), new Map([['model.norm.weight', tensorOf('float32', [3], [1, 2, 3])]]));
	rejects(() => readCheckpointEntries(twice), /tensor model.norm.weight is in both/);
	rejects(() => readCheckpointEntries(dir), /no model.safetensors or model.safetensors.index.json/);
});

test('tensors past 4 GiB are read by offset (sparse file: nothing of that size is written)', () => {
	const f = file();
	const offset = 5 * 2 ** 30;
	const json = JSON.stringify({gap: {dtype: 'U8', shape: [offset], data_offsets: [0, offset]}, far: {dtype: 'BF16', shape: [4], data_offsets: [offset, offset + 8]}});
	const head = Buffer.alloc(8);
	head.writeBigUInt64LE(BigInt(json.length));
	const fd = openSync(f, 'w');
	try {
		writeSync(fd, Buffer.concat([head, Buffer.from(json)]));
		writeSync(fd, Buffer.from(f32ToBf16(new Float32Array([1.5, -2, 1024, 0.125])).buffer), 0, 8, 8 + json.length + offset);
	} finally {
		closeSync(fd);
	}
	const far = readSafetensors(f).get('far')!;
	assert.deepEqual(Array.from(far.data as Float32Array), [1.5, -2, 1024, 0.125]);
});
