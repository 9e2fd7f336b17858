/**
 * The round screen: header; status line (work in progress, or an inline edit); the prompt heatmap; the candidates
 * table; the detail pane; the footer. Laid out for the terminal's height (80x24 and up), every part scrolling to
 * keep its selection in view. Presentational: the container owns the keys and talks to the engine.
 */
import {Box} from 'ink';
import type {ReactNode} from 'react';
import {CandidateTable} from './candidate-table.js';
import {DetailPane} from './detail-pane.js';
import {Footer} from './footer.js';
import {Header} from './header.js';
import {Heatmap} from './heatmap.js';
import {HelpOverlay} from './help-overlay.js';
import {roundLayout, usableRows} from './layout.js';
import type {RoundCursor} from './round-cursor.js';
import {StatusLine} from './status-line.js';
import type {TuiState} from './tui-state.js';
import type {TerminalSize} from './use-terminal-size.js';

/** Stable empty values, so memoised parts do not redraw for a new [] or {}. */
const NONE: never[] = [];
const NO_LOSSES: Record<string, number> = {};

type Props = {
	/** What the engine said. */
	state: TuiState;
	/** Task name. */
	task: string;
	/** Session id. */
	session: string;
	/** Selection, marks, lens. */
	cursor: RoundCursor;
	/** Whether the help overlay is open. */
	help: boolean;
	/** Replaces the status line (an inline edit, a prompt). */
	prompt?: ReactNode;
	/** Terminal size. */
	size: TerminalSize;
	/** Spinner frame. */
	frame: number;
	/** Now (ms). */
	now: number;
};

/** The round in one screen. */
export function RoundScreen({state, task, session, cursor, help, prompt, size, frame, now}: Props) {
	const width = size.columns;
	const view = state.view;
	const segments = view?.segments ?? NONE;
	const candidates = view?.candidates ?? NONE;
	const layout = roundLayout(size.rows, segments.length, candidates.length);
	const deciding = state.status === 'awaiting-decision';
	const busy = state.progress !== undefined;
	const message = state.messages.at(-1);
	const fallback = view?.cancelled
		? {level: 'warn' as const, text: `${view.cancelled} was cancelled: r redoes the missing work, or decide with what is there`}
		: deciding && !message
			? {level: 'info' as const, text: 'your decision: a accepts the top pick, Enter picks the selected one, ? lists every key'}
			: undefined;
	const selectedCandidate = candidates.find(c => c.id === cursor.candidate);
	const selectedSegment = segments.find(s => s.id === cursor.segment);
	const footer = <Footer scope="round" deciding={deciding} busy={busy} pane={cursor.pane} width={width} />;
	if (help) {
		return (
			<Box flexDirection="column" width={width} height={usableRows(size.rows)}>
				<HelpOverlay scope="round" width={width} rows={usableRows(size.rows) - 1} />
				{footer}
			</Box>
		);
	}
	return (
		<Box flexDirection="column" width={width} height={usableRows(size.rows)}>
			<Header
				task={task}
				session={session}
				round={state.round}
				losses={view?.current ?? NO_LOSSES}
				selection={view?.selection ?? NONE}
				heldout={view?.heldout ?? NONE}
				budget={view?.budget}
				width={width}
			/>
			{prompt ?? <StatusLine progress={state.progress} frame={frame} now={now} message={view?.error ? {level: 'error', text: view.error.message} : (fallback ?? message)} width={width} />}
			<Heatmap
				segments={segments}
				importance={view?.importance}
				targets={view?.targets ?? NONE}
				marked={cursor.marked}
				lens={cursor.lens}
				selected={cursor.segment}
				focused={cursor.pane === 'segments'}
				rows={layout.segments}
				width={width}
			/>
			<CandidateTable
				candidates={candidates}
				selection={view?.selection ?? NONE}
				heldout={view?.heldout ?? NONE}
				selected={cursor.candidate}
				focused={cursor.pane === 'candidates'}
				rows={layout.candidates}
				width={width}
			/>
			<DetailPane
				kind={cursor.pane === 'candidates' ? 'candidate' : 'segment'}
				candidate={selectedCandidate}
				segment={selectedSegment}
				segments={segments}
				importance={view?.importance}
				objectives={view?.objectives}
				hypervolume={view?.hypervolume}
				rows={layout.detail}
				width={width}
			/>
			<Box flexGrow={1} />
			{footer}
		</Box>
	);
}
