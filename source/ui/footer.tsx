/**
 * The footer: the keys of the screen, generated from the key map. Decision keys show only while the engine awaits a
 * decision, and only those of the focused pane; "? help" and "q quit" are always kept, the others are dropped from
 * the end when the line is too narrow (the help overlay lists them all).
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import {bindingOf, bindingsFor, type KeyScope} from './keys.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The screen. */
	scope: KeyScope;
	/** Whether decision keys apply now. */
	deciding: boolean;
	/** Whether work is in progress (Esc cancels it). */
	busy: boolean;
	/** The focused pane of the round screen. */
	pane?: 'candidates' | 'segments';
	/** Width in cells. */
	width: number;
};

/** The keys that fit in `width`, with help and quit always last. */
export function footerKeys(scope: KeyScope, deciding: boolean, busy: boolean, width: number, pane?: Props['pane']): {label: string; short: string}[] {
	const kept = [bindingOf('help'), bindingOf('quit')];
	const shown = bindingsFor(scope).filter(b => b.footer && !kept.includes(b) && (deciding || !b.decision) && (!pane || !b.pane || b.pane === pane));
	// Decisions first: they are what the screen is for.
	const candidates = [...shown.filter(b => b.decision), ...shown.filter(b => !b.decision)];
	if (busy) candidates.unshift(bindingOf('cancel'));
	const size = (b: {label: string; short: string}) => b.label.length + b.short.length + 3;
	// The last item needs no separator after it.
	let used = kept.reduce((n, b) => n + size(b), 0) - 2;
	const chosen = [];
	for (const b of candidates) {
		if (used + size(b) > width) break;
		used += size(b);
		chosen.push(b);
	}
	return [...chosen, ...kept];
}

/** One line of keys. */
export const Footer = memo(function Footer({scope, deciding, busy, pane, width}: Props) {
	const {color} = useTheme();
	return (
		<Box width={width}>
			<Text wrap="truncate-end">
				{footerKeys(scope, deciding, busy, width, pane).map(b => (
					<Text key={b.label}>
						<Text bold color={color.accent}>
							{b.label}
						</Text>
						<Text color={color.muted}> {b.short}  </Text>
					</Text>
				))}
			</Text>
		</Box>
	);
});
