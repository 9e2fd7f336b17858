/**
 * The help overlay: every key of the screen with what it does, generated from the key map (the only place keys are
 * defined), then what every mark on the screen means. It takes the whole screen but the footer, wraps its lines and
 * scrolls (↑/↓ while it is open) when the terminal is too short, saying what is cut.
 */
import {Box, Text} from 'ink';
import {PERCENT_MIN_LOSS} from '../engine/loss-change.js';
import {NEGLIGIBLE_SHARE} from '../engine/importance-level.js';
import {bindingsFor, type KeyScope} from './keys.js';
import {clampOffset, ScrollPane, type PaneItem} from './scroll-pane.js';
import type {Glyphs} from './theme.js';
import {useTheme} from './use-theme.js';
import {wrapLines} from './wrap.js';

/** One line of the overlay: a key label (first line of a binding) and text, or a note. */
export type HelpLine = {key: string; label?: string; text: string; note?: boolean};

/** What the marks of a screen mean. */
function legend(scope: KeyScope, glyphs: Glyphs): string[] {
	const negligible = `${glyphs.dot} negligible: under ${Math.round(NEGLIGIBLE_SHARE * 100)}% of the largest importance in view (the threshold gmpo attribute uses)`;
	if (scope === 'round') {
		return [
			`heatmap: + helps, - hurts (more signs = stronger), ${negligible}; ${glyphs.target} edited this round, ${glyphs.frozen} frozen, ${glyphs.marked} marked for the next edit`,
			'segment ids are never reused: a gap (s3 s5) is a segment deleted or replaced in an earlier round, and new text gets a new id',
			`table: ${glyphs.delta} = the candidate's loss minus the current prompt's on this round's batch, nats/token (negative = lower loss, better); #n = that judge's rank; mean ${glyphs.delta} (the task's aggregation over the selection judges, not normalised) ranks the candidates`,
			`(h) = held-out judge: its loss is reported, never used to choose; ${glyphs.agree} = every selection judge ranks it first (held-out judges are not counted)`,
			`percentages are shown only where the current loss is at least ${PERCENT_MIN_LOSS} nats/token: near zero a ratio explodes`,
			'header: the test-split loss of the current prompt per judge, with its change since round 0 (the initial prompt)',
		];
	}
	if (scope === 'history') return ['chart: one marker per judge; * = several judges on the same point; round 0 = the initial prompt', '(h) = held-out judge: reported, never used to choose'];
	return [];
}

/** The overlay's lines at `width` cells. */
export function helpContent(scope: KeyScope, width: number, glyphs: Glyphs): HelpLine[] {
	const entries: {action: string; label: string; help: string; decision?: boolean}[] = [];
	for (const b of bindingsFor(scope)) {
		const previous = entries.at(-1);
		if (b.sameLine && previous) Object.assign(previous, {label: `${previous.label} ${b.label}`, help: `${previous.help} / ${b.short}`});
		else entries.push({action: b.action, label: b.label, help: b.help, decision: b.decision});
	}
	const labelWidth = Math.max(...entries.map(e => e.label.length)) + 2;
	const lines: HelpLine[] = [];
	if (entries.some(e => e.decision)) lines.push({key: 'deciding', text: '(deciding) = only while the round awaits your decision', note: true});
	for (const e of entries) {
		const wrapped = wrapLines(`${e.help}${e.decision ? ' (deciding)' : ''}`, Math.max(10, width - labelWidth));
		wrapped.forEach((text, i) => lines.push({key: `${e.action}.${i}`, label: i === 0 ? e.label.padEnd(labelWidth) : ' '.repeat(labelWidth), text}));
	}
	legend(scope, glyphs).forEach((note, n) => wrapLines(note, width).forEach((text, i) => lines.push({key: `legend${n}.${i}`, text, note: true})));
	return lines;
}

/** Lines the overlay can be scrolled past, in a pane of `rows` lines under its title. */
export function helpMaxOffset(scope: KeyScope, width: number, rows: number, glyphs: Glyphs): number {
	return clampOffset(Number.MAX_SAFE_INTEGER, helpContent(scope, width, glyphs).length, rows);
}

type Props = {
	/** The screen whose keys are listed. */
	scope: KeyScope;
	/** Width in cells. */
	width: number;
	/** Lines available. */
	rows: number;
	/** Lines scrolled past. */
	offset?: number;
};

/** The keys and the marks. */
export function HelpOverlay({scope, width, rows, offset = 0}: Props) {
	const {color, glyphs} = useTheme();
	const items: PaneItem[] = helpContent(scope, width, glyphs).map(line => ({
		key: line.key,
		node: line.note ? (
			<Text color={color.muted}>{line.text}</Text>
		) : (
			<Text>
				<Text bold>{line.label}</Text>
				{line.text}
			</Text>
		),
	}));
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Text bold color={color.accent} wrap="truncate-end">
				Keys {glyphs.rule.repeat(3)} ? or Esc closes {glyphs.rule.repeat(Math.max(0, width - 25))}
			</Text>
			<ScrollPane items={items} offset={offset} rows={rows - 1} width={width} keys={`${glyphs.up} ${glyphs.down}`} />
		</Box>
	);
}
