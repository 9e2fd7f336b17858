/**
 * Splitting a prompt into segments, the units the judges attribute and the generator edits.
 *
 * Invariant: `joinSegments(segmentPrompt(p, mode))` is `p` exactly (for markers: `p` with the markers removed).
 * Conventions, so that edits can reason about whitespace: whitespace after a segment belongs to that segment; a
 * segment never starts with whitespace except the first (leading whitespace of the prompt) and, in lines mode, the
 * indentation of a line; no segment is empty or whitespace-only unless the whole prompt is whitespace.
 */
import type {Segment, SegmentationMode} from './types.js';

/** How to split a prompt. */
export type SegmentOptions = {
	/** sentences (default), lines, or explicit markers. */
	mode?: SegmentationMode;
	/** Separator for mode "markers" (default "||"); removed from the text. */
	marker?: string;
	/** Number of the first id (default 1: "s1"). */
	firstId?: number;
};

/** Split a prompt into segments with ids s1..sK and origin "initial". An empty prompt gives no segments. */
export function segmentPrompt(prompt: string, options: SegmentOptions = {}): Segment[] {
	const mode = options.mode ?? 'sentences';
	let texts: string[];
	if (mode === 'sentences') texts = splitSentences(prompt);
	else if (mode === 'lines') texts = splitLines(prompt);
	else texts = splitMarkers(prompt, options.marker ?? '||');
	return withIds(tidy(texts), options.firstId ?? 1);
}

/** The prompt the segments spell. */
export function joinSegments(segments: readonly Pick<Segment, 'text'>[]): string {
	return segments.map(s => s.text).join('');
}

/** The id of the n-th segment of a session ("s" + n). */
export function segmentId(n: number): string {
	return `s${n}`;
}

/** Renumber segments s<first>.. in order, keeping everything else. */
export function reId(segments: readonly Segment[], first = 1): Segment[] {
	return segments.map((s, i) => ({...s, id: segmentId(first + i)}));
}

/** The next free id number: one past the largest "s<n>" id (1 when there is none). */
export function nextSegmentNumber(segments: readonly Segment[]): number {
	let max = 0;
	for (const s of segments) {
		const m = /^s(\d+)$/.exec(s.id);
		if (m) max = Math.max(max, Number(m[1]));
	}
	return max + 1;
}

/** Mark the given segments frozen (never proposed for editing); unknown ids throw. */
export function freezeSegments(segments: readonly Segment[], ids: readonly string[]): Segment[] {
	const known = new Set(segments.map(s => s.id));
	const unknown = ids.filter(id => !known.has(id));
	if (unknown.length > 0) throw new RangeError(`unknown segment ${unknown.join(', ')}`);
	const frozen = new Set(ids);
	return segments.map(s => (frozen.has(s.id) ? {...s, frozen: true} : s));
}

function withIds(texts: string[], first: number): Segment[] {
	return texts.map((text, i) => ({id: segmentId(first + i), text, origin: {kind: 'initial'}}));
}

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);
const isBlank = (s: string): boolean => /^\s*$/u.test(s);

/** Drop empty pieces; fold whitespace-only pieces into the previous piece (the next one when first). */
function tidy(pieces: string[]): string[] {
	const out: string[] = [];
	let pending = '';
	for (const piece of pieces) {
		if (piece === '') continue;
		if (isBlank(piece)) {
			if (out.length > 0) out[out.length - 1] += piece;
			else pending += piece;
			continue;
		}
		out.push(pending + piece);
		pending = '';
	}
	if (pending !== '') out.push(pending);
	return out;
}

/** Lines: each line with its newline; blank lines are folded into the line before by tidy(). */
function splitLines(text: string): string[] {
	return text.split(/(?<=\n)/u);
}

/** Markers: the marker is removed; whitespace around a marker goes to the segment before it. */
function splitMarkers(text: string, marker: string): string[] {
	if (marker === '') throw new RangeError('the segment marker is empty');
	const pieces = text.split(marker);
	for (let i = 1; i < pieces.length; i++) {
		const lead = /^\s*/u.exec(pieces[i])![0];
		if (lead === '' || isBlank(pieces[i])) continue;
		pieces[i - 1] += lead;
		pieces[i] = pieces[i].slice(lead.length);
	}
	return pieces;
}

/** Sentence enders that need whitespace after them. */
const TERMINATORS = new Set(['.', '!', '?', '…', '‼', '⁇', '⁈', '⁉']);
/** Full-width enders (CJK) end a sentence even without a following space. */
const WIDE_TERMINATORS = new Set(['。', '！', '？', '｡']);
/** Closing quotes and brackets that stay with the sentence they close. */
const CLOSERS = new Set(['"', "'", '”', '’', '»', '›', ')', ']', '}', '」', '』', '）', '*', '_', '`']);
/** Words that end in a period without ending the sentence (lowercase, without their final period). */
const ABBREVIATIONS = new Set([
	'e.g', 'eg', 'i.e', 'ie', 'cf', 'vs', 'viz', 'approx', 'incl', 'resp', 'ca', 'al', 'mr', 'mrs', 'ms', 'dr',
	'prof', 'sr', 'jr', 'st', 'mt', 'gen', 'col', 'lt', 'sgt', 'capt', 'rev', 'hon', 'inc', 'ltd', 'corp', 'co',
	'dept', 'univ', 'est', 'a.m', 'p.m', 'u.s', 'u.k', 'e.u', 'ph.d',
]);
/** Abbreviations that only hold when a number follows ("No. 5", "Fig. 2"); elsewhere they may end a sentence. */
const NUMBER_ABBREVIATIONS = new Set(['no', 'nr', 'fig', 'figs', 'eq', 'eqs', 'p', 'pp', 'vol', 'ch', 'sec', 'art']);

/**
 * Sentences: a run of enders (". ", "?!", "...", "…") plus any closing quotes, followed by whitespace, ends a
 * sentence, and the whitespace (newlines included) belongs to it. A newline always ends a segment. Not a sentence
 * end: a period inside a token (3.5, v1.2, example.com), after an abbreviation or a list number ("e.g.", "1."), or
 * any ender followed on the same line by a lowercase word ("Wait... what", "\"Why?\" she asked").
 */
function splitSentences(text: string): string[] {
	const pieces: string[] = [];
	let start = 0;
	let i = 0;
	const n = text.length;
	const cut = (end: number) => {
		pieces.push(text.slice(start, end));
		start = end;
		i = end;
	};
	while (i < n) {
		const ch = text[i];
		if (ch === '\n') {
			cut(skipSpace(text, i));
			continue;
		}
		if (WIDE_TERMINATORS.has(ch)) {
			let k = i + 1;
			while (k < n && (WIDE_TERMINATORS.has(text[k]) || CLOSERS.has(text[k]))) k++;
			cut(skipSpace(text, k));
			continue;
		}
		if (!TERMINATORS.has(ch)) {
			i++;
			continue;
		}
		let j = i;
		while (j < n && TERMINATORS.has(text[j])) j++;
		let k = j;
		while (k < n && CLOSERS.has(text[k])) k++;
		if (k < n && (!isSpace(text[k]) || continuesSentence(text, start, i, j, k))) {
			i = k;
			continue;
		}
		cut(skipSpace(text, k));
	}
	if (start < n) pieces.push(text.slice(start));
	return pieces;
}

function skipSpace(text: string, from: number): number {
	let k = from;
	while (k < text.length && isSpace(text[k])) k++;
	return k;
}

/** Whether the enders text[i..j) (then closers up to k, then whitespace) do not end the sentence. */
function continuesSentence(text: string, start: number, i: number, j: number, k: number): boolean {
	const after = skipSpace(text, k);
	if (after >= text.length) return false;
	if (text.slice(k, after).includes('\n')) return false;
	const next = String.fromCodePoint(text.codePointAt(after)!);
	if (/\p{Ll}/u.test(next)) return true;
	if (j - i !== 1 || text[i] !== '.' || k !== j) return false;
	const before = text.slice(start, i);
	if (/^\s*\d{1,3}$/u.test(before)) return true;
	const word = (/[\p{L}\p{N}.]+$/u.exec(before)?.[0] ?? '').toLowerCase();
	// Dotted initialisms such as "e.g", "U.S.A" or "a.m".
	if (ABBREVIATIONS.has(word) || /^(?:\p{L}\.)+\p{L}$/u.test(word)) return true;
	return NUMBER_ABBREVIATIONS.has(word) && /\p{N}/u.test(next);
}
