/**
 * The help overlay: every key of the screen with what it does, generated from the key map (the only place keys are
 * defined), plus what the heatmap and table signs mean. It takes the whole screen but the footer, without a border:
 * at 80x24 every line is needed for the keys.
 */
import {Box, Text} from 'ink';
import {bindingsFor, type KeyScope} from './keys.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The screen whose keys are listed. */
	scope: KeyScope;
	/** Width in cells. */
	width: number;
	/** Lines available. */
	rows: number;
};

/** The keys and the signs. */
export function HelpOverlay({scope, width, rows}: Props) {
	const {color, glyphs} = useTheme();
	const lines: {key: string; label: string; help: string; decision?: boolean}[] = [];
	for (const b of bindingsFor(scope)) {
		const previous = lines.at(-1);
		if (b.sameLine && previous) Object.assign(previous, {label: `${previous.label} ${b.label}`, help: `${previous.help} / ${b.short}`});
		else lines.push({key: b.action, label: b.label, help: b.help, decision: b.decision});
	}
	const labelWidth = Math.max(...lines.map(l => l.label.length)) + 2;
	const legend =
		scope === 'round'
			? [
					`heatmap: + helps, - hurts, more signs = stronger, ${glyphs.dot} negligible; ${glyphs.target} edited now, ${glyphs.frozen} frozen, ${glyphs.marked} marked`,
					`table: +x% = lower loss for that judge (better), #n = its rank; ${glyphs.agree} = every judge ranks it first`,
				]
			: [];
	const room = Math.max(1, rows - 1 - legend.length);
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Text bold color={color.accent} wrap="truncate-end">
				Keys {glyphs.rule.repeat(3)} ? or Esc closes {glyphs.rule.repeat(Math.max(0, width - 25))}
			</Text>
			{lines.slice(0, room).map(b => (
				<Box key={b.key} width={width}>
					<Box width={labelWidth} flexShrink={0}>
						<Text bold>{b.label}</Text>
					</Box>
					<Text wrap="truncate-end">
						{b.help}
						{b.decision ? <Text color={color.muted}> (deciding)</Text> : null}
					</Text>
				</Box>
			))}
			{legend.map(line => (
				<Text key={line} color={color.muted} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
