/**
 * The product's promise on its own demos: optimising each demo task headless with the bundled judges and the offline
 * generator lowers the held-out judge's test loss. Needs trained judges in models/; skips until they are there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import type {RunSummary} from '../../source/commands/headless.js';
import {bundledJudgeNames} from '../../source/judges/judge-set.js';
import {DEMO_SPECS} from '../../source/training/demo-tasks.js';
import {tempDir} from '../engine/fakes.js';
import {root, runCli} from './helpers.js';

const judges = bundledJudgeNames();
const skip = judges.length < 2 ? 'models/ has fewer than two bundled judges (one selects, one is held out); skipped until they are trained' : false;

test('each demo task, 5 rounds --auto with the bundled judges: the held-out judge test loss goes down', {skip}, async () => {
	const dir = tempDir('gmpo-demo-');
	const env = {GMPO_SESSIONS_DIR: path.join(dir, 'sessions'), GMPO_CONFIG_DIR: path.join(dir, 'config')};
	const heldout = judges.at(-1)!;
	const demos = fs.readdirSync(path.join(root, 'examples')).filter(f => /\.ya?ml$/.test(f));
	for (const demo of demos) {
		const result = await runCli(['optimize', path.join('examples', demo), '--auto', '--rounds', '5', '--heldout', heldout, '--generator', 'offline', '--json'], env);
		assert.equal(result.code, 0, `${demo}: ${result.stderr}`);
		const summary = JSON.parse(result.stdout) as RunSummary;
		assert.equal(summary.heldout?.judge, heldout);
		assert.ok(summary.heldout!.after < summary.heldout!.before, `${demo}: held-out ${heldout} ${summary.heldout!.before} -> ${summary.heldout!.after}`);
	}
});

test('gmpo attribute on each demo task: every misleading sentence gets negative importance from most bundled judges', {skip}, async () => {
	const dir = tempDir('gmpo-attribute-');
	const env = {GMPO_SESSIONS_DIR: path.join(dir, 'sessions'), GMPO_CONFIG_DIR: path.join(dir, 'config')};
	for (const spec of DEMO_SPECS) {
		const result = await runCli(['attribute', path.join('examples', `${spec.name}.yaml`), '--json'], env);
		assert.equal(result.code, 0, `${spec.name}: ${result.stderr}`);
		const report = JSON.parse(result.stdout) as {segments: {id: string; text: string}[]; importance: {perJudge: Record<string, number[]>}};
		assert.equal(report.segments.length, spec.prompt.length, `${spec.name}: one segment per sentence`);
		const perJudge = Object.values(report.importance.perJudge);
		assert.equal(perJudge.length, judges.length);
		spec.prompt.forEach((sentence, i) => {
			assert.equal(report.segments[i]!.text.trim(), sentence.text);
			if (sentence.role !== 'misleading') return;
			const negative = perJudge.filter(scores => scores[i]! < 0).length;
			assert.ok(2 * negative > perJudge.length, `${spec.name}: "${sentence.text}" is negative for ${negative} of ${perJudge.length} judges`);
		});
	}
});
