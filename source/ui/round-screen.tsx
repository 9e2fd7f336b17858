/**
 * The round screen: header; status line (work in progress, or an inline edit); the prompt heatmap; the candidates
 * table; the detail pane; the footer. Laid out for the terminal's height (80x24 and up) by roundFrame, every part
 * scrolling to keep its selection in view and saying when something is cut. Presentational: the container owns the
 * keys and talks to the engine.
 */
import {Box} from 'ink';
import type {ReactNode} from 'react';
import {CandidateTable} from './candidate-table.js';
import type {DetailLine} from './detail-content.js';
import {DetailPane} from './detail-pane.js';
import {Footer} from './footer.js';
import {Header} from './header.js';
import {Heatmap} from './heatmap.js';
import {HelpOverlay} from './help-overlay.js';
import {usableRows} from './layout.js';
import type {RoundCursor} from './round-cursor.js';
import type {RoundFrame} from './round-frame.js';
import {StatusLine} from './status-line.js';
import type {TuiState} from './tui-state.js';
import type {TerminalSize} from './use-terminal-size.js';

/** Stable empty values, so memoised parts do not redraw for a new []. */
const NONE: never[] = [];

type Props = {
	/** What the engine said. */
	state: TuiState;
	/** The layout and the measured parts (roundFrame). */
	frame: RoundFrame;
	/** Selection, marks, lens. */
	cursor: RoundCursor;
	/** Whether the help overlay is open, and how far it is scrolled. */
	help?: {offset: number};
	/** Replaces the status line (an inline edit, a prompt). */
	prompt?: ReactNode;
	/** The candidates filter, when one is set: its text, and how many candidates it shows of how many. */
	filter?: {query: string; shown: number; of: number};
	/** Terminal size. */
	size: TerminalSize;
	/** The detail pane's lines (detailContent). */
	detail: readonly DetailLine[];
	/** Lines of the detail pane scrolled past. */
	detailOffset: number;
	/** Spinner frame. */
	spin: number;
	/** Now (ms). */
	now: number;
};

/** The round in one screen. */
export function RoundScreen({state, frame, cursor, help, prompt, filter, size, detail, detailOffset, spin, now}: Props) {
	const width = size.columns;
	const view = state.view;
	const {layout} = frame;
	const deciding = state.status === 'awaiting-decision';
	const busy = state.progress !== undefined;
	const footer = <Footer scope="round" deciding={deciding} busy={busy} pane={cursor.pane} width={width} />;
	if (help) {
		return (
			<Box flexDirection="column" width={width} height={usableRows(size.rows)}>
				<HelpOverlay scope="round" width={width} rows={usableRows(size.rows) - 1} offset={help.offset} />
				{footer}
			</Box>
		);
	}
	return (
		<Box flexDirection="column" width={width} height={usableRows(size.rows)}>
			<Header lines={frame.header} width={width} />
			{prompt ?? <StatusLine progress={state.progress} frame={spin} now={now} message={frame.message} width={width} />}
			<Heatmap
				segments={view?.segments ?? NONE}
				importance={view?.importance}
				targets={view?.targets ?? NONE}
				marked={cursor.marked}
				lens={cursor.lens}
				selected={cursor.segment}
				focused={cursor.pane === 'segments'}
				rows={layout.segments}
				width={width}
				title={frame.heatTitle}
			/>
			<CandidateTable
				candidates={view?.candidates ?? NONE}
				selection={view?.selection ?? NONE}
				heldout={view?.heldout ?? NONE}
				aggregation={view?.aggregation}
				filter={filter}
				selected={cursor.candidate}
				focused={cursor.pane === 'candidates'}
				rows={layout.candidates}
				width={width}
			/>
			<DetailPane lines={detail} offset={detailOffset} rows={layout.detail} width={width} />
			<Box flexGrow={1} />
			{footer}
		</Box>
	);
}
