/**
 * source/onnx/ort.ts: onnxruntime's own warnings stay off stderr, where they would garble the terminal UI.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';

test('a model onnxruntime warns about (an unused initializer) loads without a word on stderr', () => {
	// In a child process: onnxruntime writes to the process's stderr from native code, out of reach of a capture here.
	const module = (name: string) => JSON.stringify(new URL(`../../source/onnx/${name}.ts`, import.meta.url).href);
	const code = `
		import {tensorOf} from ${module('ir')};
		import {encodeModel} from ${module('proto')};
		import {createSession, run, ortTensor} from ${module('ort')};
		const graph = {
			name: 'g',
			nodes: [{op: 'Identity', domain: '', name: 'i', inputs: ['x'], outputs: ['y'], attrs: {}}],
			inputs: [{name: 'x', dtype: 'float32', shape: [2]}],
			outputs: [{name: 'y', dtype: 'float32', untyped: true}],
			initializers: new Map([['unused', tensorOf('float32', [2], [1, 2])]]),
			valueInfo: [],
		};
		const model = {irVersion: 8, opsets: [{domain: '', version: 17}], producerName: 't', producerVersion: '', metadata: {}, graph};
		const session = await createSession(encodeModel(model));
		const out = await run(session, {x: ortTensor('float32', new Float32Array([3, 4]), [2])}, ['y']);
		console.log(Array.from(out.y.data).join(','));
	`;
	const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {encoding: 'utf8', timeout: 60_000});
	assert.equal(child.status, 0, child.stderr);
	assert.equal(child.stdout.trim(), '3,4');
	assert.equal(child.stderr, '');
});
