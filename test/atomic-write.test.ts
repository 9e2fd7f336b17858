import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {writeFileAtomic} from '../source/atomic-write.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-atomic-'));
after(() => fs.rmSync(dir, {recursive: true, force: true}));

test('writes text, bytes and chunks, replacing the file and leaving no temporary file', () => {
	const file = path.join(dir, 'a.txt');
	writeFileAtomic(file, 'one\n');
	assert.equal(fs.readFileSync(file, 'utf8'), 'one\n');
	writeFileAtomic(file, new Uint8Array([104, 105]));
	assert.equal(fs.readFileSync(file, 'utf8'), 'hi');
	const floats = new Float32Array([1.5, -2]);
	writeFileAtomic(file, [Buffer.from('x'), new Uint8Array(floats.buffer)]);
	const bytes = fs.readFileSync(file);
	assert.equal(bytes.length, 9);
	assert.equal(bytes.toString('latin1', 0, 1), 'x');
	assert.deepEqual(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + 1, bytes.byteOffset + 9))), [1.5, -2]);
	assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
});

test('a failed write throws the system error, keeps the old file and removes its temporary file', () => {
	const sub = fs.mkdtempSync(path.join(dir, 'fail-'));
	const target = path.join(sub, 'target');
	fs.mkdirSync(target);
	fs.writeFileSync(path.join(target, 'inside'), 'kept');
	// Renaming a file over a non-empty folder fails (EISDIR on Linux).
	assert.throws(() => writeFileAtomic(target, 'new'), (error: NodeJS.ErrnoException) => typeof error.code === 'string');
	assert.deepEqual(fs.readdirSync(sub), ['target']);
	assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
	assert.throws(() => writeFileAtomic(path.join(sub, 'missing', 'x'), 'new'), {code: 'ENOENT'});
});
