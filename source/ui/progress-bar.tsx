/**
 * A progress bar in glyphs ("█████░░░░░" or "#####....."), readable without colour.
 */
import {Text} from 'ink';
import {useTheme} from './use-theme.js';

type Props = {
	/** Units done. */
	done: number;
	/** Units in all. */
	total: number;
	/** Width in cells. */
	width: number;
};

/** A bar `width` cells wide, filled in proportion to done/total. */
export function ProgressBar({done, total, width}: Props) {
	const {glyphs, color} = useTheme();
	const filled = total > 0 ? Math.max(0, Math.min(width, Math.round((width * done) / total))) : 0;
	return (
		<Text>
			<Text color={color.accent}>{glyphs.barFull.repeat(filled)}</Text>
			<Text color={color.muted}>{glyphs.barEmpty.repeat(width - filled)}</Text>
		</Text>
	);
}
