/**
 * Hugging Face tokenizers (tokenizer.json) through the `tokenizers` bindings. This is the only module that imports
 * them; the rest of the code sees the small `TextTokenizer` type, which tests can implement with fakes.
 *
 * Offsets: the bindings report character offsets in Unicode code points of the original text (an emoji counts 1,
 * every byte-level token of it carries the emoji's whole span; normalisers such as NFKC are aligned back to the
 * original). JavaScript strings index UTF-16 units, so every offset is converted here before it leaves the module.
 */
import {Tokenizer} from 'tokenizers';

/** A [start, end) range in UTF-16 units of a JavaScript string. */
export type Offsets = [start: number, end: number];

/** The tokens of one text. */
export type TokenizedText = {
	/** Token ids. */
	ids: number[];
	/** Token strings as in the vocabulary ("Ġthe", "▁Paris", "<0xF0>"). */
	tokens: string[];
	/** Span of each token in the text, UTF-16 units; [0, 0] for special tokens the post-processor added. */
	offsets: Offsets[];
};

/** What judges need from a tokenizer. */
export type TextTokenizer = {
	/**
	 * Tokenises text. Special tokens written in the text ("<|im_start|>") are recognised either way;
	 * `addSpecialTokens` only adds the post-processor's ones (a BOS, say). Default false.
	 */
	encode(text: string, options?: {addSpecialTokens?: boolean}): Promise<TokenizedText>;
	/** Text of the ids; special tokens kept unless `skipSpecialTokens`. */
	decode(ids: readonly number[], options?: {skipSpecialTokens?: boolean}): Promise<string>;
	/** Id of a token string (special tokens included), undefined when it is not in the vocabulary. */
	tokenId(token: string): number | undefined;
	/** Token string of an id, undefined when out of range. */
	tokenString(id: number): string | undefined;
	/** Number of ids, added tokens included (the embedding matrix must have at least this many rows). */
	readonly vocabSize: number;
	/** Ids the post-processor puts before a single sequence (a Llama BOS); empty for GPT-2-style tokenizers. */
	readonly specialPrefix: readonly number[];
	/** Ids the post-processor puts after a single sequence. */
	readonly specialSuffix: readonly number[];
};

/**
 * Converts code-point offsets of `text` into UTF-16 offsets. Offsets past the end are clamped to the end, so a
 * malformed tokenizer cannot produce spans outside the text.
 */
export function codePointToUtf16Offsets(text: string, offsets: readonly (readonly number[])[]): Offsets[] {
	// utf16At[i] = UTF-16 index of code point i; built only when the text has surrogate pairs.
	let utf16At: number[] | undefined;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c >= 0xd8_00 && c <= 0xdb_ff) {
			utf16At = [];
			let unit = 0;
			for (const ch of text) {
				utf16At.push(unit);
				unit += ch.length;
			}
			utf16At.push(unit);
			break;
		}
	}
	const convert = (cp: number) =>
		utf16At ? utf16At[Math.min(cp, utf16At.length - 1)]! : Math.min(cp, text.length);
	return offsets.map(([start = 0, end = 0]) => [convert(start), convert(end)]);
}

class HfTokenizer implements TextTokenizer {
	readonly vocabSize: number;
	specialPrefix: readonly number[] = [];
	specialSuffix: readonly number[] = [];

	constructor(private readonly inner: Tokenizer) {
		this.vocabSize = inner.getVocabSize(true);
	}

	async encode(text: string, options: {addSpecialTokens?: boolean} = {}): Promise<TokenizedText> {
		const encoding = await this.inner.encode(text, null, {addSpecialTokens: options.addSpecialTokens ?? false});
		return {
			ids: encoding.getIds(),
			tokens: encoding.getTokens(),
			offsets: codePointToUtf16Offsets(text, encoding.getOffsets()),
		};
	}

	async decode(ids: readonly number[], options: {skipSpecialTokens?: boolean} = {}): Promise<string> {
		return this.inner.decode([...ids], options.skipSpecialTokens ?? false);
	}

	tokenId(token: string): number | undefined {
		return this.inner.tokenToId(token) ?? undefined;
	}

	tokenString(id: number): string | undefined {
		return this.inner.idToToken(id) ?? undefined;
	}

	/** Finds what the post-processor adds around one sequence by encoding a probe both ways. */
	async probeSpecialTokens(): Promise<void> {
		const probe = 'a';
		const plain = (await this.encode(probe)).ids;
		const withSpecial = (await this.encode(probe, {addSpecialTokens: true})).ids;
		for (let at = 0; at + plain.length <= withSpecial.length; at++) {
			if (plain.every((id, i) => withSpecial[at + i] === id)) {
				this.specialPrefix = withSpecial.slice(0, at);
				this.specialSuffix = withSpecial.slice(at + plain.length);
				return;
			}
		}
	}
}

/** Builds a tokenizer from the text of a tokenizer.json. Throws the bindings' error when it cannot be parsed. */
export async function tokenizerFromJson(json: string): Promise<TextTokenizer> {
	const tokenizer = new HfTokenizer(Tokenizer.fromString(json));
	await tokenizer.probeSpecialTokens();
	return tokenizer;
}
