/**
 * The per-example screen (x): for the current prompt and the selected candidate, each judge's greedy output on each
 * example of the round's batch beside the reference, with exact match and the change in loss per example. The
 * greedy outputs are generated when the screen is opened (the status line shows the progress; Esc cancels); the
 * losses are there at once. Scrolls with ↑/↓.
 */
import {Box, Text} from 'ink';
import type {DetailLine} from './detail-content.js';
import {LinesPane} from './detail-pane.js';
import {Footer} from './footer.js';
import {HelpOverlay} from './help-overlay.js';
import {usableRows} from './layout.js';
import {StatusLine, statusHeight} from './status-line.js';
import type {Message, Progress} from './tui-state.js';
import type {TerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';
import {wrapLines} from './wrap.js';

type Props = {
	/** The title (task, round). */
	title: string;
	/** The view's lines (examplesContent), or undefined before the engine has them. */
	lines?: readonly DetailLine[];
	/** Lines scrolled past. */
	offset: number;
	/** Work in progress. */
	progress?: Progress;
	/** What to say when nothing runs. */
	message?: Message;
	/** Spinner frame and now (ms), for the status line. */
	spin: number;
	now: number;
	/** The help overlay, when open. */
	help?: {offset: number};
	/** Terminal size. */
	size: TerminalSize;
};

/** Rows the list gets (for scroll limits). */
export function examplesRows(title: string, progress: Progress | undefined, message: Message | undefined, size: TerminalSize): number {
	return Math.max(3, usableRows(size.rows) - wrapLines(title, size.columns).length - statusHeight(progress, message, size.columns) - 1);
}

/** The examples, scrolled. */
export function ExamplesScreen({title, lines, offset, progress, message, spin, now, help, size}: Props) {
	const {color, glyphs} = useTheme();
	const width = size.columns;
	const rows = usableRows(size.rows);
	const titleLines = wrapLines(title, width);
	return (
		<Box flexDirection="column" width={width} height={rows}>
			{titleLines.map((line, i) => (
				<Text key={i} bold color={color.accent} wrap="truncate-end">
					{line}
				</Text>
			))}
			<StatusLine progress={progress} frame={spin} now={now} message={message} width={width} />
			{help ? (
				<HelpOverlay scope="examples" width={width} rows={rows - titleLines.length - 2} offset={help.offset} />
			) : lines ? (
				<LinesPane lines={lines} offset={offset} rows={examplesRows(title, progress, message, size)} width={width} keys={`${glyphs.up} ${glyphs.down}`} />
			) : (
				<Text color={color.muted}>no round to show examples of yet</Text>
			)}
			<Box flexGrow={1} />
			<Footer scope="examples" deciding={false} busy={progress !== undefined} width={width} />
		</Box>
	);
}
