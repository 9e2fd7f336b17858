/**
 * Shown while a run is opened (task, judges, generator, session lock): a spinner that keeps moving, and what is
 * being opened.
 */
import {Box, Text} from 'ink';
import {useSpinner} from './use-spinner.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** What is being opened. */
	what: string;
};

/** A spinner and a line. */
export function LoadingScreen({what}: Props) {
	const {glyphs, color} = useTheme();
	const frame = useSpinner(true);
	return (
		<Box>
			<Text color={color.warn}>{glyphs.spinner[frame % glyphs.spinner.length]} </Text>
			<Text>opening {what} (task, judges, generator, session)...</Text>
		</Box>
	);
}
