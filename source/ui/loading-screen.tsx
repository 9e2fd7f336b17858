/**
 * Shown while a run is opened (task, judges, generator, session lock): a spinner that keeps moving, what is being
 * opened, and the one key that works meanwhile: quit (the run being opened is closed once it is open).
 */
import {Box, Text, useInput} from 'ink';
import {actionFor, bindingOf} from './keys.js';
import {useSpinner} from './use-spinner.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** What is being opened. */
	what: string;
	/** The latest note on it (a judge's first use: the phase of its graph build). */
	note?: string;
	/** Called on the quit key. */
	onQuit: () => void;
};

const quit = bindingOf('quit');

/** A spinner and a line. */
export function LoadingScreen({what, note, onQuit}: Props) {
	const {glyphs, color} = useTheme();
	const frame = useSpinner(true);
	useInput((input, key) => {
		if (actionFor('loading', input, key) === 'quit') onQuit();
	});
	return (
		<Box flexDirection="column">
			<Box>
				<Text color={color.warn}>{glyphs.spinner[frame % glyphs.spinner.length]} </Text>
				<Text>opening {what} (task, judges, generator, session)...</Text>
				<Text color={color.muted}>  {quit.label} {quit.short}</Text>
			</Box>
			{note ? <Text color={color.muted}>  {note}</Text> : null}
		</Box>
	);
}
