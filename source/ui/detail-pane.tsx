/**
 * The detail pane under the table: for the selected candidate, every edit ("-" goes, "+" comes), the generator's
 * rationale and the per-judge scores; for the selected segment, where its text came from, its importance per judge
 * and its whole text. Long texts wrap; when the pane is too short it scrolls ([ and ]) and says what is cut.
 */
import {Box, Text} from 'ink';
import {memo, useMemo, type ReactNode} from 'react';
import {detailHeight, type DetailLine, type Tone} from './detail-content.js';
import {DataTable} from './ink-table.js';
import {bindingOf} from './keys.js';
import {ScrollPane, type PaneItem} from './scroll-pane.js';
import type {Theme} from './theme.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The pane's content (detailContent). */
	lines: readonly DetailLine[];
	/** Lines scrolled past. */
	offset: number;
	/** Lines available (the rule above the content included). */
	rows: number;
	/** Width in cells. */
	width: number;
};

function toneProps(tone: Tone, color: Theme['color']): {color?: string; bold?: boolean} {
	if (tone === 'title') return {bold: true};
	if (tone === 'good') return {color: color.good};
	if (tone === 'bad') return {color: color.bad};
	if (tone === 'muted') return {color: color.muted};
	return {};
}

const scrollKeys = `${bindingOf('detail-up').label} ${bindingOf('detail-down').label}`;

/** Lines and tables (DetailLine) in a pane that scrolls with `keys`. */
export function LinesPane({lines, offset, rows, width, keys}: Props & {keys: string}) {
	const {color} = useTheme();
	// Built once per content: scrolling redraws only what came into view (a whole table keeps its props, and is skipped).
	const items: PaneItem[] = useMemo(() => lines.map((line): PaneItem => {
		if (!('table' in line)) return {key: line.key, node: <Text {...toneProps(line.tone, color)}>{line.text}</Text>};
		const {columns, rows: data, sizing = data} = line.table;
		return {
			key: line.key,
			height: detailHeight(line),
			// A table scrolled into keeps its heading: it takes the place of the first row shown.
			render: (skip, take): ReactNode => <DataTable columns={columns} rows={skip === 0 && take >= data.length + 1 ? data : data.slice(Math.max(0, skip), Math.max(0, skip) + take - 1)} sizing={sizing} width={width} />,
		};
	}), [lines, color, width]);
	return <ScrollPane items={items} offset={offset} rows={rows} width={width} keys={keys} />;
}

/** The detail of the selection, scrolled. */
export const DetailPane = memo(function DetailPane({lines, offset, rows, width}: Props) {
	const {color, glyphs} = useTheme();
	if (rows <= 0) return null;
	return (
		<Box flexDirection="column" width={width} height={rows} overflow="hidden">
			<Text color={color.muted} wrap="truncate-end">
				{glyphs.rule.repeat(width)}
			</Text>
			<LinesPane lines={lines} offset={offset} rows={rows - 1} width={width} keys={scrollKeys} />
		</Box>
	);
});
