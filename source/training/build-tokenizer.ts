/**
 * Build the judges' tokenizer: a byte-level BPE (GPT-2 style, digits split one per token) learned from the synthetic
 * corpus and saved as a Hugging Face tokenizer.json that `Tokenizer.fromFile` of the `tokenizers` package loads.
 * Byte-level means every string is encodable, whatever characters a user's prompt holds. Merges are learned by
 * bpe.ts because the node bindings expose no configurable trainer (see there).
 *
 * Run: npx tsx source/training/build-tokenizer.ts [--out tokenizer.json] [--seed 1] [--count 20000] [--vocab 768]
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Tokenizer} from 'tokenizers';
import {trainBpe, bytesToUnicode, type BpeModel} from './bpe.js';
import {exampleText, generateCorpus} from './corpus.js';
import {END_OF_TEXT} from './template.js';

/** Default vocabulary size, the special token included: small enough for ~1M-parameter judges. */
export const DEFAULT_VOCAB_SIZE = 768;
/** Default number of corpus examples the merges are learned from. */
export const DEFAULT_TOKENIZER_EXAMPLES = 20000;

/** Options of the tokenizer build. */
export type TokenizerOptions = {
	/** Vocabulary size including <|endoftext|> (at least 257: 256 bytes + the special token). */
	vocabSize?: number;
	/** A pair must occur this often to be merged. */
	minFrequency?: number;
};

/**
 * The tokenizer.json for a model. Key order is fixed and the JSON is built from plain arrays, so equal models give
 * equal bytes. Offsets are trimmed of the leading space ("Ġword" points at "word"), so a token after a segment
 * boundary or after "Output: " is placed in the span its letters belong to.
 */
export function tokenizerJson(model: BpeModel): string {
	const vocab: Record<string, number> = {};
	model.vocab.forEach((token, id) => {
		vocab[token] = id;
	});
	const eos = model.vocab.length;
	const byteLevel = {add_prefix_space: false, trim_offsets: true, use_regex: true};
	const json = {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [
			{id: eos, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true},
		],
		normalizer: null,
		pre_tokenizer: {
			type: 'Sequence',
			// One token per digit: small judges learn arithmetic and counting far better on digits than on merged numbers.
			pretokenizers: [{type: 'Digits', individual_digits: true}, {type: 'ByteLevel', ...byteLevel}],
		},
		post_processor: {type: 'ByteLevel', ...byteLevel},
		decoder: {type: 'ByteLevel', ...byteLevel},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: null,
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: false,
			byte_fallback: false,
			ignore_merges: false,
			vocab,
			merges: model.merges.map(([a, b]) => `${a} ${b}`),
		},
	};
	return `${JSON.stringify(json, null, 1)}\n`;
}

/** Count the pre-tokens of texts with the library's own pre-tokenizer, the one the saved tokenizer will run. */
export function countPreTokens(texts: Iterable<string>): Map<string, number> {
	const bytesOnly: BpeModel = {vocab: bytesToUnicode(), merges: []};
	const preTokenizer = Tokenizer.fromString(tokenizerJson(bytesOnly)).getPreTokenizer();
	if (!preTokenizer) throw new Error('tokenizer.json without a pre-tokenizer');
	const counts = new Map<string, number>();
	for (const text of texts) {
		// The special token is matched before pre-tokenization when encoding, so it never takes part in merges.
		for (const piece of text.split(END_OF_TEXT)) {
			if (piece === '') continue;
			for (const [token] of preTokenizer.preTokenizeString(piece)) counts.set(token, (counts.get(token) ?? 0) + 1);
		}
	}
	return counts;
}

/** Learn a byte-level BPE from texts and return its tokenizer.json text. */
export function buildTokenizerJson(texts: Iterable<string>, options: TokenizerOptions = {}): string {
	const vocabSize = options.vocabSize ?? DEFAULT_VOCAB_SIZE;
	if (vocabSize < 257) throw new Error(`vocabSize ${vocabSize} < 257 (256 bytes + ${END_OF_TEXT})`);
	// One id is reserved for the special token, placed last as in GPT-2.
	const model = trainBpe(countPreTokens(texts), vocabSize - 1, options.minFrequency ?? 2);
	return tokenizerJson(model);
}

/** The judges' tokenizer.json, learned from `count` training-split examples of the corpus for a seed. */
export function buildCorpusTokenizer(
	seed: number,
	count = DEFAULT_TOKENIZER_EXAMPLES,
	options: TokenizerOptions = {},
): string {
	return buildTokenizerJson(
		generateCorpus({seed, count, split: 'train'}).map(exampleText),
		options,
	);
}

function flag(args: string[], name: string, fallback: string): string {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const args = process.argv.slice(2);
	const out = flag(args, 'out', 'tokenizer.json');
	const json = buildCorpusTokenizer(
		Number(flag(args, 'seed', '1')),
		Number(flag(args, 'count', String(DEFAULT_TOKENIZER_EXAMPLES))),
		{vocabSize: Number(flag(args, 'vocab', String(DEFAULT_VOCAB_SIZE)))},
	);
	writeFileSync(out, json);
	const tokenizer = Tokenizer.fromFile(out);
	console.log(`wrote ${out}: byte-level BPE, ${tokenizer.getVocabSize(true)} tokens`);
}
