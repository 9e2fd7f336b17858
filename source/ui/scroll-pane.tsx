/**
 * A pane of lines that scrolls and says so: when its content is taller than its rows, the first line says how many
 * lines are above and the last how many are below, with the key that scrolls. Nothing is cut without a word. Items
 * are single lines, or blocks (a table) that draw any run of their own lines.
 */
import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import {useTheme} from './use-theme.js';

/** One line, or a block of `height` lines drawn from line `skip` for `take` lines. */
export type PaneItem = {key: string; node: ReactNode} | {key: string; height: number; render: (skip: number, take: number) => ReactNode};

const heightOf = (item: PaneItem) => ('height' in item ? item.height : 1);

/** Lines in all. */
export function paneHeight(items: readonly PaneItem[]): number {
	return items.reduce((n, item) => n + heightOf(item), 0);
}

/** The offset clamped so the pane is as full as it can be. */
export function clampOffset(offset: number, total: number, rows: number): number {
	if (total <= rows) return 0;
	// With both markers shown, rows - 2 lines of content are visible.
	return Math.max(0, Math.min(offset, total - (rows - 1)));
}

/** What is shown: the content lines from `first`, `count` of them, and the markers. */
export function paneWindow(total: number, rows: number, offset: number): {first: number; count: number; above: number; below: number} {
	if (total <= rows || rows < 3) return {first: 0, count: Math.min(total, rows), above: 0, below: Math.max(0, total - rows)};
	const at = clampOffset(offset, total, rows);
	const above = at;
	let count = rows - (above > 0 ? 1 : 0);
	let below = total - at - count;
	if (below > 0) {
		count--;
		below++;
	}
	return {first: at, count, above, below};
}

type Props = {
	/** The content. */
	items: readonly PaneItem[];
	/** Lines scrolled past. */
	offset: number;
	/** Lines available. */
	rows: number;
	/** Width in cells. */
	width: number;
	/** The keys that scroll, as the markers name them ("[ ]", "↑↓"). */
	keys: string;
};

/** The visible part of `items`, with "↑ n above" / "↓ n more" markers where content is cut. */
export function ScrollPane({items, offset, rows, width, keys}: Props) {
	const {color, glyphs} = useTheme();
	if (rows <= 0) return null;
	const total = paneHeight(items);
	const {first, count, above, below} = paneWindow(total, rows, offset);
	const shown: ReactNode[] = [];
	let line = 0;
	for (const item of items) {
		const h = heightOf(item);
		const from = Math.max(first, line);
		const to = Math.min(first + count, line + h);
		if (to > from) {
			shown.push(
				'height' in item ? (
					<Box key={item.key} flexDirection="column" width={width}>
						{item.render(from - line, to - from)}
					</Box>
				) : (
					<Box key={item.key} width={width}>
						<Text wrap="truncate-end">{item.node}</Text>
					</Box>
				),
			);
		}
		line += h;
		if (line >= first + count) break;
	}
	return (
		<Box flexDirection="column" width={width}>
			{above > 0 ? (
				<Text color={color.muted} wrap="truncate-end">
					{glyphs.up} {above} line{above === 1 ? '' : 's'} above ({keys} scrolls)
				</Text>
			) : null}
			{shown}
			{below > 0 ? (
				<Text color={color.muted} wrap="truncate-end">
					{glyphs.down} {below} more line{below === 1 ? '' : 's'} ({keys} scrolls)
				</Text>
			) : null}
		</Box>
	);
}
