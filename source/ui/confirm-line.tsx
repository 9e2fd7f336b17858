/**
 * A yes/no question in place of the status line (undo asks before it changes the prompt). The answers come from
 * the key map's "confirm" bindings.
 */
import {Box, Text} from 'ink';
import {bindingsFor} from './keys.js';
import {useTheme} from './use-theme.js';
import {wrapLines} from './wrap.js';

type Props = {
	/** The question. */
	question: string;
	/** Width in cells. */
	width: number;
};

/** The question with its keys. */
export function confirmText(question: string): string {
	const keys = bindingsFor('confirm')
		.map(b => `${b.label} ${b.short}`)
		.join(' / ');
	return `? ${question} (${keys})`;
}

/** The question and its keys, wrapped. */
export function ConfirmLine({question, width}: Props) {
	const {color} = useTheme();
	return (
		<Box flexDirection="column" width={width}>
			{wrapLines(confirmText(question), width).map((line, i) => (
				<Text key={i} color={color.warn} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
