/**
 * Importing checkpoint folders: the judge.json defaults, what a user gets for a bad folder (one UserError naming the
 * file and field), progress and cancellation (nothing left behind), and special tokens from the configs.
 */
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {loadCheckpoint} from '../../source/hf/checkpoint.js';
import {importHf, writeJudgeModel} from '../../source/judges/import-hf.js';
import {llamaArchitecture} from '../../source/hf/llama-family.js';
import type {LlamaConfig} from '../../source/onnx/builders/llama.js';
import {loadJudgeFolder} from '../../source/judges/judge-folder.js';
import {perturbedWeights, testTokenizerIds, writeTestCheckpoint} from '../helpers/hf-checkpoint.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-hfimport-'));
after(() => rmSync(work, {recursive: true, force: true}));
let n = 0;
const folder = (name: string) => path.join(work, `${name}-${n++}`);

const vocab = testTokenizerIds() + 1;
const config: LlamaConfig = {
	vocabSize: vocab, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2, numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 128,
	rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: vocab - 2, eosTokenId: vocab - 2, dtype: 'float32',
};
const weights = perturbedWeights(llamaArchitecture, config, 1);
const checkpoint = (options: Parameters<typeof writeTestCheckpoint>[4] = {}) => writeTestCheckpoint(folder('ckpt'), llamaArchitecture, config, weights, options);
const userError = (pattern: RegExp, where: {file?: string | RegExp; field?: string} = {}) => (e: unknown) => {
	assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
	assert.match(e.message, pattern);
	if (where.file) assert.match(e.file ?? '', where.file instanceof RegExp ? where.file : new RegExp(where.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
	if (where.field) assert.equal(e.field, where.field);
	assert.ok(!e.line.includes('\n'), 'one line');
	return true;
};

test('a folder with a chat template becomes a chat judge that scores the EOS token; without one, a plain judge', async () => {
	const template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
	const chat = checkpoint({tokenizerConfig: {chat_template: template, eos_token: '<|endoftext|>'}});
	const out = folder('judge');
	const summary = await importHf(chat, out);
	assert.deepEqual({...summary, parameters: undefined}, {name: path.basename(out), dir: out, architecture: 'llama', parameters: undefined, format: 'chat'});
	const judge = JSON.parse(readFileSync(path.join(out, 'judge.json'), 'utf8'));
	assert.equal(judge.format.type, 'chat');
	assert.equal(judge.eos, 'always');
	assert.deepEqual(readdirSync(out).sort(), ['config.json', 'judge.json', 'model.onnx', 'model.onnx_data', 'tokenizer.json', 'tokenizer_config.json']);
	const loaded = await loadJudgeFolder(out);
	assert.equal(loaded.family, 'llama');
	assert.deepEqual(loaded.framing.suffix, [vocab - 2]);

	const plain = checkpoint();
	const plainOut = await importHf(plain, folder('plain'));
	const plainJudge = JSON.parse(readFileSync(path.join(plainOut.dir, 'judge.json'), 'utf8'));
	assert.deepEqual([plainJudge.format, plainJudge.eos, plainJudge.bos], [{type: 'plain'}, 'never', 'auto']);
	// No tokenizer_config.json: the BOS and EOS strings come from config.json's ids.
	assert.equal(plainJudge.eosToken, '<|endoftext|>');
	assert.equal(plainJudge.bosToken, '<|endoftext|>');
	const defaultOut = await importHf(plain);
	assert.equal(defaultOut.dir, `${plain}-judge`);
	assert.equal(defaultOut.name, path.basename(plain));
	rmSync(defaultOut.dir, {recursive: true});
});

test('bad folders: one UserError naming the file and the field, nothing written', async () => {
	const base = checkpoint();
	const edit = (change: (dir: string) => void) => {
		const dir = folder('bad');
		mkdirSync(dir);
		for (const f of readdirSync(base)) writeFileSync(path.join(dir, f), readFileSync(path.join(base, f)));
		change(dir);
		return dir;
	};
	const configOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
	const setConfig = (dir: string, patch: Record<string, unknown>) => writeFileSync(path.join(dir, 'config.json'), JSON.stringify({...configOf(dir), ...patch}));

	await assert.rejects(loadCheckpoint(edit(d => setConfig(d, {model_type: 'bert'}))), userError(/"bert" is not supported; supported model types: gemma, gemma2, gpt2, gpt_neox, llama, mistral, phi3, qwen2, qwen3/, {file: 'config.json', field: 'model_type'}));
	await assert.rejects(loadCheckpoint(edit(d => setConfig(d, {num_attention_heads: 'two'}))), userError(/expected a number/, {field: 'num_attention_heads'}));
	await assert.rejects(loadCheckpoint(edit(d => setConfig(d, {rope_scaling: {rope_type: 'yarn', factor: 4}}))), userError(/RoPE type "yarn" is not supported/, {field: 'rope_scaling.rope_type'}));
	await assert.rejects(loadCheckpoint(edit(d => setConfig(d, {hidden_act: 'gelu'}))), userError(/only "silu"/, {field: 'hidden_act'}));
	await assert.rejects(loadCheckpoint(edit(d => rmSync(path.join(d, 'config.json')))), userError(/missing: a Hugging Face checkpoint folder has a config.json/, {file: 'config.json'}));
	await assert.rejects(
		loadCheckpoint(edit(d => renameSync(path.join(d, 'model.safetensors'), path.join(d, 'pytorch_model.bin')))),
		userError(/no model.safetensors or model.safetensors.index.json in the checkpoint folder; it has pytorch_model.bin \(PyTorch pickle\)/),
	);
	// Missing, extra and misshapen weights are listed at once.
	const wrong = edit(d => {
		const w = new Map(weights);
		w.delete('model.norm.weight');
		w.delete('model.layers.1.mlp.up_proj.weight');
		w.set('model.extra.weight', weights.get('model.norm.weight')!);
		w.set('model.layers.0.self_attn.k_proj.weight', weights.get('model.layers.0.self_attn.q_proj.weight')!);
		writeTestCheckpoint(d, llamaArchitecture, config, w);
	});
	await assert.rejects(
		loadCheckpoint(wrong),
		userError(/does not match config.json: .*missing model\.layers\.1\.mlp\.up_proj\.weight.*missing model\.norm\.weight.*unexpected model\.extra\.weight/, {file: wrong}),
	);
	await assert.rejects(loadCheckpoint(wrong), userError(/model\.layers\.0\.self_attn\.k_proj\.weight is float32\[8,8\], expected float32\[4,8\]/));
	// The importer's own checks: an existing judge folder, a missing tokenizer, a tokenizer larger than the model.
	const existing = folder('existing');
	mkdirSync(existing);
	writeFileSync(path.join(existing, 'keep.txt'), 'mine');
	await assert.rejects(importHf(base, existing), userError(/already exists and is not empty/, {file: existing}));
	assert.deepEqual(readdirSync(existing), ['keep.txt']);
	await assert.rejects(importHf(edit(d => rmSync(path.join(d, 'tokenizer.json'))), folder('x')), userError(/no tokenizer.json/));
	const small = edit(d => writeTestCheckpoint(d, llamaArchitecture, {...config, vocabSize: 100}, perturbedWeights(llamaArchitecture, {...config, vocabSize: 100}, 2)));
	const smallOut = folder('small');
	await assert.rejects(importHf(small, smallOut), userError(/the tokenizer has 279 ids, more than the model's vocabulary of 100/, {file: 'tokenizer.json'}));
	assert.equal(existsSync(smallOut), false);
});

test('progress counts every weight once up to the total; a cancelled import leaves nothing behind', async () => {
	const dir = checkpoint();
	const seen: [number, number][] = [];
	const loaded = await loadCheckpoint(dir, {onProgress: (done, total) => seen.push([done, total])});
	assert.equal(seen.length, 0, 'opening reads no weights');
	// Each into a folder of its own: weights already stored under the target folder would be referenced, not read.
	await writeJudgeModel(path.join(mkdtempSync(path.join(work, 'once-')), 'model.onnx'), loaded.model);
	await writeJudgeModel(path.join(mkdtempSync(path.join(work, 'twice-')), 'model.onnx'), loaded.model);
	assert.equal(seen.length, weights.size);
	assert.deepEqual(seen.at(-1), [loaded.weightBytes, loaded.weightBytes]);
	assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1]![0]));

	const controller = new AbortController();
	const out = folder('cancelled');
	let reads = 0;
	const importing = importHf(dir, out, {signal: controller.signal, onProgress: () => ++reads === 3 && controller.abort()});
	await assert.rejects(importing, {name: 'AbortError'});
	assert.equal(reads, 3, 'the weights after the cancel are not read');
	assert.deepEqual(readdirSync(work).filter(f => f.startsWith(path.basename(out))), []);
	const early = new AbortController();
	early.abort();
	await assert.rejects(importHf(dir, folder('early'), {signal: early.signal}), {name: 'AbortError'});
});

test('special tokens: generation_config.json adds its end-of-turn ids to config.json eos', async () => {
	const dir = checkpoint({generationConfig: {bos_token_id: 3, eos_token_id: [vocab - 2, 7, 9], pad_token_id: 0}, config: {pad_token_id: null}});
	const loaded = await loadCheckpoint(dir);
	assert.deepEqual(loaded.tokens, {bosTokenId: 3, eosTokenIds: [vocab - 2, 7, 9], padTokenId: 0});
});
