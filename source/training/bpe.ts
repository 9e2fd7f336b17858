/**
 * A deterministic byte-level BPE trainer. The `tokenizers` node bindings can train (Tokenizer.train) but only with
 * the model's default trainer: no vocabulary size, no special tokens, no initial alphabet can be set, so the result
 * has an unbounded vocabulary and lacks the bytes absent from the corpus. Merges are therefore learned here and
 * written as a Hugging Face tokenizer.json, which the library itself then loads and runs.
 */

/** GPT-2's byte-to-character map: every byte becomes one printable character, so merges are plain strings. */
export function bytesToUnicode(): string[] {
	const printable: number[] = [];
	for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
	for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
	for (let b = 0xae; b <= 0xff; b++) printable.push(b);
	const map: string[] = [];
	let extra = 0;
	for (let b = 0; b < 256; b++) {
		map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
	}
	return map;
}

/** The learned model: symbols in id order and merges in rank order. */
export type BpeModel = {
	/** Token strings; the index is the id. The first 256 are the byte alphabet in byte order. */
	vocab: string[];
	/** Merges by rank, each a pair of token strings. */
	merges: [string, string][];
};

/**
 * Learn merges from pre-token counts (pre-tokens already byte-mapped, one character per byte) until the vocabulary
 * holds `vocabSize` tokens or no pair occurs `minFrequency` times. Ties go to the pair whose strings sort first, so
 * the result depends only on the counts, never on Map iteration order.
 */
export function trainBpe(wordCounts: Map<string, number>, vocabSize: number, minFrequency = 2): BpeModel {
	const vocab = bytesToUnicode();
	const ids = new Map(vocab.map((s, i) => [s, i]));
	const words = [...wordCounts.keys()].sort();
	const counts = words.map(w => wordCounts.get(w)!);
	const symbols = words.map(w => [...w].map(c => {
		const id = ids.get(c);
		if (id === undefined) throw new Error(`pre-token "${w}" is not byte-level mapped`);
		return id;
	}));
	// Pair keys pack two ids into one number; ids stay far below 2^20.
	const key = (a: number, b: number): number => a * 1048576 + b;
	const pairCount = new Map<number, number>();
	const pairWords = new Map<number, Set<number>>();
	const addPairs = (w: number, sign: number): void => {
		const s = symbols[w];
		for (let i = 0; i + 1 < s.length; i++) {
			const k = key(s[i], s[i + 1]);
			pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[w]);
			if (sign > 0) {
				let set = pairWords.get(k);
				if (!set) pairWords.set(k, (set = new Set()));
				set.add(w);
			}
		}
	};
	for (let w = 0; w < words.length; w++) addPairs(w, 1);
	const merges: [string, string][] = [];
	while (vocab.length < vocabSize) {
		let best = -1;
		let bestCount = minFrequency - 1;
		for (const [k, c] of pairCount) {
			if (c > bestCount || (c === bestCount && best >= 0 && comparePairs(k, best, vocab) < 0)) {
				best = k;
				bestCount = c;
			}
		}
		if (best < 0) break;
		const left = Math.floor(best / 1048576);
		const right = best % 1048576;
		// Two merge paths can spell the same string ("ab"+"c", "a"+"bc"); the vocabulary keeps one id for it.
		const spelled = vocab[left] + vocab[right];
		let merged = ids.get(spelled);
		if (merged === undefined) {
			merged = vocab.length;
			vocab.push(spelled);
			ids.set(spelled, merged);
		}
		merges.push([vocab[left], vocab[right]]);
		// Words are visited in index order so the update is deterministic.
		for (const w of [...(pairWords.get(best) ?? [])].sort((a, b) => a - b)) {
			addPairs(w, -1);
			const s = symbols[w];
			const out: number[] = [];
			for (let i = 0; i < s.length; i++) {
				if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
					out.push(merged);
					i++;
				} else out.push(s[i]);
			}
			symbols[w] = out;
			addPairs(w, 1);
		}
		pairCount.delete(best);
		pairWords.delete(best);
		for (const [k, c] of pairCount) if (c <= 0) pairCount.delete(k);
	}
	return {vocab, merges};
}

function comparePairs(a: number, b: number, vocab: string[]): number {
	const sa = `${vocab[Math.floor(a / 1048576)]}\u0000${vocab[a % 1048576]}`;
	const sb = `${vocab[Math.floor(b / 1048576)]}\u0000${vocab[b % 1048576]}`;
	return sa < sb ? -1 : sa > sb ? 1 : 0;
}
