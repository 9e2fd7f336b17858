/**
 * Against ../shared/data/hf-reference: tiny llama, qwen2 and gpt2 checkpoints saved by transformers, their
 * torch.onnx exports, and float64 autograd oracles. Both the checkpoint imported by gmpo and the ONNX export, opened
 * as judges, reproduce the loss (1e-4 relative) and the segment gradients (1e-3 relative to the largest, every sign
 * equal) of both cases, at b = 0, m = 1 and at b = mean, m = 0.5.
 */
import assert from 'node:assert/strict';
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {importHf} from '../../source/judges/import-hf.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';

const REFERENCE = path.resolve('../shared/data/hf-reference');
const present = existsSync(REFERENCE);
if (!present) console.log(`# skipping the Hugging Face reference tests: ${REFERENCE} is absent`);

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-hfref-'));
process.env.GMPO_CACHE_DIR = path.join(work, 'cache');
const pool = new OrtPool({workers: 1});
after(async () => {
	await pool.close();
	rmSync(work, {recursive: true, force: true});
});

type Case = {case: string; segments: string[]; input: string; target: string; context_ids: number[]; target_ids: number[]; loss: number; grad_zero_m1: number[]; grad_mean_m05: number[]; loss_mean_m05: number};

/** The README's judge.json: plain {prompt}{input}, no target prefix, no BOS or EOS. */
const judgeJson = (name: string, model?: string) => ({
	name,
	...(model ? {model} : {}),
	format: {type: 'plain', template: '{prompt}{input}', targetPrefix: ''},
	bos: 'never',
	eos: 'never',
});

/**
 * A judge folder of `arch`: the checkpoint imported by gmpo, the checkpoint folder itself with a judge.json (gmpo
 * builds its graph on first use), or the reference's ONNX export.
 */
async function judgeFolder(arch: string, source: 'checkpoint' | 'direct' | 'onnx'): Promise<string> {
	const dir = path.join(work, `${arch}-${source}`);
	if (existsSync(dir)) return dir;
	if (source === 'checkpoint') {
		await importHf(path.join(REFERENCE, arch), dir);
		writeFileSync(path.join(dir, 'judge.json'), JSON.stringify(judgeJson(`${arch}-hf`, 'model.onnx')));
	} else if (source === 'direct') {
		cpSync(path.join(REFERENCE, arch), dir, {recursive: true});
		rmSync(path.join(dir, 'onnx'), {recursive: true});
		writeFileSync(path.join(dir, 'judge.json'), JSON.stringify(judgeJson(`${arch}-direct`)));
	} else {
		cpSync(path.join(REFERENCE, arch), dir, {recursive: true});
		writeFileSync(path.join(dir, 'judge.json'), JSON.stringify(judgeJson(`${arch}-onnx`, 'onnx/model.onnx')));
	}
	return dir;
}

function assertGradients(actual: number[], expected: number[], what: string): void {
	const scale = Math.max(...expected.map(Math.abs));
	expected.forEach((e, k) => {
		assert.ok(Math.abs(actual[k]! - e) <= 1e-3 * scale, `${what}, segment ${k}: ${actual[k]} vs ${e} (tolerance ${1e-3 * scale})`);
		assert.equal(Math.sign(actual[k]!), Math.sign(e), `${what}, segment ${k}: sign of ${actual[k]} vs ${e}`);
	});
}

for (const arch of ['llama', 'qwen2', 'gpt2']) {
	for (const source of ['checkpoint', 'direct', 'onnx'] as const) {
		test(`${arch} ${source}: loss and segment gradients match the float64 oracle in both cases`, {skip: !present}, async () => {
			const oracle = JSON.parse(readFileSync(path.join(REFERENCE, arch, 'oracle.json'), 'utf8')) as {cases: Case[]};
			const dir = await judgeFolder(arch, source);
			const zero = await OnnxJudge.open(dir, {pool, baseline: 'zero', maskPoint: 1});
			const mean = await OnnxJudge.open(dir, {pool, baseline: 'mean', maskPoint: 0.5});
			assert.equal(zero.info.gradient.available, true);
			for (const c of oracle.cases) {
				const example = {input: c.input, target: c.target};
				const [encoded] = await zero.encode(c.segments, [example]);
				assert.deepEqual(encoded!.ids, [...c.context_ids, ...c.target_ids], `${c.case}: token ids`);
				const loss = (await zero.score(c.segments, [example])).losses[0]!;
				assert.ok(Math.abs(loss - c.loss) <= 1e-4 * c.loss, `${c.case}: loss ${loss} vs ${c.loss}`);
				const a = await zero.attribute(c.segments, [example]);
				assert.equal(a.method, 'gradient');
				assertGradients(a.importance[0]!.map(v => -v), c.grad_zero_m1, `${c.case} zero/1`);
				const m = await mean.attribute(c.segments, [example]);
				assertGradients(m.importance[0]!.map(v => -v), c.grad_mean_m05, `${c.case} mean/0.5`);
				const masked = await mean.maskedLoss(c.segments, [example], c.segments.map(() => 0.5));
				assert.ok(Math.abs(masked[0]! - c.loss_mean_m05) <= 1e-4 * c.loss_mean_m05, `${c.case}: loss at m = 0.5 ${masked[0]} vs ${c.loss_mean_m05}`);
			}
		});
	}
}
