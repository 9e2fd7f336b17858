/**
 * The line under the header: the work in progress (spinner, bar, counts, time left, how to cancel) while the engine
 * works; otherwise what the round needs (a decision, the cancelled work to redo) or the latest message. Errors and
 * warnings carry a "!" so they stand out without colour.
 */
import {Box, Text} from 'ink';
import type {WorkPhase} from '../engine/index.js';
import {formatDuration, timeLeft} from './format.js';
import {wrapLines} from './wrap.js';
import {ProgressBar} from './progress-bar.js';
import type {Message, Progress} from './tui-state.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** Work in progress. */
	progress?: Progress;
	/** Spinner frame. */
	frame: number;
	/** Now (ms), for the time left. */
	now: number;
	/** What to say when nothing runs. */
	message?: Message;
	/** Width in cells. */
	width: number;
};

/** A message takes at most this many lines; a longer one ends with an ellipsis (the full text is in the history). */
const MAX_LINES = 4;

/** The lines a message takes at `width` cells. */
export function messageLines(message: Message | undefined, width: number, ellipsis = '…'): string[] {
	if (!message) return [' '];
	const lines = wrapLines(`${message.level === 'info' ? '' : '! '}${message.text}`, width);
	if (lines.length <= MAX_LINES) return lines;
	const kept = lines.slice(0, MAX_LINES);
	kept[MAX_LINES - 1] = `${kept[MAX_LINES - 1].slice(0, Math.max(0, width - ellipsis.length))}${ellipsis}`;
	return kept;
}

/** Lines the status takes: one while work is in progress, else the message's. */
export function statusHeight(progress: Progress | undefined, message: Message | undefined, width: number): number {
	return progress ? 1 : messageLines(message, width).length;
}

const WORDS: Record<WorkPhase, string> = {attribution: 'attributing', proposal: 'proposing candidates', scoring: 'scoring', evaluation: 'scoring the test split', generation: 'generating greedy outputs'};

/** Work in progress, or the latest message. */
export function StatusLine({progress, frame, now, message, width}: Props) {
	const {glyphs, color} = useTheme();
	if (progress) {
		const spinner = glyphs.spinner[frame % glyphs.spinner.length];
		const elapsed = now - progress.startedAt;
		const left = timeLeft(elapsed, progress.done, progress.total);
		const counted = progress.total > 0;
		const barWidth = Math.max(6, Math.min(24, width - 60));
		return (
			<Box width={width}>
				<Text wrap="truncate-end">
					<Text color={color.warn}>{spinner} </Text>
					<Text bold>{WORDS[progress.phase]} </Text>
					{counted ? (
						<>
							<ProgressBar done={progress.done} total={progress.total} width={barWidth} />
							<Text>
								{' '}
								{progress.done}/{progress.total}
							</Text>
						</>
					) : null}
					{progress.detail ? <Text> {progress.detail}</Text> : null}
					<Text color={color.muted}>
						{glyphs.sep}
						{formatDuration(elapsed)}
						{left === undefined ? '' : `${glyphs.sep}~${formatDuration(left)} left`}
						{`${glyphs.sep}Esc cancels`}
					</Text>
				</Text>
			</Box>
		);
	}
	if (!message) return <Text> </Text>;
	const tint = message.level === 'error' ? color.bad : message.level === 'warn' ? color.warn : color.muted;
	return (
		<Box flexDirection="column" width={width}>
			{messageLines(message, width, glyphs.ellipsis).map((line, i) => (
				<Text key={i} color={tint} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
