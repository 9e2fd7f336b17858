#!/usr/bin/env node
// Runs every test/**/*.test.ts(x) with node's test runner (TypeScript through tsx). Extra arguments filter files by
// substring: `npm test -- autodiff` runs the files whose path contains "autodiff". --test-force-exit ends a file
// whose tests are done even if it left a handle open, so a leaked handle cannot hang CI.
import {readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {spawnSync} from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const walk = dir =>
	readdirSync(dir).flatMap(name => {
		const p = path.join(dir, name);
		return statSync(p).isDirectory() ? walk(p) : /\.test\.tsx?$/.test(name) ? [p] : [];
	});
const filters = process.argv.slice(2);
const files = walk(path.join(root, 'test'))
	.filter(f => filters.length === 0 || filters.some(s => f.includes(s)))
	.sort();
if (files.length === 0) {
	console.error(`no test files match ${filters.join(' ')}`);
	process.exit(1);
}
const result = spawnSync(
	process.execPath,
	['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-force-exit', '--test-timeout=600000', ...files.map(f => path.relative(root, f))],
	{cwd: root, stdio: 'inherit', env: {...process.env, NODE_NO_WARNINGS: '1'}},
);
process.exit(result.status ?? 1);
