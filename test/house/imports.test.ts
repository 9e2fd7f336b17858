/**
 * The house rules about imports, checked over the real import graph of source/ and cli.tsx (static, type-only and
 * dynamic imports all count): the engine never reaches the UI, one module owns each heavy package, no layer imports
 * one above it, and there is no import cycle. The checker itself is tested on small graphs first, so a rule that
 * passes is a rule that could have failed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {importCycles, importGraph, type ModuleNode} from './import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const graph = importGraph(root, ['source'], ['cli.tsx']);
const modules = [...graph.values()];

/** The folder of source/ a module is in ("core", "engine", ...), or the file for cli.tsx and top-level files. */
const layer = (file: string) => (file.startsWith('source/') && file.split('/').length > 2 ? file.split('/')[1] : file);

function offenders(filter: (m: ModuleNode) => boolean, bad: (m: ModuleNode) => string[]): string[] {
	return modules.filter(filter).flatMap(m => bad(m).map(b => `${m.file} -> ${b}`));
}

test('the checker sees static, type-only, re-exported and dynamic imports, and finds the cycles they make', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-imports-'));
	try {
		const write = (name: string, text: string) => {
			fs.mkdirSync(path.dirname(path.join(dir, name)), {recursive: true});
			fs.writeFileSync(path.join(dir, name), text);
		};
		write('src/a.ts', "import type {B} from './b.js';\nimport ink from 'ink';\nexport type A = B;\n");
		write('src/b.ts', "export type B = 1;\nexport async function load() { return import('./c.js'); }\n");
		write('src/c.tsx', "export {a} from './d/index.js';\nimport {x} from '@scope/pkg/deep';\n");
		write('src/d/index.ts', "import '../a.js';\nexport const a = 1;\n");
		write('src/e.ts', "import {f} from './f.js';\nexport const e = f;\n");
		write('src/f.ts', "export const f = 1;\n");
		const g = importGraph(dir, ['src']);
		assert.deepEqual(g.get('src/a.ts'), {file: 'src/a.ts', local: ['src/b.ts'], packages: ['ink']});
		assert.deepEqual(g.get('src/b.ts')!.local, ['src/c.tsx']);
		assert.deepEqual(g.get('src/c.tsx'), {file: 'src/c.tsx', local: ['src/d/index.ts'], packages: ['@scope/pkg']});
		assert.deepEqual(importCycles(g), [['src/a.ts', 'src/b.ts', 'src/c.tsx', 'src/d/index.ts']]);
	} finally {
		fs.rmSync(dir, {recursive: true, force: true});
	}
	// Two separate cycles and a self-import, in a graph given directly.
	const node = (file: string, ...local: string[]): [string, ModuleNode] => [file, {file, local, packages: []}];
	const g = new Map([node('a', 'b'), node('b', 'a', 'c'), node('c', 'd'), node('d', 'c'), node('e', 'e'), node('f', 'a')]);
	assert.deepEqual(
		importCycles(g).sort((x, y) => x[0].localeCompare(y[0])),
		[['a', 'b'], ['c', 'd'], ['e']],
	);
});

test('the graph covers the code base', () => {
	for (const file of ['cli.tsx', 'source/commands/index.ts', 'source/engine/engine.ts', 'source/onnx/ort.ts', 'source/ui/app.tsx']) {
		assert.ok(graph.has(file), `${file} is in the graph`);
	}
	assert.ok(graph.get('source/onnx/ort.ts')!.packages.includes('onnxruntime-node'));
});

test('there is no import cycle in source/', () => {
	assert.deepEqual(importCycles(graph), []);
});

test('the engine (core, engine, judges, generators, sessions, onnx, tasks) never imports the UI, ink or react', () => {
	const engine = new Set(['core', 'engine', 'judges', 'generators', 'sessions', 'onnx', 'hf', 'tasks', 'training']);
	const bad = offenders(
		m => engine.has(layer(m.file)),
		m => [...m.local.filter(l => layer(l) === 'ui' || layer(l) === 'commands' || l === 'cli.tsx'), ...m.packages.filter(p => p === 'ink' || p === 'react' || p === 'ink-table')],
	);
	assert.deepEqual(bad, []);
});

test('core/ and engine/ never import onnxruntime-node', () => {
	const bad = offenders(
		m => ['core', 'engine'].includes(layer(m.file)),
		m => m.packages.filter(p => p === 'onnxruntime-node'),
	);
	assert.deepEqual(bad, []);
});

test('one module imports each of onnxruntime-node, openai and conf', () => {
	const owners: Record<string, string> = {'onnxruntime-node': 'source/onnx/ort.ts', openai: 'source/generators/openai.ts', conf: 'source/config.ts'};
	for (const [pkg, owner] of Object.entries(owners)) {
		const importers = modules.filter(m => m.packages.includes(pkg)).map(m => m.file);
		assert.deepEqual(importers, [owner], `${pkg} is imported by ${owner} only`);
	}
});

test('no layer imports one above it', () => {
	// What each layer may import besides itself; errors.ts, config.ts and the file helpers (fs-errors.ts,
	// atomic-write.ts: node:fs and errors.ts only) are shared leaves.
	const allowed: Record<string, string[]> = {
		core: [],
		onnx: ['core'],
		hf: ['core', 'onnx'],
		judges: ['core', 'onnx', 'hf'],
		generators: ['core'],
		sessions: ['core'],
		tasks: ['core'],
		engine: ['core', 'judges', 'generators', 'sessions', 'tasks'],
		training: ['core', 'onnx', 'hf', 'judges'],
	};
	const leaves = new Set(['source/errors.ts', 'source/config.ts', 'source/fs-errors.ts', 'source/atomic-write.ts']);
	const bad = offenders(
		m => layer(m.file) in allowed,
		m => m.local.filter(l => !leaves.has(l) && layer(l) !== layer(m.file) && !allowed[layer(m.file)].includes(layer(l))),
	);
	assert.deepEqual(bad, []);
});
