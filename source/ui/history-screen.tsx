/**
 * The history screen: the loss of each judge over the rounds as a text chart, then the accepted edits in order and
 * the current prompt's lineage (which round and which edit produced each segment). ↑/↓ scroll the lists.
 */
import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import type {SessionState} from '../sessions/replay.js';
import {plotChart} from './chart.js';
import {editSummary} from './diff.js';
import {Footer} from './footer.js';
import {oneLine} from './format.js';
import {HelpOverlay} from './help-overlay.js';
import {lossHistory} from './history-data.js';
import {usableRows} from './layout.js';
import type {TerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The session's state (its history). */
	state: SessionState;
	/** First line of the lists shown. */
	scroll: number;
	/** Whether the help overlay is open. */
	help: boolean;
	/** A banner (the run ended, how to go on). */
	banner?: string;
	/** Terminal size. */
	size: TerminalSize;
};

/** The number of list lines the history shows (for scrolling). */
export function historyListLength(state: SessionState): number {
	return 2 + Math.max(1, state.accepted.length) + state.segments.length;
}

/** Loss chart, accepted edits, lineage. */
export function HistoryScreen({state, scroll, help, banner, size}: Props) {
	const {color, glyphs} = useTheme();
	const width = size.columns;
	const rows = usableRows(size.rows);
	const history = lossHistory(state);
	const chartRows = Math.max(3, Math.min(10, Math.floor((rows - 6) / 2) - 2));
	const chart = plotChart(history.series, history.rounds.map(String), chartRows, width, glyphs);
	const list: {key: string; node: ReactNode}[] = [{key: 'acc', node: <Text bold>Accepted edits ({state.accepted.length})</Text>}];
	if (state.accepted.length === 0) list.push({key: 'acc-none', node: <Text color={color.muted}>  none yet</Text>});
	for (const a of state.accepted) {
		const what = a.action === 'edit' ? (a.edits.length > 0 ? `by hand: ${editSummary(a.edits)}` : 'prompt edited by hand') : `${a.action === 'accept' ? 'accepted' : 'picked'} ${a.candidate}: ${editSummary(a.edits)}`;
		list.push({key: `a${a.seq}`, node: <Text>  round {a.round} {what}</Text>});
	}
	list.push({key: 'lin', node: <Text bold>Prompt lineage</Text>});
	for (const s of state.segments) {
		const o = s.origin;
		const from = !o || o.kind === 'initial' ? 'initial' : o.candidateId === 'user' ? `r${o.round} hand` : `r${o.round} ${o.candidateId}`;
		list.push({
			key: `s${s.id}`,
			node: (
				<Text>
					{'  '}
					<Text color={color.muted}>{s.id.padEnd(5)}</Text>
					<Text color={from === 'initial' ? color.muted : color.good}>{from.padEnd(10)}</Text>
					{s.frozen ? `${glyphs.frozen} ` : ''}
					{oneLine(s.text)}
				</Text>
			),
		});
	}
	const fixed = 2 + chart.lines.length + 1 + 1 + (banner ? 1 : 0);
	const room = Math.max(1, rows - fixed);
	const start = Math.max(0, Math.min(scroll, list.length - room));
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Text bold color={color.accent} wrap="truncate-end">
				{['gmpo', state.task.name, 'history', `${state.roundsDone} round(s) done`, `${state.accepted.length} accepted`, `session ${state.id}`].join(glyphs.sep)}
			</Text>
			{banner ? (
				<Text color={color.warn} wrap="truncate-end">
					! {banner}
				</Text>
			) : null}
			{help ? (
				<HelpOverlay scope="history" width={width} rows={rows - 2} />
			) : (
				<>
					<Text wrap="truncate-end">
						<Text bold>Loss per judge by round</Text>
						<Text color={color.muted}> ({history.split === 'test' ? 'test split' : "each round's batch"}; 0 = the initial prompt; lower is better)</Text>
					</Text>
					{chart.lines.map((line, i) => (
						<Text key={i} wrap="truncate-end">
							{line}
						</Text>
					))}
					<Text wrap="truncate-end">
						{history.series.map((s, i) => (
							<Text key={s.name}>
								{'  '}
								{chart.markers[i]} {s.name}
							</Text>
						))}
						<Text color={color.muted}>{'  '}x = round</Text>
					</Text>
					{list.slice(start, start + room).map(l => (
						<Box key={l.key} width={width}>
							<Text wrap="truncate-end">{l.node}</Text>
						</Box>
					))}
				</>
			)}
			<Box flexGrow={1} />
			<Footer scope="history" deciding={false} busy={false} width={width} />
		</Box>
	);
}
