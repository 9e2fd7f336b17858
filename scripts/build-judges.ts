/**
 * Build the bundled judges: the tokenizer from the synthetic corpus, then each judge (training, folder, quality
 * figures, model card) in its own process, all three at once by default (one onnxruntime thread each). The
 * seed-1 build took 48 minutes on this idle 2-core machine; three processes on two cores lose about a fifth of their
 * throughput to each other, and no two-lane schedule has been measured against it.
 *
 *   npm run build:judges [-- --seed 1] [--quick] [--only NAME[,NAME]] [--resume] [--jobs 3] [--out models]
 *
 * --quick builds tiny models for a few steps into .cache/build-judges/quick/ (a smoke test of the pipeline);
 * --resume continues every judge from its checkpoint in .cache/build-judges/ (written every 250 steps).
 * The same seed gives the same models and figures.
 */
import {spawn} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {buildJudge, type BuildSummary} from '../source/training/build-judge.js';
import {buildCorpusTokenizer} from '../source/training/build-tokenizer.js';
import {judgeSpecs} from '../source/training/judge-specs.js';
import {duration} from '../source/training/train.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const has = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
};

const seed = Number(value('seed', '1'));
const quick = has('quick');
const resume = has('resume');
const jobs = Math.max(1, Number(value('jobs', '3')));
const work = path.join(root, '.cache', 'build-judges', quick ? `quick-seed${seed}` : `seed${seed}`);
const outRoot = path.resolve(root, value('out', quick ? path.join(work, 'models') : 'models'));
const specs = judgeSpecs(seed, quick);
const only = value('only', '').split(',').filter(Boolean);
for (const name of only) {
	if (!specs.some(s => s.name === name)) {
		console.error(`--only: no judge "${name}" (judges: ${specs.map(s => s.name).join(', ')})`);
		process.exit(2);
	}
}
const chosen = specs.filter(s => only.length === 0 || only.includes(s.name));
const tokenizerFile = path.join(work, 'tokenizer.json');
const command = `npm run build:judges -- --seed ${seed}${quick ? ' --quick' : ''}`;

async function worker(name: string): Promise<void> {
	const spec = specs.find(s => s.name === name)!;
	const summary = await buildJudge(spec, {
		outDir: path.join(outRoot, name),
		checkpointPath: path.join(work, `${name}.ckpt`),
		checkpointEvery: quick ? 5 : 250,
		resume,
		tokenizerJson: readFileSync(tokenizerFile, 'utf8'),
		seed,
		command,
		log: line => process.stderr.write(`${line}\n`),
	});
	writeFileSync(path.join(work, `${name}.summary.json`), `${JSON.stringify(summary, null, 2)}\n`);
}

/** Run one judge's build in a child process (same tsx loader), inheriting stderr for its progress lines. */
function child(name: string): Promise<void> {
	const argv = [...process.execArgv, fileURLToPath(import.meta.url), ...args, '--worker', name];
	return new Promise((resolve, reject) => {
		const p = spawn(process.execPath, argv, {stdio: ['ignore', 'inherit', 'inherit']});
		p.on('error', reject);
		p.on('exit', code => (code === 0 ? resolve() : reject(new Error(`judge ${name}: build exited with code ${code}`))));
	});
}

function buildLine(total: number, load: number, summaries: BuildSummary[]): string {
	const cpu = summaries.reduce((a, s) => a + s.cpuSeconds, 0);
	return (
		`The whole build (${summaries.length} judges, ${jobs} at a time, tokenizer and corpus included) took ${duration(total)} wall-clock ` +
		`with a mean load average of ${load.toFixed(1)} on ${os.cpus().length} cores; the judges used ${duration(cpu)} of CPU time in all.`
	);
}

async function main(): Promise<void> {
	const began = performance.now();
	const workerName = value('worker', '');
	if (workerName) {
		await worker(workerName);
		return;
	}
	mkdirSync(work, {recursive: true});
	process.stderr.write(`building ${chosen.map(s => s.name).join(', ')} (seed ${seed}${quick ? ', quick' : ''}) into ${outRoot}, ${jobs} at a time\n`);
	writeFileSync(tokenizerFile, buildCorpusTokenizer(seed));
	// Other work on the machine stretches wall-clock time; the mean load average says how much there was.
	const loads: number[] = [];
	const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 30_000);
	const queue = [...chosen];
	const lanes = Array.from({length: Math.min(jobs, queue.length)}, async () => {
		for (let spec = queue.shift(); spec; spec = queue.shift()) await child(spec.name);
	});
	await Promise.all(lanes);
	clearInterval(sampler);
	const load = loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : os.loadavg()[0]!;
	const summaries = chosen.map(s => JSON.parse(readFileSync(path.join(work, `${s.name}.summary.json`), 'utf8')) as BuildSummary);
	const total = (performance.now() - began) / 1000;
	if (only.length === 0) {
		// The cards are written by the workers; the whole build's time is known only here.
		for (const s of chosen) {
			const card = path.join(outRoot, s.name, 'README.md');
			const line = buildLine(total, load, summaries);
			writeFileSync(card, readFileSync(card, 'utf8').replace('<!-- build-time -->', line));
		}
	}
	console.log(`\n${buildLine(total, load, summaries)} (${command})`);
	console.log('judge      params    MB    held-out  unigram  ratio   greedy  clean>misleading  cpu');
	for (const s of summaries) {
		const q = s.quality;
		console.log(
			`${s.name.padEnd(9)} ${String(s.parameters).padStart(8)} ${(s.modelBytes / 1e6).toFixed(2).padStart(5)}  ${q.heldoutLoss.toFixed(3).padStart(8)} ${q.unigramLoss.toFixed(3).padStart(8)} ` +
				`${(100 * q.lossRatio).toFixed(1).padStart(5)}%  ${(100 * q.greedyRate).toFixed(1).padStart(5)}%  ${(100 * q.misleadingRate).toFixed(1).padStart(5)}%  ${duration(s.cpuSeconds)}`,
		);
	}
}

main().catch(error => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
