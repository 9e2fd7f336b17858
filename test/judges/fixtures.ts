/**
 * Tokenizer fixtures built in the tests, never downloaded: a GPT-2-style byte-level BPE made with the `tokenizers`
 * bindings (merges chosen so that some tokens cross segment boundaries), and a Llama-2-style SentencePiece BPE
 * (Prepend + Replace normaliser, byte fallback, BOS post-processor) written as tokenizer.json text.
 */
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {BPE, Tokenizer, byteLevelPreTokenizer} from 'tokenizers';

/** GPT-2's byte-to-character table: printable bytes map to themselves, the rest to U+0100 onwards. */
function bytesToUnicode(): string[] {
	const table: string[] = [];
	let next = 256;
	for (let b = 0; b < 256; b++) {
		const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
		table[b] = String.fromCodePoint(printable ? b : next++);
	}
	return table;
}

const byteChars = bytesToUnicode();
const toByteLevel = (text: string) => [...Buffer.from(text, 'utf8')].map(b => byteChars[b]!);

/** Words (with their leading space) that the byte-level fixture merges into single tokens. */
export const MERGED_WORDS = [
	' world',
	'Hello',
	' the',
	'Paris',
	' Paris',
	' brief',
	'é',
	' café',
	'😀',
	'Input',
	'Output',
];

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<s>', '</s>'];

/** tokenizer.json text of the byte-level BPE fixture. */
export async function byteLevelTokenizerJson(): Promise<string> {
	const vocab: Record<string, number> = {};
	byteChars.forEach((c, i) => (vocab[c] = i));
	const merges: [string, string][] = [];
	const rank = new Map<string, number>();
	for (const word of MERGED_WORDS) {
		// Apply the merges so far as BPE would (lowest rank first), then join what is left into one token.
		const pieces = toByteLevel(word);
		for (;;) {
			let best = -1;
			for (let i = 0; i + 1 < pieces.length; i++) {
				const r = rank.get(pieces[i] + ' ' + pieces[i + 1]);
				if (r !== undefined && (best === -1 || r < rank.get(pieces[best] + ' ' + pieces[best + 1])!)) best = i;
			}
			if (best === -1) break;
			pieces.splice(best, 2, pieces[best]! + pieces[best + 1]!);
		}
		while (pieces.length > 1) {
			const [left, right] = pieces.splice(0, 2) as [string, string];
			rank.set(left + ' ' + right, merges.length);
			merges.push([left, right]);
			vocab[left + right] = Object.keys(vocab).length;
			pieces.unshift(left + right);
		}
	}
	const tokenizer = new Tokenizer(BPE.init(vocab, merges));
	tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
	tokenizer.addSpecialTokens(SPECIAL_TOKENS);
	const dir = await mkdtemp(path.join(os.tmpdir(), 'gmpo-tok-'));
	try {
		const file = path.join(dir, 'tokenizer.json');
		tokenizer.save(file);
		// The bindings export no byte-level decoder constructor; tokenizer.json names it as GPT-2's does.
		const json = JSON.parse(await readFile(file, 'utf8'));
		json.decoder = {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true};
		return JSON.stringify(json);
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
}

/** tokenizer.json text of a Llama-2-style tokenizer: "▁" word marks, byte fallback, "<s>" added to every sequence. */
export function sentencePieceTokenizerJson(): string {
	const vocab: Record<string, number> = {'<unk>': 0, '<s>': 1, '</s>': 2};
	for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
	for (const c of '▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:.,?!') vocab[c] ??= Object.keys(vocab).length;
	const merges: string[] = [];
	for (const word of ['▁Paris', '▁Hello', '▁world', 'Output']) {
		let left = word[0]!;
		for (const right of word.slice(1)) {
			merges.push(`${left} ${right}`);
			vocab[left + right] ??= Object.keys(vocab).length;
			left += right;
		}
	}
	const special = (id: number, content: string) => ({
		id,
		content,
		single_word: false,
		lstrip: false,
		rstrip: false,
		normalized: false,
		special: true,
	});
	return JSON.stringify({
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
		normalizer: {
			type: 'Sequence',
			normalizers: [
				{type: 'Prepend', prepend: '▁'},
				{type: 'Replace', pattern: {String: ' '}, content: '▁'},
			],
		},
		pre_tokenizer: null,
		post_processor: {
			type: 'TemplateProcessing',
			single: [{SpecialToken: {id: '<s>', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}],
			pair: [
				{SpecialToken: {id: '<s>', type_id: 0}},
				{Sequence: {id: 'A', type_id: 0}},
				{Sequence: {id: 'B', type_id: 0}},
			],
			special_tokens: {'<s>': {id: '<s>', ids: [1], tokens: ['<s>']}},
		},
		decoder: {
			type: 'Sequence',
			decoders: [
				{type: 'Replace', pattern: {String: '▁'}, content: ' '},
				{type: 'ByteFallback'},
				{type: 'Fuse'},
				{type: 'Strip', content: ' ', start: 1, stop: 0},
			],
		},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: '<unk>',
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: true,
			byte_fallback: true,
			vocab,
			merges,
		},
	});
}

/** ChatML (Qwen-style) chat template. */
export const CHATML_TEMPLATE = [
	'{% for message in messages %}',
	"{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}",
	'{% endfor %}',
	"{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
].join('');

/** Llama-2 chat template, as in the model's tokenizer_config.json (system folded into the first user turn). */
export const LLAMA2_TEMPLATE = [
	"{% if messages[0]['role'] == 'system' %}",
	"{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}",
	'{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}',
	'{% for message in loop_messages %}',
	"{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}",
	"{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}",
	'{% if loop.index0 == 0 and system_message != false %}',
	"{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}",
	"{% else %}{% set content = message['content'] %}{% endif %}",
	"{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}",
	"{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}",
	'{% endfor %}',
].join('');

/** A temporary folder holding `files` (strings written as is, objects as JSON), and how to remove it. */
export async function makeFolder(
	files: Record<string, string | object>,
): Promise<{dir: string; cleanup: () => Promise<void>}> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'gmpo-judge-'));
	for (const [name, content] of Object.entries(files)) {
		const file = path.join(dir, name);
		await mkdir(path.dirname(file), {recursive: true});
		await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
	}
	return {dir, cleanup: () => rm(dir, {recursive: true, force: true})};
}
