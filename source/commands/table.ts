/**
 * Tables for command output, without colour, so the output reads the same in a terminal, a pipe and a log: data
 * tables drawn by ink-table (boxed, loaded only when a command prints one), and plain aligned text for the few
 * listings that are not a grid of values.
 */

/**
 * A data table drawn with ink-table: the header's names head the columns, numbers (cells that parse as one) are
 * right-aligned. Nothing is cut: a row wider than the terminal wraps there, as any long line does.
 */
export async function dataTable(header: readonly string[], rows: readonly (readonly string[])[]): Promise<string> {
	// React's development build is not for users; it is chosen when React first loads, which is below.
	process.env.NODE_ENV ??= 'production';
	const {renderTable} = await import('../ui/ink-table.js');
	const numeric = header.map((_, i) => rows.length > 0 && rows.every(r => (r[i] ?? '') === '' || /^[-+]?\d+(\.\d+)?(%.*)?$/.test(r[i] ?? '')));
	const columns = header.map((key, i) => ({key, right: numeric[i], flex: !numeric[i]}));
	return renderTable(
		columns,
		rows.map(r => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))),
		10_000,
	);
}

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
