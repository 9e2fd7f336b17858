/**
 * The committed judges in models/: sizes, judge.json, run-time tokenisation equal to training's, and the quality
 * figures the issue asks for (computed by source/training/quality.ts on a fixed held-out sample). Skips with a
 * message when models/ holds no judge (before the first `npm run build:judges`).
 */
import assert from 'node:assert/strict';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {encodeExample, loadJudgeFolder} from '../../source/judges/judge-folder.js';
import {tokenizerFromJson} from '../../source/judges/tokenizer.js';
import {generateCorpus} from '../../source/training/corpus.js';
import {exampleEncoder} from '../../source/training/data.js';
import {evaluateJudge} from '../../source/training/quality.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');
const judges = existsSync(models)
	? readdirSync(models)
			.filter(name => existsSync(path.join(models, name, 'judge.json')))
			.sort()
	: [];
const skip = judges.length === 0 ? 'models/ holds no judge yet: run `npm run build:judges` first' : false;
const MB = 1e6;

const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);

test('bundled judges: at least three, both families, one held out, within the size limits', {skip}, async () => {
	assert.ok(judges.length >= 3, `judges: ${judges.join(', ')}`);
	const families = new Set<string>();
	let heldout = 0;
	let total = 0;
	for (const name of judges) {
		const dir = path.join(models, name);
		const judge = await loadJudgeFolder(dir);
		families.add(judge.family);
		if (judge.config.heldout) heldout++;
		for (const file of ['judge.json', 'model.onnx', 'tokenizer.json', 'config.json', 'README.md']) {
			assert.ok(existsSync(path.join(dir, file)), `${name}/${file}`);
		}
		const bytes = folderBytes(dir);
		assert.ok(bytes <= 8 * MB, `${name} is ${(bytes / MB).toFixed(2)} MB`);
		total += bytes;
	}
	assert.ok(families.has('llama') && families.has('gpt2'), [...families].join(', '));
	assert.ok(heldout >= 1 && heldout < judges.length, `${heldout} held out`);
	assert.ok(total <= 25 * MB, `all judges: ${(total / MB).toFixed(2)} MB`);
});

test('run-time tokenisation of a bundled judge equals the training tokenisation', {skip}, async () => {
	for (const name of judges) {
		const judge = await loadJudgeFolder(path.join(models, name));
		const encode = exampleEncoder(await tokenizerFromJson(readFileSync(judge.tokenizerPath, 'utf8')));
		for (const e of generateCorpus({seed: 5, count: 40, split: 'all'})) {
			const trained = await encode(e.prompt, e.input, e.target);
			const run = await encodeExample(judge, [e.prompt], e.input, e.target);
			assert.deepEqual([...trained.ids], [...run.contextIds, ...run.targetIds], `${name}: ${e.prompt}`);
			assert.equal(trained.targetStart, run.contextIds.length);
		}
	}
});

for (const name of judges) {
	test(`judge ${name}: held-out loss, greedy instruction following, clean beats misleading`, async () => {
		const q = await evaluateJudge(path.join(models, name));
		const figures = JSON.stringify(q);
		assert.ok(q.lossRatio <= 0.5, `held-out loss ${q.heldoutLoss} is more than 50% of the unigram ${q.unigramLoss}: ${figures}`);
		assert.ok(q.greedyRate >= 0.6, `greedy follows ${q.greedyRate}: ${figures}`);
		assert.ok(q.misleadingRate >= 0.9, `clean beats misleading ${q.misleadingRate}: ${figures}`);
		// The card states the figures of the committed files.
		const card = readFileSync(path.join(models, name, 'README.md'), 'utf8');
		assert.ok(card.includes(`| ${q.heldoutLoss.toFixed(3)} |`), `${name}/README.md does not state held-out loss ${q.heldoutLoss.toFixed(3)}`);
		const greedy = `${(100 * q.greedyRate).toFixed(1)}%`;
		assert.ok(card.includes(`| ${greedy} |`), `${name}/README.md does not state greedy rate ${greedy}`);
	});
}
