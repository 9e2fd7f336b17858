/**
 * Every architecture gmpo imports works end to end (issue 15, done-when):
 * - a Hugging Face checkpoint folder with a judge.json (random weights from the builders, in transformers' layout)
 *   runs `gmpo judges check`, `gmpo attribute` and `gmpo optimize --auto` (the commands in-process, with real
 *   judges): exit 0, gradients available, finite losses, one round done;
 * - the ONNX export of the same weights (the builder's graph in Optimum's layout) opens as a judge, scores and
 *   attributes by gradient, and its losses equal the checkpoint judge's to 1e-5.
 * The models are tiny (hidden 16, one or two layers); the sessions and the graph cache live in the test's folder.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {createAttributeCommand} from '../../source/commands/attribute.js';
import {openBundledJudges, openOrtPool, type JudgeFactory} from '../../source/commands/deps.js';
import type {RunSummary} from '../../source/commands/headless.js';
import {createJudgesCheckCommand} from '../../source/commands/judges.js';
import {createOptimizeCommand} from '../../source/commands/optimize.js';
import {resolveJudge} from '../../source/judges/judge-set.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import type {CheckReport} from '../../source/judges/check.js';
import {TINY_ARCHITECTURES, tinyWeights, writeCheckpointJudge, writeOnnxJudge} from '../helpers/tiny-architectures.js';
import {world} from './helpers.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-archs-'));
process.env.GMPO_CACHE_DIR = path.join(work, 'cache');
/** One worker pool for every command of the test: a command's close() leaves it open (the test closes it). */
class SharedPool extends OrtPool {
	override async close(): Promise<void> {}
	async shutdown(): Promise<void> {
		await super.close();
	}
}
const pool = new SharedPool({workers: 1});
after(async () => {
	await pool.shutdown();
	rmSync(work, {recursive: true, force: true});
});

const SEGMENTS = ['You are a careful assistant. ', 'Convert the word to uppercase. ', 'Answer with the word only.'];
const TRAIN = [
	{input: 'apple', target: 'APPLE'},
	{input: 'pear tree', target: 'PEAR TREE'},
	{input: 'river', target: 'RIVER'},
];

/** Judges opened on the shared pool (the judge loader's own pool costs a second of worker start-up per command). */
const sharedJudges: JudgeFactory = async names => ({judges: await Promise.all((names ?? []).map(n => OnnxJudge.open(resolveJudge(n), {pool}))), close: async () => {}});
/**
 * The commands with output captured: for the first architecture with the production judge loader and worker pools
 * (judge-set.ts: sizes read from the checkpoint's headers, the memory check, the pool layout), for the others on
 * the shared pool.
 */
const deps = (production: boolean) =>
	world(path.join(work, 'sessions'), production ? {openJudges: openBundledJudges, openPool: openOrtPool} : {openJudges: sharedJudges, openPool: async () => pool});

for (const t of TINY_ARCHITECTURES) {
	const production = t === TINY_ARCHITECTURES[0];
	test(`${t.name}: judges check, attribute and optimize --auto run on its checkpoint folder; its ONNX export scores and attributes like it`, async () => {
		const weights = tinyWeights(t);
		const checkpoint = writeCheckpointJudge(path.join(work, t.name), t, weights);

		const check = deps(production);
		assert.equal(await createJudgesCheckCommand(check).run([checkpoint], {json: true}), 0, check.stderr.text);
		const report = JSON.parse(check.stdout.text) as CheckReport;
		assert.equal(report.name, t.name);
		assert.equal(report.family, t.arch.modelTypes[0]);
		assert.deepEqual(report.gradient, {available: true});
		assert.ok(Number.isFinite(report.sampleLoss) && report.sampleLoss > 0, `sample loss ${report.sampleLoss}`);
		assert.ok(report.spotCheck?.ok, `spot check ${JSON.stringify(report.spotCheck)}`);

		const taskFile = path.join(work, `${t.name}.json`);
		writeFileSync(taskFile, JSON.stringify({name: t.name, prompt: SEGMENTS.join(''), judges: [checkpoint], data: {train: TRAIN, test: TRAIN.slice(0, 1)}, rounds: 1, generator: {kind: 'offline', candidates: 3}}));
		const attribute = deps(production);
		assert.equal(await createAttributeCommand(attribute).run([taskFile], {json: true}), 0, attribute.stderr.text);
		const attributed = JSON.parse(attribute.stdout.text) as {methods: Record<string, string>; losses: Record<string, number>; importance: {aggregate: number[]}};
		assert.deepEqual(attributed.methods, {[t.name]: 'gradient'});
		assert.ok(Number.isFinite(attributed.losses[t.name]), `loss ${attributed.losses[t.name]}`);
		assert.equal(attributed.importance.aggregate.length, SEGMENTS.length);
		assert.ok(attributed.importance.aggregate.every(Number.isFinite));

		const optimize = deps(production);
		assert.equal(await createOptimizeCommand(optimize).run([taskFile], {auto: true, json: true}), 0, optimize.stderr.text);
		const summary = JSON.parse(optimize.stdout.text) as RunSummary;
		assert.equal(summary.rounds, 1);
		assert.match(optimize.stderr.text, /^round 1\/1: attribution \(gradient\)/m);
		const losses = summary.judges[t.name]!;
		assert.ok(Number.isFinite(losses.before) && Number.isFinite(losses.after), JSON.stringify(losses));

		// The ONNX export of the same weights: gradients, and the checkpoint judge's losses.
		const exported = await OnnxJudge.open(await writeOnnxJudge(path.join(work, `${t.name}-onnx`), t, weights), {pool});
		const fromCheckpoint = await OnnxJudge.open(checkpoint, {pool});
		assert.equal(exported.info.gradient.available, true);
		const [a, b] = [await exported.attribute(SEGMENTS, TRAIN), await fromCheckpoint.attribute(SEGMENTS, TRAIN)];
		assert.equal(a.method, 'gradient');
		const scores = await exported.score(SEGMENTS, TRAIN);
		a.losses.forEach((l, i) => {
			assert.ok(Math.abs(l - b.losses[i]!) <= 1e-5, `attribution loss ${i}: ${l} vs ${b.losses[i]}`);
			assert.ok(Math.abs(scores.losses[i]! - b.losses[i]!) <= 1e-5, `score ${i}: ${scores.losses[i]} vs ${b.losses[i]}`);
		});
		const scale = Math.max(...b.importance.flat().map(Math.abs));
		a.importance.flat().forEach((v, i) => assert.ok(Math.abs(v - b.importance.flat()[i]!) <= 1e-3 * scale, `importance ${i}: ${v} vs ${b.importance.flat()[i]}`));
	});
}
