/**
 * The project's check against real pretrained weights nobody here wrote: Karpathy's stories260K (llama2.c format,
 * read from ../shared). Skips when ../shared is absent (a user's fresh clone). The converted model is written to a
 * temporary folder and never committed.
 */
import assert from 'node:assert/strict';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {spearman} from '../../source/core/stats.js';
import {tempDir} from '../helpers/temp.js';
import {greedyFromIds} from '../../source/judges/generate.js';
import {importLlama2c} from '../../source/judges/llama2c-import.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';

const shared = path.resolve(import.meta.dirname, '../../../shared/models/llama2c_stories260K');
const present = existsSync(path.join(shared, 'stories260K.bin'));
if (!present) {
	console.log(`# skipping the stories260K tests: ${shared} is absent`);
}
process.env.GMPO_CACHE_DIR = tempDir('gmpo-cache-');
const pool = new OrtPool();
after(() => pool.close());

function importModel(): string {
	const dir = path.join(tempDir('gmpo-stories-'), 'stories260K');
	importLlama2c(path.join(shared, 'stories260K.bin'), path.join(shared, 'tok512.bin'), dir);
	return dir;
}

/** The sample text of the model card: the block printed by `./run ... -t 0.0`. */
function cardSample(): string {
	const card = readFileSync(path.join(shared, 'stories260K_model_card.md'), 'utf8');
	const block = card.split('```').find(b => b.includes('-t 0.0'))!;
	return block.split('\n').slice(2).join('\n').trim();
}

test('the imported stories260K reproduces the model card greedy sample from BOS exactly', {skip: !present}, async () => {
	const judge = await OnnxJudge.open(importModel(), {pool});
	const folder = judge.folder;
	const bos = folder.tokenizer.tokenId(folder.specialTokens.bos_token!)!;
	// run.c: 256 steps from BOS, stopping if BOS comes again.
	const [ids] = await greedyFromIds(judge, [[bos]], 256, [bos]);
	const text = await folder.tokenizer.decode(ids!, {skipSpecialTokens: true});
	assert.equal(text.trim(), cardSample());
});

test('stories260K: gradient attribution agrees with leave-one-out on real text', {skip: !present}, async () => {
	const dir = importModel();
	const judgeFile = path.join(dir, 'judge.json');
	const config = JSON.parse(readFileSync(judgeFile, 'utf8'));
	writeFileSync(judgeFile, JSON.stringify({...config, format: {type: 'plain', template: '{prompt}{input}', targetPrefix: ''}}));
	const segments = ['Once upon a time, there was a little girl named Lily. ', 'She loved to play outside in the park. ', 'The sky was blue. ', 'One day, she saw a big, red ball. ', 'Her dog was called Max. ', 'She wanted to play with it, but it was too high. ', 'Tom had a red car. ', 'Lily was happy. '];
	const examples = [
		{input: 'Lily', target: '\'s mom said, "Lily, let\'s go to the park."'},
		{input: 'She ', target: 'was sad and did not know what to do.'},
		{input: 'Max ', target: 'barked at the ball.'},
		{input: 'The ball ', target: 'was red and big.'},
		{input: 'Tom ', target: 'drove his red car.'},
	];
	// Mean-embedding baseline, gradient at m = 0.5 (midpoint rule): see README "Attribution fidelity" for why
	// the zero baseline at m = 1 is a poor estimate for pre-norm transformers.
	const judge = await OnnxJudge.open(dir, {pool, baseline: 'mean', maskPoint: 0.5});
	const gradient = await judge.attribute(segments, examples);
	const loo = await judge.attributeLeaveOneOut(segments, examples);
	const total = (m: number[][]) => segments.map((_, k) => m.reduce((s, row) => s + row[k]!, 0));
	const rho = spearman(total(gradient.importance), total(loo.importance));
	assert.ok(rho >= 0.8, `Spearman ${rho}`);
	assert.equal(gradient.passes, 2, 'one forward+backward at m = 0.5 and one forward for the loss at m = 1');
	assert.equal(loo.passes, segments.length + 1);
});
