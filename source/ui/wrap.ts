/**
 * Text measured and fitted to terminal cells: wrapped into lines (so a screen knows how many lines a text takes
 * before it lays itself out, and key information wraps instead of being cut), and truncated with an ellipsis where
 * a cut is the right call (a table cell). Widths are terminal cells, so CJK text and emoji count double.
 */
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/** Printable ASCII only: one cell per character, measured without string-width (the common case, and a hot path). */
const PLAIN = /^[\x20-\x7e]*$/;

/** Width of a text in terminal cells. */
export function cellWidth(text: string): number {
	return PLAIN.test(text) ? text.length : stringWidth(text);
}

/** The lines `text` takes at `width` cells: words wrap, words longer than a line are broken. */
export function wrapLines(text: string, width: number): string[] {
	if (text === '') return [''];
	// A line that fits is returned as it is (trimmed, as wrap-ansi would): most lines fit, and wrapping is costly.
	if (!text.includes('\n') && cellWidth(text) <= width) return [text.trim()];
	return wrapAnsi(text, Math.max(1, width), {hard: true, trim: true, wordWrap: true}).split('\n');
}

/** `text` in at most `width` cells, an ellipsis at the end when cut. */
export function truncate(text: string, width: number): string {
	if (width <= 0) return '';
	return cliTruncate(text, width, {position: 'end'});
}

/** `text` padded with spaces to `width` cells (on the left when `right`), truncated when longer. */
export function fit(text: string, width: number, right = false): string {
	const cut = truncate(text, width);
	const pad = ' '.repeat(Math.max(0, width - cellWidth(cut)));
	return right ? pad + cut : cut + pad;
}
