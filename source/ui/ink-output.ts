/**
 * A faster frame assembly for Ink 6 (its `Output.get`), installed once before the TUI renders.
 *
 * Why: Ink builds every frame as a grid of one object per terminal cell, and turns each row back into a string cell
 * by cell, comparing the ANSI styles of neighbours. At 200x100 that is 20,000 objects a frame whatever is on the
 * screen (an empty grid alone took about half of a frame's CPU time), and it put the round screen at 25 ms of CPU a
 * frame, over the 16 ms goal (BENCHMARKS.md, `npm run bench -- tui`). Ink offers no option for it, and Ink 7 and 8,
 * which need Node 22, assemble frames the same way.
 *
 * What changes, and only in cost: rows nobody writes to are not built (an empty row is an empty string either way);
 * unwritten cells share one blank cell; a row is converted only up to its last written cell (the blanks after it
 * were trimmed anyway); neighbours with the same styles skip the style diff; the tokenised lines, character widths and clipped
 * lines are kept across frames in bounded caches; and a row made of the same cells as in the last frame reuses its string
 * (most lines do not change between frames). The frame is the same
 * string, byte for byte: `test/ui/ink-output.test.tsx` renders every screen through both and compares them, and
 * checks clipping, wide characters, overlapping writes and transformers on their own.
 *
 * It is installed only on the Ink version it was written and tested against; on any other, Ink's own is kept.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

/** One ANSI style code, as @alcalzone/ansi-tokenize reduces them. */
type AnsiCode = {type: 'ansi'; code: string; endCode: string};
/** One terminal cell: a character (or '' behind a wide one) and the styles it is drawn with. */
type Cell = {type: 'char'; value: string; fullWidth: boolean; styles: AnsiCode[]};
type Clip = {x1?: number; x2?: number; y1?: number; y2?: number};
type Operation = {type: 'write'; x: number; y: number; text: string; transformers: Array<(line: string, index: number) => string>} | {type: 'clip'; clip: Clip} | {type: 'unclip'};
/** Ink's Output, as far as this module touches it. */
type InkOutput = {width: number; height: number; operations: Operation[]; get(): {output: string; height: number}};
type OutputClass = {prototype: InkOutput};

/** The helpers Ink's output module uses: the same module instances, so measurements and slicing agree exactly. */
type Helpers = {
	sliceAnsi: (text: string, from: number, to?: number) => string;
	stringWidth: (text: string) => number;
	tokenize: (text: string) => unknown[];
	styledCharsFromTokens: (tokens: unknown[]) => Cell[];
	diffAnsiCodes: (from: AnsiCode[], to: AnsiCode[]) => AnsiCode[];
	ansiCodesToString: (codes: AnsiCode[]) => string;
};

/** The Ink version whose Output.get this reproduces. */
const INK_VERSION = '6.8.0';

/** Cache entries kept across frames before a cache is emptied (a screenful is a few hundred lines). */
const CACHE_LIMIT = 20_000;

/** Cells nobody wrote to. Shared, never changed: cells are replaced, not mutated. */
const BLANK: Cell = Object.freeze({type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) as unknown as AnsiCode[]}) as Cell;

/** A map that empties itself when it grows past CACHE_LIMIT. */
class BoundedCache<V> extends Map<string, V> {
	override set(key: string, value: V): this {
		if (this.size >= CACHE_LIMIT) this.clear();
		return super.set(key, value);
	}
}

/** True when two reduced style lists are the same codes in the same order (their diff is then empty). */
function sameStyles(a: AnsiCode[], b: AnsiCode[]): boolean {
	if (a === b) return true;
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i]!.code !== b[i]!.code || a[i]!.endCode !== b[i]!.endCode) return false;
	return true;
}

/** Builds the fast `get` over Ink's own helpers. */
export function makeFastGet(h: Helpers): (this: InkOutput) => {output: string; height: number} {
	const styled = new BoundedCache<Cell[]>();
	const widths = new BoundedCache<number>();
	const slices = new BoundedCache<string>();
	const slice = (line: string, from: number, to: number): string => {
		const key = `${from}:${to}:${line}`;
		let cut = slices.get(key);
		if (cut === undefined) slices.set(key, (cut = h.sliceAnsi(line, from, to)));
		return cut;
	};
	const styledChars = (line: string): Cell[] => {
		let cells = styled.get(line);
		if (cells === undefined) styled.set(line, (cells = h.styledCharsFromTokens(h.tokenize(line))));
		return cells;
	};
	const width = (text: string): number => {
		let w = widths.get(text);
		if (w === undefined) widths.set(text, (w = h.stringWidth(text)));
		return w;
	};
	const widest = (text: string): number => {
		let w = 0;
		for (const line of text.split('\n')) w = Math.max(w, width(line));
		return w;
	};
	/** A row's string: Ink's styledCharsToString, with equal neighbours' empty diff skipped, then trimmed. */
	const rowString = (row: Cell[]): string => {
		// Holes appear only where a write ran past the frame's width; Ink drops them.
		const cells = row.includes(undefined as unknown as Cell) ? row.filter(c => c !== undefined) : row;
		let end = cells.length;
		while (end > 0 && cells[end - 1] === BLANK) end--;
		let out = '';
		for (let i = 0; i < end; i++) {
			const cell = cells[i]!;
			if (i === 0) out += h.ansiCodesToString(cell.styles);
			else {
				const previous = cells[i - 1]!.styles;
				if (!sameStyles(previous, cell.styles)) out += h.ansiCodesToString(h.diffAnsiCodes(previous, cell.styles));
			}
			out += cell.value;
			if (i === end - 1 && cell.styles.length > 0) out += h.ansiCodesToString(h.diffAnsiCodes(cell.styles, []));
		}
		return out.trimEnd();
	};
	// The rows of the last frame and their strings: a row whose cells are the same objects (cells are never changed,
	// and an unchanged line gets the same cells from the cache) has the same string.
	let previous: Array<{cells: Cell[]; text: string} | undefined> = [];
	const sameCells = (a: Cell[], b: Cell[]): boolean => {
		if (a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
		return true;
	};
	return function get(this: InkOutput) {
		const rows: Array<Cell[] | undefined> = new Array(this.height);
		const rowAt = (y: number): Cell[] | undefined => {
			// Ink's grid answers only whole indices 0..height-1; any other row is skipped, as there.
			if (!Number.isInteger(y) || y < 0 || y >= this.height) return undefined;
			return (rows[y] ??= new Array<Cell>(this.width).fill(BLANK));
		};
		const clips: Clip[] = [];
		for (const operation of this.operations) {
			if (operation.type === 'clip') clips.push(operation.clip);
			if (operation.type === 'unclip') clips.pop();
			if (operation.type !== 'write' || !operation.text) continue;
			const {text, transformers} = operation;
			let {x, y} = operation;
			let lines = text.split('\n');
			const clip = clips.at(-1);
			if (clip) {
				const clipX = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
				const clipY = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
				if (clipX && (x + widest(text) < clip.x1! || x > clip.x2!)) continue;
				if (clipY && (y + lines.length < clip.y1! || y > clip.y2!)) continue;
				if (clipX) {
					const x1 = clip.x1!;
					const x2 = clip.x2!;
					lines = lines.map(line => {
						const w = width(line);
						return slice(line, x < x1 ? x1 - x : 0, x + w > x2 ? x2 - x : w);
					});
					if (x < x1) x = x1;
				}
				if (clipY) {
					const y1 = clip.y1!;
					const y2 = clip.y2!;
					const count = lines.length;
					lines = lines.slice(y < y1 ? y1 - y : 0, y + count > y2 ? y2 - y : count);
					if (y < y1) y = y1;
				}
			}
			let offsetY = 0;
			for (let index = 0; index < lines.length; index++) {
				const row = rowAt(y + offsetY);
				// As in Ink, a missing row does not advance to the next one.
				if (!row) continue;
				let line = lines[index]!;
				for (const transform of transformers) line = transform(line, index);
				let offsetX = x;
				for (const cell of styledChars(line)) {
					row[offsetX] = cell;
					const cellWidth = Math.max(1, width(cell.value));
					for (let k = 1; k < cellWidth; k++) row[offsetX + k] = {type: 'char', value: '', fullWidth: false, styles: cell.styles};
					offsetX += cellWidth;
				}
				offsetY++;
			}
		}
		const lines: string[] = [];
		const kept: typeof previous = [];
		for (let y = 0; y < this.height; y++) {
			const row = rows[y];
			if (!row) {
				lines.push('');
				continue;
			}
			const last = previous[y];
			const text = last && sameCells(last.cells, row) ? last.text : rowString(row);
			kept[y] = {cells: row, text};
			lines.push(text);
		}
		previous = kept;
		return {output: lines.join('\n'), height: this.height};
	};
}

/** The installed Ink's version. */
function inkVersion(): string {
	const require = createRequire(import.meta.url);
	return (createRequire(require.resolve('ink'))('../package.json') as {version: string}).version;
}

/** Ink's output module and the helpers it uses, loaded from where Ink resolves them. */
export async function loadInkOutput(): Promise<{Output: OutputClass; helpers: Helpers}> {
	const require = createRequire(import.meta.url);
	const inkEntry = require.resolve('ink');
	const inkBuild = path.dirname(inkEntry);
	const fromInk = createRequire(inkEntry);
	const url = (file: string) => pathToFileURL(file).href;
	const tokenizeDir = path.dirname(fromInk.resolve('@alcalzone/ansi-tokenize/package.json'));
	const [output, slice, strWidth, tokenizer] = await Promise.all([
		import(url(path.join(inkBuild, 'output.js'))) as Promise<{default: OutputClass}>,
		import(url(fromInk.resolve('slice-ansi'))) as Promise<{default: Helpers['sliceAnsi']}>,
		import(url(fromInk.resolve('string-width'))) as Promise<{default: Helpers['stringWidth']}>,
		import(url(path.join(tokenizeDir, 'build', 'index.js'))) as Promise<Omit<Helpers, 'sliceAnsi' | 'stringWidth'>>,
	]);
	const {tokenize, styledCharsFromTokens, diffAnsiCodes, ansiCodesToString} = tokenizer;
	return {Output: output.default, helpers: {sliceAnsi: slice.default, stringWidth: strWidth.default, tokenize, styledCharsFromTokens, diffAnsiCodes, ansiCodesToString}};
}

let installed: Promise<boolean> | undefined;

/**
 * Installs the fast frame assembly into Ink (once). False, with Ink's own kept, when Ink is not the version it
 * reproduces or its files are not where that version has them: the TUI is then slower at large sizes, never wrong.
 */
export function installFastOutput(): Promise<boolean> {
	installed ??= (async () => {
		try {
			if (inkVersion() !== INK_VERSION) return false;
			const {Output, helpers} = await loadInkOutput();
			Output.prototype.get = makeFastGet(helpers);
			return true;
		} catch {
			return false;
		}
	})();
	return installed;
}
