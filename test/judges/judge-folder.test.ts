import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import path from 'node:path';
import {test} from 'node:test';
import {isUserError} from '../../source/errors.js';
import {encodeExample, loadJudgeFolder} from '../../source/judges/judge-folder.js';
import {
	byteLevelTokenizerJson,
	CHATML_TEMPLATE,
	LLAMA2_TEMPLATE,
	makeFolder,
	sentencePieceTokenizerJson,
} from './fixtures.js';

const byteLevel = await byteLevelTokenizerJson();
// The loader only checks that the model file exists; opening it is the ONNX judge's job.
const MODEL = 'not really onnx';

/** Runs `body` on a temporary folder holding `files`, then removes it. */
async function withFolder(files: Record<string, string | object>, body: (dir: string) => Promise<void>) {
	const {dir, cleanup} = await makeFolder(files);
	try {
		await body(dir);
	} finally {
		await cleanup();
	}
}

const gpt2Folder = (judge: object, extra: Record<string, string | object> = {}) => ({
	'judge.json': judge,
	'model.onnx': MODEL,
	'tokenizer.json': byteLevel,
	...extra,
});

test('a plain judge folder loads with defaults, family and context length from config.json', async () => {
	await withFolder(gpt2Folder({name: 'tiny'}, {'config.json': {model_type: 'gpt2', n_positions: 64}}), async dir => {
		const judge = await loadJudgeFolder(dir);
		assert.equal(judge.config.name, 'tiny');
		assert.equal(judge.family, 'gpt2');
		assert.equal(judge.maxTokens, 64);
		assert.equal(judge.modelPath, path.join(dir, 'model.onnx'));
		assert.equal(judge.chatTemplate, undefined);
		assert.deepEqual(judge.framing, {prefix: [], suffix: []});
		const tokens = await encodeExample(judge, ['Hello', ' world'], 'x', 'Paris');
		assert.equal(await judge.tokenizer.decode(tokens.targetIds), ' Paris');
		assert.deepEqual(tokens.contextSegments.slice(0, 2), [0, 1]);
		await assert.rejects(encodeExample(judge, ['Hello world '.repeat(40)], 'x', 'Paris'), {
			name: 'UserError',
			message: /judge "tiny": an example is \d+ tokens long, more than the judge's 64; use a judge with a longer context \(the folder of a larger model, e\.g\. an exported Hugging Face model, given with --judges; gmpo judges check <folder> shows its context\)/,
		});
	});
});

test('an Optimum-style chat folder works with only judge.json added', async () => {
	const files = gpt2Folder(
		{name: 'qwen', family: 'qwen2', format: {type: 'chat'}, eos: 'always', heldout: true},
		{
			'tokenizer_config.json': {
				eos_token: {__type: 'AddedToken', content: '<|im_end|>'},
				pad_token: '<|endoftext|>',
				model_max_length: 32768,
				chat_template: CHATML_TEMPLATE,
			},
			'config.json': {model_type: 'qwen2'},
		},
	);
	await withFolder(files, async dir => {
		const judge = await loadJudgeFolder(dir);
		assert.equal(judge.chatTemplate, CHATML_TEMPLATE);
		assert.equal(judge.maxTokens, 32768);
		assert.equal(judge.config.heldout, true);
		assert.deepEqual(judge.specialTokens, {eos_token: '<|im_end|>', pad_token: '<|endoftext|>'});
		const tokens = await encodeExample(judge, ['Be terse.'], 'Capital of France?', 'Paris');
		assert.equal(await judge.tokenizer.decode(tokens.targetIds), 'Paris<|im_end|>');
		assert.ok(tokens.rendered.text.startsWith('<|im_start|>system\nBe terse.<|im_end|>'));
	});
});

test('a chat template in chat_template.jinja, or a list of named templates, is found', async () => {
	const jinjaFile = {'chat_template.jinja': CHATML_TEMPLATE};
	await withFolder(gpt2Folder({name: 'j', format: {type: 'chat'}}, jinjaFile), async dir => {
		assert.equal((await loadJudgeFolder(dir)).chatTemplate, CHATML_TEMPLATE);
	});
	const named = {chat_template: [{name: 'tool_use', template: 'x'}, {name: 'default', template: CHATML_TEMPLATE}]};
	await withFolder(gpt2Folder({name: 'j', format: {type: 'chat'}}, {'tokenizer_config.json': named}), async dir => {
		assert.equal((await loadJudgeFolder(dir)).chatTemplate, CHATML_TEMPLATE);
	});
});

test('a Llama-style judge gets BOS from the post-processor (plain) or the template (chat), never twice', async () => {
	const files = {
		'judge.json': {name: 'llama'},
		'model.onnx': MODEL,
		'tokenizer.json': sentencePieceTokenizerJson(),
		'tokenizer_config.json': {bos_token: '<s>', eos_token: '</s>', chat_template: LLAMA2_TEMPLATE},
	};
	await withFolder(files, async dir => {
		const plain = await loadJudgeFolder(dir);
		assert.deepEqual(plain.framing.prefix, [1]);
		const tokens = await encodeExample(plain, ['Hello'], 'x', 'Paris');
		assert.equal(tokens.contextIds[0], 1);
		assert.equal(tokens.contextIds.filter(id => id === 1).length, 1);
		for (const bos of ['auto', 'always']) {
			await writeFile(path.join(dir, 'judge.json'), JSON.stringify({name: 'llama', format: {type: 'chat'}, bos}));
			const chat = await loadJudgeFolder(dir);
			const chatTokens = await encodeExample(chat, ['Hello'], 'x', 'Paris');
			assert.equal(chatTokens.contextIds[0], 1, bos);
			assert.equal(chatTokens.contextIds.filter(id => id === 1).length, 1, bos);
		}
	});
});

test('broken folders each give one clear error', async () => {
	await assert.rejects(loadJudgeFolder('/no/such/judge'), {name: 'UserError', message: /judge folder not found/});
	await withFolder({'file.txt': 'x'}, async dir => {
		await assert.rejects(loadJudgeFolder(path.join(dir, 'file.txt')), {message: /must be a folder/});
		await assert.rejects(loadJudgeFolder(dir), {message: /missing judge.json/, file: path.join(dir, 'judge.json')});
	});
	const cases: [string, Record<string, string | object>, RegExp, string?][] = [
		['bad JSON', {'judge.json': '{"name": '}, /not valid JSON/],
		['no name', {'judge.json': {}}, /missing \(expected string\)/, 'name'],
		['wrong type', {'judge.json': {name: 'j', maxTokens: 'many'}}, /expected number/, 'maxTokens'],
		['unknown field', {'judge.json': {name: 'j', modle: 'x.onnx'}}, /unknown field/, 'modle'],
		['bad format type', {'judge.json': {name: 'j', format: {type: 'fancy'}}}, /plain.*chat/, 'format.type'],
		[
			'template without {prompt}',
			{'judge.json': {name: 'j', format: {type: 'plain', template: '{input}'}}},
			/\{prompt\}/,
			'format.template',
		],
		['bad bos', {'judge.json': {name: 'j', bos: 'yes'}}, /auto/, 'bos'],
		['maskPoint with several points', {'judge.json': {name: 'j', attribution: {maskPoint: 1, points: 2}}}, /maskPoint cannot be set with it/, 'attribution.points'],
		['too many points', {'judge.json': {name: 'j', attribution: {points: 9}}}, /<=8/, 'attribution.points'],
		['no model', {'judge.json': {name: 'j'}, 'tokenizer.json': byteLevel}, /^model file not found; a judge folder holds model.onnx, or a Hugging Face checkpoint \(config.json and model.safetensors\)$/, 'model'],
		[
			'model elsewhere',
			{'judge.json': {name: 'j'}, 'onnx/model.onnx': MODEL, 'decoder_model.onnx': MODEL, 'tokenizer.json': byteLevel},
			/^model file not found; the folder has decoder_model.onnx, onnx\/model.onnx: name one in "model"/,
			'model',
		],
		['no tokenizer', {'judge.json': {name: 'j'}, 'model.onnx': MODEL}, /^tokenizer file not found$/, 'tokenizer'],
		[
			'bad tokenizer',
			{'judge.json': {name: 'j'}, 'model.onnx': MODEL, 'tokenizer.json': '{"model": 3}'},
			/not a Hugging Face tokenizer.json/,
		],
		['bad tokenizer_config.json', gpt2Folder({name: 'j'}, {'tokenizer_config.json': '{oops'}), /not valid JSON/],
		[
			'chat without template',
			gpt2Folder({name: 'j', format: {type: 'chat'}}),
			/format "chat" needs a chat template/,
			'format',
		],
		[
			'bosToken not in vocab',
			gpt2Folder({name: 'j', bosToken: '<bos>'}),
			/BOS token "<bos>" is not in the tokenizer's vocabulary/,
			'bosToken',
		],
		[
			'eos always without eos',
			gpt2Folder({name: 'j', eos: 'always'}),
			/eos is "always" but tokenizer_config.json names no EOS token: set eosToken/,
			'eos',
		],
		[
			'template that hides the prompt',
			gpt2Folder({name: 'hidden', format: {type: 'chat', template: '{{ messages[1].content }}'}}),
			/judge "hidden": its chat template does not print the system message/,
		],
	];
	for (const [what, files, message, field] of cases) {
		await withFolder(files, async dir => {
			await assert.rejects(
				loadJudgeFolder(dir),
				(error: unknown) => {
					assert.ok(isUserError(error), `${what}: ${String(error)}`);
					assert.match(error.message, message, what);
					assert.equal(error.field, field, what);
					assert.ok(error.line.startsWith(dir), `${what}: names the file`);
					return true;
				},
				what,
			);
		});
	}
});
