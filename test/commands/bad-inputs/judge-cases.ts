/**
 * Bad judge folders: judge.json missing, invalid or wrong; the model missing, empty, truncated or garbage; the
 * tokenizer missing or wrong; a chat template that is missing or broken; a Hugging Face checkpoint with a wrong
 * config.json or a safetensors file with a bad header; a server judge.json with a bad URL or nothing listening.
 * Each runs as `gmpo optimize <task> --judges <folder> --auto` (or `gmpo judges check <folder>`) with the real judge
 * loader: every folder is a copy of a tiny judge that works, with one thing broken.
 */
import fs from 'node:fs';
import path from 'node:path';
import {writeRandomJudge} from '../../../source/training/random-judge.js';
import type {Case, Files} from './harness.js';
import {validTask} from './task-cases.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A safetensors file: an 8-byte little-endian header length, the JSON header, the data. */
function safetensors(header: unknown, data: Uint8Array, declared?: bigint): Buffer {
	const json = Buffer.from(JSON.stringify(header));
	const size = Buffer.alloc(8);
	size.writeBigUInt64LE(declared ?? BigInt(json.length));
	return Buffer.concat([size, json, data]);
}

export function judgeCases(f: Files, closedPort: number): Case[] {
	const base = writeRandomJudge(f.path('judges/base'), {family: 'gpt2', name: 'tiny'});
	const {judges: _, ...task} = validTask;
	const taskFile = f.json('judges/task.json', task);
	const cases: Case[] = [];
	let n = 0;
	/** A copy of the working judge, broken by `change`; returns its folder. */
	const broken = (change: (dir: string) => void, from = base) => {
		const dir = f.path(`judges/j${++n}`);
		fs.cpSync(from, dir, {recursive: true});
		change(dir);
		return dir;
	};
	const judgeJson = (dir: string, change: (j: Record<string, unknown>) => Record<string, unknown>) => {
		const file = path.join(dir, 'judge.json');
		fs.writeFileSync(file, JSON.stringify(change(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)));
	};
	/** Through optimize; `line` follows the folder's path (the file or folder at fault is named relative to it). */
	const add = (name: string, dir: string, line: string | RegExp, options: {check?: boolean; alone?: boolean} = {}) => {
		const tail = typeof line === 'string' ? escape(line) : line.source;
		cases.push({
			name: `judge: ${name}`,
			argv: options.check ? ['judges', 'check', dir] : ['optimize', taskFile, '--judges', dir, '--auto'],
			line: new RegExp(`^${escape(dir)}${tail}$`),
			judges: 'real',
			alone: options.alone,
		});
	};
	const edit = (name: string, change: (j: Record<string, unknown>) => Record<string, unknown>, line: string | RegExp) =>
		add(name, broken(d => judgeJson(d, change)), line);

	// The folder itself.
	add('no such folder', f.path('judges/none'), ': judge folder not found');
	add('a file, not a folder', f.write('judges/file', 'x'), ': a judge must be a folder (with judge.json, model.onnx, tokenizer.json)');
	add('an empty folder', f.folder('judges/empty'), '/judge.json: missing judge.json: a judge folder needs one next to the model and tokenizer.json ({"name": "my-judge"} is enough)');
	const loop = f.path('judges/loop');
	fs.symlinkSync(loop, loop);
	add('a link to itself', loop, ': judge folder not found: too many symbolic links (ELOOP)');

	// judge.json.
	const write = (file: string, content: string | Uint8Array) => (d: string) => fs.writeFileSync(path.join(d, file), content);
	add('judge.json not JSON', broken(write('judge.json', '{name: tiny}')), /\/judge\.json: not valid JSON: Expected property name .+/);
	add('judge.json empty', broken(write('judge.json', '')), '/judge.json: not valid JSON: Unexpected end of JSON input');
	add('judge.json a list', broken(write('judge.json', '[]')), '/judge.json: expected object, got array');
	add('judge.json a folder', broken(d => {
		fs.rmSync(path.join(d, 'judge.json'));
		fs.mkdirSync(path.join(d, 'judge.json'));
	}), '/judge.json: judge.json is a folder, not a file');
	add('judge.json binary', broken(write('judge.json', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))), /\/judge\.json: not valid JSON: Unexpected token .+/);
	edit('no name', ({name: _n, ...j}) => j, '/judge.json: name: missing (expected string)');
	edit('blank name', j => ({...j, name: '   '}), '/judge.json: name: Too small: expected string to have >=1 characters');
	edit('unknown field', j => ({...j, modelPath: 'x.onnx'}), '/judge.json: modelPath: unknown field');
	edit('unknown kind', j => ({...j, kind: 'tflite'}), '/judge.json: kind: expected "onnx" (a model folder, the default) or "server" (a judge on an inference server)');
	edit('unknown format type', j => ({...j, format: {type: 'completion'}}), "/judge.json: format.type: Invalid discriminator value. Expected 'plain' | 'chat'");
	edit('template without {prompt}', j => ({...j, format: {type: 'plain', template: 'Input: {input}\nOutput:'}}), '/judge.json: format.template: must contain {prompt} exactly once');
	edit('template with {input} twice', j => ({...j, format: {type: 'plain', template: '{prompt} {input} {input}'}}), '/judge.json: format.template: must contain {input} exactly once');
	edit('maxTokens negative', j => ({...j, maxTokens: -1}), '/judge.json: maxTokens: Too small: expected number to be >0');
	edit('maxTokens a string', j => ({...j, maxTokens: '2k'}), '/judge.json: maxTokens: expected number, got string');
	edit('bos unknown', j => ({...j, bos: 'sometimes'}), '/judge.json: bos: Invalid option: expected one of "auto"|"always"|"never"');
	edit('maskPoint out of range', j => ({...j, attribution: {maskPoint: 2}}), '/judge.json: attribution.maskPoint: Too big: expected number to be <=1');
	edit('heldout a string', j => ({...j, heldout: 'yes'}), '/judge.json: heldout: expected boolean, got string');
	edit('eosToken not in the vocabulary', j => ({...j, eosToken: '<|nope|>'}), '/judge.json: eosToken: EOS token "<|nope|>" is not in the tokenizer\'s vocabulary');
	edit('bos always without a BOS token', j => ({...j, bos: 'always'}), '/judge.json: bos: bos is "always" but tokenizer_config.json names no BOS token: set bosToken');
	edit('chat format without a template', j => ({...j, format: {type: 'chat'}}), '/judge.json: format: format "chat" needs a chat template, and the folder has none (tokenizer_config.json chat_template or chat_template.jinja): add format.template or use a plain format');
	edit('chat template that does not parse', j => ({...j, format: {type: 'chat', template: '{% if messages %}{{ messages[0].content }'}}), /\/judge\.json: judge "tiny": its chat template does not parse: .+/);

	// The model and the tokenizer.
	const notFound = '/model.onnx: model: model file not found; a judge folder holds model.onnx, or a Hugging Face checkpoint (config.json and model.safetensors)';
	add('no model.onnx', broken(d => fs.rmSync(path.join(d, 'model.onnx'))), notFound);
	edit('model names a missing file', j => ({...j, model: 'other.onnx'}), '/other.onnx: model: model file not found; the folder has model.onnx: name one in "model"');
	add('model.onnx a folder', broken(d => {
		fs.rmSync(path.join(d, 'model.onnx'));
		fs.mkdirSync(path.join(d, 'model.onnx'));
	}), notFound);
	add('model.onnx empty', broken(write('model.onnx', '')), '/model.onnx: not a readable ONNX model: the file holds no ONNX graph');
	add('model.onnx garbage', broken(write('model.onnx', 'this is not a model\n'.repeat(50))), '/model.onnx: not a readable ONNX model: unsupported protobuf wire type 4 at byte 0');
	add('model.onnx truncated', broken(d => {
		const file = path.join(d, 'model.onnx');
		fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 30_000));
	}), /\/model\.onnx: not a readable ONNX model: protobuf field \d+ at byte \d+ runs past its message \(the file is truncated\?\)/);
	add('model.onnx of random bytes, checked', broken(write('model.onnx', Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919 + 13) % 256)))), /\/model\.onnx: not a readable ONNX model: unsupported protobuf wire type \d at byte \d+/, {check: true});
	add('no tokenizer.json', broken(d => fs.rmSync(path.join(d, 'tokenizer.json'))), '/tokenizer.json: tokenizer: tokenizer file not found');
	add('tokenizer.json garbage', broken(write('tokenizer.json', 'not json')), /\/tokenizer\.json: not a Hugging Face tokenizer\.json: .+/);
	add('tokenizer.json an empty object', broken(write('tokenizer.json', '{}')), /\/tokenizer\.json: not a Hugging Face tokenizer\.json: Model missing\..*/);
	add('tokenizer_config.json a list', broken(write('tokenizer_config.json', '[1]')), '/tokenizer_config.json: expected a JSON object');
	add('tokenizer_config.json not JSON', broken(write('tokenizer_config.json', '{"bos_token": ')), '/tokenizer_config.json: not valid JSON: Unexpected end of JSON input');
	const twin = broken(() => {});
	cases.push({name: 'judge: two judges of one name', argv: ['optimize', taskFile, '--judges', `${base},${twin}`, '--auto'], line: /^judges: two judges are named "tiny": judge names must be unique$/, judges: 'real'});

	// A Hugging Face checkpoint folder (config.json and safetensors, no model.onnx).
	const checkpoint = (change: (dir: string) => void) =>
		broken(d => {
			fs.rmSync(path.join(d, 'model.onnx'));
			fs.writeFileSync(path.join(d, 'model.safetensors'), safetensors({'wte.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]}}, new Uint8Array(16)));
			change(d);
		});
	add('checkpoint: config.json not JSON', checkpoint(write('config.json', '{"model_type": gpt2}')), /\/config\.json: not valid JSON \(.+\)/);
	add('checkpoint: unknown model_type', checkpoint(write('config.json', JSON.stringify({model_type: 'mamba'}))), '/config.json: model_type: "mamba" is not supported; supported model types: gemma, gemma2, gpt2, gpt_neox, llama, mistral, phi3, qwen2, qwen3');
	add('checkpoint: config.json without sizes', checkpoint(write('config.json', JSON.stringify({model_type: 'gpt2'}))), '/config.json: n_embd: missing (expected a number)');
	add('checkpoint: safetensors header length beyond the file', checkpoint(write('model.safetensors', safetensors({}, new Uint8Array(0), 1n << 40n))), '/model.safetensors: not a safetensors file, or truncated: its header claims 1099511627776 bytes and the file has 10');
	add('checkpoint: safetensors header not JSON', checkpoint(write('model.safetensors', Buffer.concat([Buffer.from([12, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{not json!!}')]))), /\/model\.safetensors: not a safetensors file: its header is not JSON \(.+\)/);
	add('checkpoint: safetensors shorter than its header says', checkpoint(write('model.safetensors', safetensors({'wte.weight': {dtype: 'F32', shape: [1000, 1000], data_offsets: [0, 4_000_000]}}, new Uint8Array(16)))), '/model.safetensors: wte.weight: the file is truncated: this tensor ends at data byte 4000000, and the file holds 16 bytes of data');

	// A judge on an inference server.
	const server = (config: Record<string, unknown>) =>
		broken(write('judge.json', JSON.stringify({kind: 'server', name: 'srv', engine: 'vllm', url: `http://127.0.0.1:${closedPort}`, model: 'm', ...config})));
	add('server: url without a scheme', server({url: 'localhost:8000'}), '/judge.json: url: expected an http:// or https:// URL such as http://127.0.0.1:8000');
	add('server: unknown engine', server({engine: 'tgi'}), '/judge.json: engine: expected "vllm" or "sglang" (engines that return prompt log-probabilities)');
	add('server: a key in judge.json', server({apiKey: 'sk-secret'}), '/judge.json: apiKey: a key is never stored in judge.json: put it in an environment variable and name the variable in "apiKeyEnv"');
	cases.push({
		name: 'judge: server: nothing listening',
		argv: ['optimize', taskFile, '--judges', server({retries: 0}), '--auto'],
		line: new RegExp(`^judge "srv": GET http://127\\.0\\.0\\.1:${closedPort}/v1/models failed: ECONNREFUSED \\(1 attempt\\); is the server up, and the url in judge\\.json right\\?$`),
		judges: 'real',
	});
	return cases;
}
