/**
 * Plain-text tables for command output: columns padded to their widest cell, two spaces apart, no colour, so the
 * output reads the same in a terminal, a pipe and a log.
 */

/** Renders a header and rows as aligned text (one line each, trailing newline). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
	const line = (cells: readonly string[]) =>
		cells
			.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
			.join('  ')
			.trimEnd();
	return `${[header, ...rows].map(line).join('\n')}\n`;
}
