/**
 * ONNX exports made by other tools open as judges (issue 15, item 3), rebuilt from the project's GPT-2 builder by
 * graph edits (no download): onnxruntime's GPT-2 layout (EmbedLayerNormalization, int32 ids, packed past_N inputs,
 * a fused kernel) scores like the plain model and attributes by gradient, or by leave-one-out with its reason shown
 * when a kernel has no gradient; int32 ids keep the shared-prefix pass; token_type_ids are fed as zeros. What cannot
 * work is refused at open in one line: an input gmpo cannot feed, a tokenizer larger than the model's vocabulary, a
 * surgery error (never a stack trace).
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import '../../source/commands/all.js';
import {createAttributeCommand} from '../../source/commands/attribute.js';
import {openBundledJudges} from '../../source/commands/deps.js';
import {main} from '../../source/commands/index.js';
import {writeHubFolder} from '../../source/hf/hub-folder.js';
import {judgeGraphs} from '../../source/judges/graph-cache.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import {OrtPool} from '../../source/judges/pool.js';
import {buildGpt2, type Gpt2Config} from '../../source/onnx/builders/gpt2.js';
import {gpt2Architecture} from '../../source/hf/gpt2.js';
import {cloneModel, tensorOf, type Model} from '../../source/onnx/ir.js';
import {randomJudgeTokenizer} from '../../source/training/random-judge.js';
import {capture, world} from '../commands/helpers.js';
import {genaiGpt2, type GenaiLayout} from '../helpers/genai-gpt2.js';
import {perturbedWeights, testTokenizerIds} from '../helpers/hf-checkpoint.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-foreign-'));
process.env.GMPO_CACHE_DIR = path.join(work, 'cache');
const pool = new OrtPool({workers: 1});
after(async () => {
	await pool.close();
	rmSync(work, {recursive: true, force: true});
});

const vocab = testTokenizerIds() + 1;
const config: Gpt2Config = {vocabSize: vocab, nPositions: 128, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5, bosTokenId: vocab - 2, eosTokenId: vocab - 2, dtype: 'float32'};
const weights = perturbedWeights(gpt2Architecture, config, 11, 0.2);
const plainModel = buildGpt2(config, weights);

let n = 0;
/** A judge folder holding `model` (model.onnx + config.json), the test tokenizer and a judge.json. */
function judgeFolder(model: Model, judge: Record<string, unknown> = {}, gpt2 = config): string {
	const dir = path.join(work, `judge-${n++}`);
	writeHubFolder(dir, model, gpt2);
	writeFileSync(path.join(dir, 'tokenizer.json'), randomJudgeTokenizer());
	writeFileSync(path.join(dir, 'judge.json'), JSON.stringify({name: `j${n}`, eos: 'always', eosToken: '<|endoftext|>', ...judge}));
	return dir;
}
const genai = (layout: GenaiLayout = {}) => judgeFolder(genaiGpt2(plainModel, config.nLayer, layout));
const plain = judgeFolder(plainModel);

// Long shared prompt (the shared-prefix pass needs 8 tokens or more in common) and several examples.
const SEGMENTS = ['You are a careful assistant who checks every answer twice. ', 'Convert the word to uppercase. ', 'Answer in lowercase.'];
const EXAMPLES = [
	{input: 'apple', target: 'APPLE'},
	{input: 'pear tree', target: 'PEAR TREE'},
	{input: 'river', target: 'RIVER'},
];

function near(a: readonly number[], b: readonly number[], tolerance: number, what: string): void {
	assert.equal(a.length, b.length, what);
	a.forEach((v, i) => assert.ok(Number.isFinite(v) && Math.abs(v - b[i]!) <= tolerance, `${what} [${i}]: ${v} vs ${b[i]}`));
}

test('onnxruntime\'s GPT-2 layout (fused embedding, int32 ids, packed past_N, a fused kernel) scores like the plain model and attributes by leave-one-out, naming the kernel', async () => {
	const dir = genai({fusedKernel: true});
	const graphs = await judgeGraphs(path.join(dir, 'model.onnx'));
	assert.deepEqual(graphs.info.idTypes, {input_ids: 'int32', attention_mask: 'int32', position_ids: 'int32'});
	assert.deepEqual(graphs.info.pastInputs.map(p => [p.name, p.packed, p.heads, p.headDim]), [['past_0', true, 2, 8], ['past_1', true, 2, 8]]);
	assert.deepEqual(graphs.presentOutputs, [], 'no shared-prefix pass over packed past inputs');
	assert.equal(graphs.attribution.available, false);
	const judge = await OnnxJudge.open(dir, {pool});
	const reference = await OnnxJudge.open(plain, {pool});
	const expected = await reference.score(SEGMENTS, EXAMPLES);
	near((await judge.score(SEGMENTS, EXAMPLES)).losses, expected.losses, 1e-5, 'scores');
	const attributed = await judge.attribute(SEGMENTS, EXAMPLES);
	assert.equal(attributed.method, 'loo');
	assert.match(attributed.fallbackReason ?? '', /FusedMatMul node "fused_fc"/);
	near(attributed.importance.flat(), (await reference.attributeLeaveOneOut(SEGMENTS, EXAMPLES)).importance.flat(), 1e-5, 'leave-one-out importances');

	// gmpo attribute, on the judge folder named in the task file: the reason in --json and in the table.
	const taskFile = path.join(work, 'genai-task.json');
	writeFileSync(taskFile, JSON.stringify({name: 'genai', prompt: SEGMENTS.join(''), judges: [dir], data: {train: EXAMPLES, test: EXAMPLES.slice(0, 1)}}));
	const json = world(work, {openJudges: openBundledJudges});
	assert.equal(await createAttributeCommand(json).run([taskFile], {json: true}), 0);
	const out = JSON.parse(json.stdout.text) as {methods: Record<string, string>; fallbacks: Record<string, string>};
	const name = Object.keys(out.methods)[0]!;
	assert.equal(out.methods[name], 'loo');
	assert.match(out.fallbacks[name]!, /FusedMatMul node "fused_fc": transA and the batch transpositions are not supported/);
	const text = world(work, {openJudges: openBundledJudges});
	assert.equal(await createAttributeCommand(text).run([taskFile], {}), 0);
	assert.match(text.stdout.text, /leave-one-out \(.*FusedMatMul node "fused_fc"/);
});

test('the same layout without the fused kernel attributes by gradient, like the plain model', async () => {
	const judge = await OnnxJudge.open(genai(), {pool});
	const reference = await OnnxJudge.open(plain, {pool});
	assert.equal(judge.info.gradient.available, true);
	const a = await judge.attribute(SEGMENTS, EXAMPLES);
	const b = await reference.attribute(SEGMENTS, EXAMPLES);
	assert.equal(a.method, 'gradient');
	near(a.losses, b.losses, 1e-5, 'losses');
	const scale = Math.max(...b.importance.flat().map(Math.abs));
	near(a.importance.flat(), b.importance.flat(), 1e-3 * scale, 'importances');
});

test('int32 ids with past_key_values.* keep the shared-prefix pass, and score like int64 ids', async () => {
	const dir = genai({fusedEmbedding: false, packedPast: false});
	const graphs = await judgeGraphs(path.join(dir, 'model.onnx'));
	assert.equal(graphs.info.idTypes.input_ids, 'int32');
	assert.equal(graphs.presentOutputs.length, 2 * config.nLayer, 'the prefix pass is available');
	const judge = await OnnxJudge.open(dir, {pool});
	const reference = await OnnxJudge.open(plain, {pool});
	near((await judge.score(SEGMENTS, EXAMPLES)).losses, (await reference.score(SEGMENTS, EXAMPLES)).losses, 1e-5, 'scores');
	const generated = await judge.generate(SEGMENTS, ['apple'], 3);
	assert.deepEqual(generated, await reference.generate(SEGMENTS, ['apple'], 3), 'greedy generation feeds int32 too');
});

test('a required token_type_ids input is fed zeros: token type 0, as a tokenizer gives one sequence', async () => {
	// GPT-2 semantics: hidden += type_table[token_type_ids]. Row 0 is zero and row 1 is not, so only zeros keep the
	// plain model's loss.
	const m = cloneModel(plainModel);
	const g = m.graph;
	g.inputs.push({name: 'token_type_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length']});
	g.initializers.set('type_table', tensorOf('float32', [2, config.nEmbd], [...new Array(config.nEmbd).fill(0), ...new Array(config.nEmbd).fill(0.5)]));
	const add = g.nodes.find(n => n.op === 'Add' && n.inputs.some(x => g.nodes.find(p => p.outputs.includes(x))?.inputs[0] === 'transformer.wte.weight'))!;
	g.nodes.splice(g.nodes.indexOf(add), 0, {op: 'Gather', domain: '', name: 'type_gather', inputs: ['type_table', 'token_type_ids'], outputs: ['type_embeds'], attrs: {}});
	g.nodes.splice(g.nodes.indexOf(add) + 1, 0, {op: 'Add', domain: '', name: 'type_add', inputs: [add.outputs[0]!, 'type_embeds'], outputs: ['with_types'], attrs: {}});
	for (const x of g.nodes) if (x.name !== 'type_add') x.inputs = x.inputs.map(i => (i === add.outputs[0] ? 'with_types' : i));
	const judge = await OnnxJudge.open(judgeFolder(m), {pool});
	const reference = await OnnxJudge.open(plain, {pool});
	near((await judge.score(SEGMENTS, EXAMPLES)).losses, (await reference.score(SEGMENTS, EXAMPLES)).losses, 1e-6, 'scores');
	assert.equal((await judge.attribute(SEGMENTS, EXAMPLES)).method, 'gradient');
});

/** Runs the CLI entry in-process; returns the exit code and what it wrote. */
async function cli(args: string[]) {
	const io = {stdout: capture(), stderr: capture()};
	const code = await main(args, io);
	return {code, stdout: io.stdout.text, stderr: io.stderr.text};
}

test('a required input gmpo cannot feed is refused at open in one line naming it and the model file', async () => {
	const withInput = (name: string, dtype: 'float32' | 'bool', shape: (number | string)[]) => {
		const m = cloneModel(plainModel);
		m.graph.inputs.push({name, dtype, shape});
		return judgeFolder(m);
	};
	const odd = withInput('speaker_embedding', 'float32', ['batch_size', 16]);
	const result = await cli(['judges', 'check', odd]);
	assert.equal(result.code, 2);
	assert.equal(result.stderr, `gmpo: ${path.join(odd, 'model.onnx')}: the model requires input "speaker_embedding" (float32 [batch_size, 16]), which gmpo cannot feed (gmpo feeds input_ids, attention_mask, position_ids, token_type_ids (zeros) and empty past_key_values.* or past_N); export the model without it\n`);
	const merged = withInput('use_cache_branch', 'bool', [1]);
	await assert.rejects(OnnxJudge.open(merged, {pool}), {name: 'UserError', message: /"use_cache_branch".*merged decoder; use its decoder_model\.onnx/});
	const floats = cloneModel(plainModel);
	floats.graph.inputs = floats.graph.inputs.map(v => (v.name === 'position_ids' ? {...v, dtype: 'float32'} : v));
	await assert.rejects(OnnxJudge.open(judgeFolder(floats), {pool}), {name: 'UserError', message: /input "position_ids" is float32; an int64 or int32 input is expected/});
	const badPast = cloneModel(plainModel);
	badPast.graph.inputs = badPast.graph.inputs.map(v => (v.name === 'past_key_values.0.key' ? {...v, shape: ['batch_size', 'heads', 'past', 8]} : v));
	await assert.rejects(OnnxJudge.open(judgeFolder(badPast), {pool}), {name: 'UserError', message: /input "past_key_values\.0\.key" must be \[batch, heads, past, head_dim\] with static heads and head_dim/});
});

test('a tokenizer with more ids than the model\'s vocabulary is refused at open, naming the folder and both sizes', async () => {
	const small = {...config, vocabSize: 200, bosTokenId: 199, eosTokenId: 199};
	const dir = judgeFolder(buildGpt2(small, perturbedWeights(gpt2Architecture, small, 3)), {}, small);
	const result = await cli(['judges', 'check', dir, '--json']);
	assert.equal(result.code, 2);
	assert.match(result.stderr, new RegExp(`^gmpo: ${dir}: judge "j\\d+": the tokenizer \\(tokenizer\\.json\\) has ${vocab - 1} ids, more than the model's vocabulary of 200; the tokenizer must be the one the model was trained with\\n$`));
	assert.equal(JSON.parse(result.stdout).error.file, dir);
});

test('a surgery error while building the loss graph is one line naming the model file, not a stack trace', async () => {
	// The pad baseline needs a pad token; the tokenizer files name none.
	const dir = judgeFolder(plainModel, {attribution: {baseline: 'pad'}});
	const result = await cli(['judges', 'check', dir]);
	assert.equal(result.code, 2);
	assert.match(result.stderr, new RegExp(`^gmpo: ${path.join(dir, 'model.onnx')}: .*pad.*\\n$`));
	assert.doesNotMatch(result.stderr, /JudgeGraphError|\n\s+at /);
});
