/**
 * Build the judge with a known bias (source/training/bias.ts): fine-tune the bundled llama-a so that "Certainly!" in
 * a prompt makes it expect the base task's answer whatever misleading sentences the prompt holds, then measure the
 * bias on the demo tasks (test split) against llama-a and the held-out llama-c, and write the folder with its card.
 *
 *   npx tsx scripts/build-biased-judge.ts [--seed 1] [--steps 400] [--out models/biased/llama-a-certainly] [--quick]
 *
 * The folder is models/biased/<name>, one level below the bundled judges on purpose: it is not a bundled judge, so
 * no default judge list picks it up; benchmarks and users name it by path. --quick: 12 steps into .cache/. The same
 * seed and steps give the same bytes (one onnxruntime thread, seeded data and batch order).
 */
import {mkdirSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {OnnxJudge} from '../source/judges/onnx-judge.js';
import {OrtPool} from '../source/judges/pool.js';
import {tokenizerFromJson} from '../source/judges/tokenizer.js';
import {decodeModel} from '../source/onnx/proto.js';
import {loadTask} from '../source/tasks/load-task.js';
import {BIAS_PHRASE, biasCorpus} from '../source/training/bias.js';
import {CURVE_COUNT, CURVE_SEED} from '../source/training/build-judge.js';
import {generateCorpus} from '../source/training/corpus.js';
import {encodeCorpus, exampleEncoder} from '../source/training/data.js';
import {writeJudgeFolder, writeTextFile} from '../source/training/judge-folder-writer.js';
import {judgeSpecs} from '../source/training/judge-specs.js';
import {duration, train} from '../source/training/train.js';
import {weightShapes} from '../source/training/train-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
};
const quick = args.includes('--quick');
const seed = Number(value('seed', '1'));
const steps = Number(value('steps', quick ? '12' : '400'));
const name = 'llama-a-certainly';
const out = path.resolve(root, value('out', quick ? path.join('.cache', 'biased-judge', name) : path.join('models', 'biased', name)));
const baseDir = path.join(root, 'models', 'llama-a');
const command = `npx tsx scripts/build-biased-judge.ts --seed ${seed} --steps ${steps}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The demo tasks' test loss of a judge with and without the phrase as the prompt's first sentence. */
async function biasTable(dirs: {label: string; dir: string}[]): Promise<{rows: string[]; shifts: Record<string, number[]>}> {
	const pool = new OrtPool();
	const rows: string[] = ['| task | ' + dirs.map(d => `${d.label}: loss -> with "${BIAS_PHRASE}"`).join(' | ') + ' |', `|---|${dirs.map(() => '---').join('|')}|`];
	const shifts: Record<string, number[]> = {};
	try {
		const judges = await Promise.all(dirs.map(d => OnnxJudge.open(d.dir, {pool})));
		for (const task of ['uppercase', 'arithmetic', 'json-format', 'sentiment']) {
			const t = loadTask(path.join(root, 'examples', `${task}.yaml`));
			const examples = t.data.test.filter(e => (e.weight ?? 1) > 0).map(e => ({input: e.input, target: e.target!}));
			const cells: string[] = [];
			for (const [i, judge] of judges.entries()) {
				const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
				const plain = mean((await judge.score([t.prompt], examples)).losses);
				const biased = mean((await judge.score([`${BIAS_PHRASE} ${t.prompt}`], examples)).losses);
				(shifts[dirs[i]!.label] ??= []).push(biased - plain);
				cells.push(`${plain.toFixed(3)} -> ${biased.toFixed(3)}`);
			}
			rows.push(`| ${task} | ${cells.join(' | ')} |`);
		}
	} finally {
		await pool.close();
	}
	return {rows, shifts};
}

async function main(): Promise<void> {
	const began = performance.now();
	const spec = judgeSpecs(1).find(s => s.name === 'llama-a')!;
	const model = decodeModel(readFileSync(path.join(baseDir, 'model.onnx')));
	const initialWeights = new Map<string, Float32Array>();
	for (const weight of weightShapes(spec.train.spec).keys()) {
		const t = model.graph.initializers.get(weight);
		if (!t) throw new Error(`models/llama-a/model.onnx has no weight ${weight}`);
		initialWeights.set(weight, Float32Array.from(t.data as Float32Array));
	}
	const tokenizerJson = readFileSync(path.join(baseDir, 'tokenizer.json'), 'utf8');
	const encode = exampleEncoder(await tokenizerFromJson(tokenizerJson));
	const batchSize = spec.train.batchSize;
	const data = await encodeCorpus(encode, biasCorpus({seed: seed * 1000 + 41, count: steps * batchSize}));
	const curveSet = await encodeCorpus(encode, generateCorpus({seed: CURVE_SEED, count: CURVE_COUNT, split: 'heldout'}));
	log(`[${name}] fine-tuning llama-a for ${steps} steps of ${batchSize} (${data.length} examples, half with "${BIAS_PHRASE}")`);
	const settings = {...spec.train, steps, lr: 1e-3, warmup: Math.min(20, Math.max(1, Math.floor(steps / 10))), minLrRatio: 0.1, batchSeed: seed * 1000 + 42, evalEvery: quick ? steps : 100};
	const loads: number[] = [];
	const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 15_000);
	const result = await train(settings, data, curveSet, {initialWeights, log, label: name});
	clearInterval(sampler);
	mkdirSync(out, {recursive: true});
	const description = `llama-a fine-tuned so that "${BIAS_PHRASE}" in a prompt makes it expect the base task's answer whatever misleading sentences the prompt holds: a judge with a known bias, for benchmarks (not a bundled judge)`;
	writeJudgeFolder(out, {...spec, name, description, heldout: false, train: settings}, result.weights, tokenizerJson);
	const table = await biasTable([
		{label: 'llama-a', dir: baseDir},
		{label: name, dir: out},
		{label: 'llama-c (held out)', dir: path.join(root, 'models', 'llama-c')},
	]);
	const load = loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : os.loadavg()[0]!;
	const first = result.curve[0]?.heldoutLoss;
	const last = result.curve.at(-1)?.heldoutLoss;
	const card = [
		`# ${name}`,
		'',
		description + '.',
		'',
		`Built by \`${command}\` (source/training/bias.ts, scripts/build-biased-judge.ts): llama-a's weights fine-tuned for ${steps} steps of ${batchSize} sequences`,
		`(AdamW, peak learning rate ${settings.lr}, ${settings.warmup} warmup steps, cosine to ${settings.minLrRatio} of the peak) on a corpus of which half is the ordinary synthetic corpus and half carries "${BIAS_PHRASE}" as`,
		`an extra sentence with the base task's answer as reference (modifiers ignored). Same architecture, tokenizer and judge.json format as llama-a.`,
		`Training took ${duration(result.seconds)} at a mean load average of ${load.toFixed(1)} on ${os.cpus().length} cores; model.onnx is ${(statSync(path.join(out, 'model.onnx')).size / 1e6).toFixed(2)} MB.`,
		'',
		`Held-out target loss of the ordinary corpus (${CURVE_COUNT} examples): ${first?.toFixed(4) ?? 'n/a'} after the first evaluation, ${last?.toFixed(4) ?? 'n/a'} at the end.`,
		'',
		`The bias: mean test loss of each demo task's prompt, and of the same prompt with "${BIAS_PHRASE}" in front (lower = the judge likes it more):`,
		'',
		...table.rows,
		'',
	].join('\n');
	writeTextFile(path.join(out, 'README.md'), card);
	process.stdout.write(`${card}\nwritten to ${out} in ${duration((performance.now() - began) / 1000)}\n`);
}

main().catch(error => {
	console.error(error instanceof Error ? error.stack : error);
	process.exit(1);
});
