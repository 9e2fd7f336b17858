/**
 * The history screen: the loss of each judge by round as a text chart (round 0 = the initial prompt), then, in a
 * list that scrolls (↑/↓, saying what is above and below), the current prompt in full (the final prompt once the
 * run has ended), its changes since the initial prompt, the accepted changes and the lineage of every segment.
 */
import {Box, Text} from 'ink';
import {heldoutJudges} from '../engine/report.js';
import type {SessionState} from '../sessions/replay.js';
import {plotChart} from './chart.js';
import type {Tone} from './detail-content.js';
import {flowChunks} from './flow.js';
import {Footer} from './footer.js';
import {HelpOverlay} from './help-overlay.js';
import {useMemo} from 'react';
import {historyContent, type HistoryLine} from './history-content.js';
import {lossHistory} from './history-data.js';
import {usableRows} from './layout.js';
import {ScrollPane, type PaneItem} from './scroll-pane.js';
import type {Glyphs, Theme} from './theme.js';
import type {TerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';
import {wrapLines} from './wrap.js';

type Props = {
	/** The session's state (its history). */
	state: SessionState;
	/** Lines of the list scrolled past. */
	scroll: number;
	/** The help overlay, when open, and how far it is scrolled. */
	help?: {offset: number};
	/** A banner (the run ended, how to go on). */
	banner?: string;
	/** The latest remark (what a key did). */
	notice?: string;
	/** Whether the run has ended (the current prompt is the final one). */
	ended?: boolean;
	/** The list's lines (historyContent), when the caller has them already. */
	lines?: readonly HistoryLine[];
	/** Terminal size. */
	size: TerminalSize;
};

function toneColor(tone: Tone, color: Theme['color']): {color?: string; bold?: boolean} {
	if (tone === 'title') return {bold: true};
	if (tone === 'good') return {color: color.good};
	if (tone === 'bad') return {color: color.bad};
	if (tone === 'muted') return {color: color.muted};
	return {};
}

/** How the screen is laid out: title, banner, chart title, chart and legend lines, and the rows left for the list. */
export function historyLayout(state: SessionState, size: TerminalSize, banner: string | undefined, glyphs: Glyphs, notice?: string) {
	const width = size.columns;
	const rows = usableRows(size.rows);
	const title = wrapLines(['gmpo', state.task.name, 'history', `${state.roundsDone} round(s) done`, `${state.accepted.length} accepted`, `session ${state.id}${state.name ? ` (${state.name})` : ''}`].join(glyphs.sep), width);
	const bannerLines = [...(banner ? wrapLines(`! ${banner}`, width) : []), ...(notice ? wrapLines(notice, width) : [])];
	const history = lossHistory(state);
	const chartTitle = flowChunks(
		[
			{text: 'Loss per judge by round', style: false},
			{text: `(${history.split === 'test' ? 'test split' : "each round's batch"}; 0 = the initial prompt; lower is better)`, style: true},
		],
		width,
		1,
	);
	// The chart gets about half of what is left (3 to 10 rows), the list the rest.
	const free = rows - title.length - bannerLines.length - chartTitle.length - 2 - 2 - 1;
	const chart = plotChart(history.series, history.rounds.map(String), Math.max(3, Math.min(10, Math.floor(free / 2))), width, glyphs);
	const held = new Set(heldoutJudges(state));
	const legend = flowChunks(
		[
			...history.series.map((s, i) => ({text: `${chart.markers[i]} ${held.has(s.name) ? '(h) ' : ''}${s.name}`, style: false})),
			{text: '* = judges on the same point; x = round, 0 = the initial prompt', style: true},
		],
		width,
	);
	const listRows = Math.max(3, rows - title.length - bannerLines.length - chartTitle.length - chart.lines.length - legend.length - 1);
	return {title, banner: bannerLines, chartTitle, chart, legend, listRows};
}

/** Loss chart, then the prompt, its changes, the accepted changes and the lineage. */
export function HistoryScreen({state, scroll, help, banner, notice, ended = false, size, lines}: Props) {
	const {color, glyphs} = useTheme();
	const width = size.columns;
	const rows = usableRows(size.rows);
	// Worked out again only when the session or the screen changes, not for every line scrolled.
	const layout = useMemo(() => historyLayout(state, size, banner, glyphs, notice), [state, state.lastSeq, size, banner, glyphs, notice]);
	const {chart} = layout;
	const content = useMemo(() => lines ?? historyContent(state, width, ended), [lines, state, state.lastSeq, width, ended]);
	const items: PaneItem[] = useMemo(() => content.map(line => ({key: line.key, node: <Text {...toneColor(line.tone, color)}>{line.text}</Text>})), [content, color]);
	return (
		<Box flexDirection="column" width={width} height={rows}>
			{layout.title.map((line, i) => (
				<Text key={`t${i}`} bold color={color.accent} wrap="truncate-end">
					{line}
				</Text>
			))}
			{layout.banner.map((line, i) => (
				<Text key={`b${i}`} color={color.warn} wrap="truncate-end">
					{line}
				</Text>
			))}
			{help ? (
				<HelpOverlay scope="history" width={width} rows={rows - layout.title.length - layout.banner.length - 1} offset={help.offset} />
			) : (
				<>
					{layout.chartTitle.map((line, i) => (
						<Text key={`c${i}`} wrap="truncate-end">
							{line.map((chunk, k) => (
								<Text key={k} bold={!chunk.style} color={chunk.style ? color.muted : undefined}>
									{chunk.text}
								</Text>
							))}
						</Text>
					))}
					{chart.lines.map((line, i) => (
						<Text key={i} wrap="truncate-end">
							{line}
						</Text>
					))}
					{layout.legend.map((line, i) => (
						<Text key={`l${i}`} wrap="truncate-end">
							{line.map((chunk, k) => (
								<Text key={k} color={chunk.style ? color.muted : undefined}>
									{chunk.text}
								</Text>
							))}
						</Text>
					))}
					<ScrollPane items={items} offset={scroll} rows={layout.listRows} width={width} keys={`${glyphs.up} ${glyphs.down}`} />
				</>
			)}
			<Box flexGrow={1} />
			<Footer scope="history" deciding={false} busy={false} width={width} />
		</Box>
	);
}
