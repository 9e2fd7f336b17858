/**
 * Which prompt segment each token belongs to, and which tokens are the target: what attribution masks and what the
 * loss scores.
 *
 * Segment rule. The text is cut into regions: each non-empty segment span is a region, and so is every stretch of
 * text between them (template, input, target). A token belongs to the region holding most of its characters,
 * counted in code points; a tie goes to the earlier region. A token won by a segment gets that segment's index,
 * any other token -1. So a token straddling two segments (" Answer" after "Be brief." + " Answer ...") goes to the
 * one with more of its characters, and a token that is mostly template ("\n\nInput") is not masked even if it
 * starts with a segment's last character; an empty segment owns no tokens, a whitespace-only one owns the tokens
 * that are mostly its whitespace. Zero-width tokens belong to nothing (-1).
 *
 * Target rule. A token is a target token only if it is non-empty and lies entirely inside the target span.
 *
 * The context/target boundary. `encodeJudgeText` tokenises the whole text once; when no token crosses the start of
 * the target (the usual case: formats put the target after a newline or start it with a space) that is the
 * tokenisation used, exactly as the model would see the text. When a token does cross it, the tokeniser merged the
 * end of the context with the start of the target, and scoring that token would score part of the context. Then
 * the context and the target are tokenised separately and their ids concatenated, so every target character is
 * scored and no context character is; `splitBoundary` reports it. (A SentencePiece tokenizer that prepends "▁" to
 * every text it encodes also prepends it to the separately tokenised target: it then reads as a new word.)
 */
import type {RenderedText, Span} from './format.js';
import type {Offsets, TextTokenizer} from './tokenizer.js';

/** Per-token result of `mapTokens`. */
export type TokenMap = {
	/** Segment index of each token, -1 when it belongs to no segment. */
	segment: number[];
	/** Whether each token is a target token. */
	target: boolean[];
};

/**
 * Maps tokens (UTF-16 offsets into `text`) to segments and marks target tokens, by the rules in this file's header.
 * `segments` must be in text order and not overlap.
 */
export function mapTokens(
	text: string,
	offsets: readonly Offsets[],
	segments: readonly Span[],
	target?: Span,
): TokenMap {
	const codePoints = codePointPrefix(text);
	const count = (start: number, end: number) => (end > start ? codePoints[end]! - codePoints[start]! : 0);
	const regions = regionsOf(text.length, segments);
	const starts = regions.map(r => r.start);
	const segment = offsets.map(([start, end]) => {
		if (end <= start) return -1;
		let best = -1;
		let bestCount = 0;
		for (let r = Math.max(0, upperBound(starts, start) - 1); r < regions.length && regions[r]!.start < end; r++) {
			const region = regions[r]!;
			const n = count(Math.max(start, region.start), Math.min(end, region.end));
			// Strictly greater: on a tie the earlier region keeps the token.
			if (n > bestCount) {
				bestCount = n;
				best = region.segment;
			}
		}
		return best;
	});
	const targetFlags = offsets.map(
		([start, end]) => target !== undefined && end > start && start >= target.start && end <= target.end,
	);
	return {segment, target: targetFlags};
}

/** The token ids a judge runs: context first, then target. */
export type JudgeTokens = {
	/** Context ids: framing prefix (BOS), then template, prompt and input. */
	contextIds: number[];
	/** Segment index of each context token, -1 outside the prompt. */
	contextSegments: number[];
	/** UTF-16 span of each context token in the rendered text; [0, 0] for framing tokens. */
	contextOffsets: Offsets[];
	/** Target ids, scored by the loss; then the framing suffix (EOS) when there is one. */
	targetIds: number[];
	/** UTF-16 span of each target token in the rendered text; an empty span at the end for framing tokens. */
	targetOffsets: Offsets[];
	/** True when the context and the target had to be tokenised separately (see the header). */
	splitBoundary: boolean;
};

/** Special-token ids around the text. */
export type Framing = {
	/** Put before the context (a BOS), unless the context already starts with them (a template that writes BOS). */
	prefix?: readonly number[];
	/** Appended to the target and scored with it (an EOS). */
	suffix?: readonly number[];
};

/** Tokenises a rendered judge text into context and target tokens, with the context tokens' segments. */
export async function encodeJudgeText(
	tokenizer: TextTokenizer,
	rendered: RenderedText,
	framing: Framing = {},
): Promise<JudgeTokens> {
	const {text} = rendered;
	const boundary = rendered.target.start;
	const full = await tokenizer.encode(text);
	let contextIds: number[];
	let contextOffsets: Offsets[];
	let targetIds: number[];
	let targetOffsets: Offsets[];
	let splitBoundary = false;
	const firstTarget = full.offsets.findIndex(([start, end]) => start >= boundary && end > start);
	const cut = firstTarget === -1 ? full.ids.length : firstTarget;
	const clean = full.offsets.every(([start, end], i) => (i < cut ? end <= boundary : start >= boundary));
	if (clean) {
		contextIds = full.ids.slice(0, cut);
		contextOffsets = full.offsets.slice(0, cut);
		targetIds = full.ids.slice(cut);
		targetOffsets = full.offsets.slice(cut);
	} else {
		splitBoundary = true;
		const context = await tokenizer.encode(text.slice(0, boundary));
		const target = await tokenizer.encode(text.slice(boundary));
		contextIds = context.ids;
		contextOffsets = context.offsets;
		targetIds = target.ids;
		targetOffsets = target.offsets.map(([start, end]) => [start + boundary, end + boundary]);
	}
	const contextSegments = mapTokens(text, contextOffsets, rendered.segments).segment;

	const prefix = framing.prefix ?? [];
	if (prefix.length > 0 && !prefix.every((id, i) => contextIds[i] === id)) {
		contextIds = [...prefix, ...contextIds];
		contextOffsets = [...prefix.map((): Offsets => [0, 0]), ...contextOffsets];
		contextSegments.unshift(...prefix.map(() => -1));
	}
	const suffix = framing.suffix ?? [];
	if (suffix.length > 0) {
		targetIds = [...targetIds, ...suffix];
		targetOffsets = [...targetOffsets, ...suffix.map((): Offsets => [text.length, text.length])];
	}
	return {contextIds, contextSegments, contextOffsets, targetIds, targetOffsets, splitBoundary};
}

type Region = {start: number; end: number; segment: number};

/** Cuts [0, length) into segment regions and the gaps between them (segment -1). */
function regionsOf(length: number, segments: readonly Span[]): Region[] {
	const regions: Region[] = [];
	let at = 0;
	segments.forEach((span, index) => {
		if (span.end <= span.start) return;
		if (span.start > at) regions.push({start: at, end: span.start, segment: -1});
		regions.push({start: span.start, end: span.end, segment: index});
		at = span.end;
	});
	if (at < length) regions.push({start: at, end: length, segment: -1});
	return regions;
}

/** prefix[i] = number of code points that start before UTF-16 index i. */
function codePointPrefix(text: string): Uint32Array {
	const prefix = new Uint32Array(text.length + 1);
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		const isTrailSurrogate = c >= 0xdc_00 && c <= 0xdf_ff && i > 0 && isLead(text.charCodeAt(i - 1));
		prefix[i + 1] = prefix[i]! + (isTrailSurrogate ? 0 : 1);
	}
	return prefix;
}

function isLead(c: number): boolean {
	return c >= 0xd8_00 && c <= 0xdb_ff;
}

/** Index of the first element greater than value (sorted input). */
function upperBound(sorted: readonly number[], value: number): number {
	let lo = 0;
	let hi = sorted.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (sorted[mid]! <= value) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}
