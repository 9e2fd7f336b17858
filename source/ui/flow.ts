/**
 * Laying pieces of text out in lines: each piece stays whole on one line when it fits, the line breaks between
 * pieces, and a piece wider than a line wraps on its own. What screens use to show a row of facts (the losses per
 * judge, the budget) on as many lines as the terminal's width needs, instead of cutting it.
 */
import {cellWidth, wrapLines} from './wrap.js';

/** A piece of text and how it is drawn. */
export type Chunk<T> = {
	/** The text (one line). */
	text: string;
	/** How it is drawn (a tone, a colour: the caller's business). */
	style: T;
};

/** The pieces laid out in lines of at most `width` cells, `gap` spaces between pieces on a line. */
export function flowChunks<T>(chunks: readonly Chunk<T>[], width: number, gap = 2): Chunk<T>[][] {
	const lines: Chunk<T>[][] = [];
	let line: Chunk<T>[] = [];
	let used = 0;
	const breakLine = () => {
		if (line.length > 0) lines.push(line);
		line = [];
		used = 0;
	};
	for (const chunk of chunks) {
		const w = cellWidth(chunk.text);
		const need = line.length === 0 ? w : used + gap + w;
		if (need <= width) {
			if (line.length > 0) line.push({text: ' '.repeat(gap), style: chunk.style});
			line.push(chunk);
			used = need;
			continue;
		}
		breakLine();
		if (w <= width) {
			line.push(chunk);
			used = w;
			continue;
		}
		const parts = wrapLines(chunk.text, width);
		for (const part of parts.slice(0, -1)) lines.push([{text: part, style: chunk.style}]);
		line.push({text: parts.at(-1)!, style: chunk.style});
		used = cellWidth(parts.at(-1)!);
	}
	breakLine();
	return lines;
}
