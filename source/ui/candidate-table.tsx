/**
 * The candidates table: rank, edit summary, then per judge the change in loss in nats/token ("-0.0123" = lower loss,
 * better) with that judge's rank, the aggregate change over the selection judges (what ranks), and a mark where every
 * selection judge ranks the candidate first. Before ranking, a judge's cell shows the raw loss as it arrives ("…"
 * until then). Percentages are left to the detail pane, and only where a loss is well away from zero. A candidate
 * racing dropped is marked with its rung ("[out r1]"), one on the Pareto front of a multi-objective task "[pareto]".
 *
 * Drawn as lines of text rather than with ink-table (used for the plain data tables, see ink-table.tsx): each row carries a
 * cursor, a selection highlight and a colour per cell, and takes exactly one line, which an 80x24 screen needs.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {Aggregation} from '../core/types.js';
import {formatChange} from '../engine/loss-change.js';
import type {ScoredCandidate} from '../engine/types.js';
import {editSummary} from './diff.js';
import {formatLoss} from './format.js';
import {windowStart} from './scroll.js';
import {useTheme} from './use-theme.js';
import {fit} from './wrap.js';

type Props = {
	/** Candidates, ranked ones first (the engine's order). */
	candidates: readonly ScoredCandidate[];
	/** Judges that decide. */
	selection: readonly string[];
	/** Judges only reported. */
	heldout: readonly string[];
	/** How the selection judges' changes are aggregated. */
	aggregation?: Aggregation;
	/** The filter, when one is set: its text, and how many candidates it shows of how many. */
	filter?: {query: string; shown: number; of: number};
	/** Selected candidate id. */
	selected?: string;
	/** Whether the table has the keyboard. */
	focused: boolean;
	/** Rows for candidates. */
	rows: number;
	/** Width in cells. */
	width: number;
};

const CURSOR = 2;
const RANK = 4;
const AGREE = 2;
const MIN_EDIT = 14;

/** Column widths for the judges that fit. */
function columns(width: number, judges: number, aggregate: number): {judge: number; shown: number; ranks: boolean} {
	const room = width - CURSOR - RANK - aggregate - AGREE - MIN_EDIT;
	for (const [w, ranks] of [
		[12, true],
		[9, false],
	] as const) {
		if (room >= w * judges) return {judge: w, shown: judges, ranks};
	}
	return {judge: 9, shown: Math.max(1, Math.floor(room / 9)), ranks: false};
}

function judgeCell(c: ScoredCandidate, judge: string, ranks: boolean, ellipsis: string): string {
	if (c.failed) return 'fail';
	const d = c.change?.[judge];
	if (d !== undefined && c.rank !== undefined) return `${formatChange(d)}${ranks && c.judgeRanks?.[judge] ? ` #${c.judgeRanks[judge]}` : ''}`;
	const loss = c.losses?.[judge];
	return loss === undefined ? ellipsis : formatLoss(loss);
}

/** The aggregate column's heading: what the change is combined with ("min" is the worst judge's change). */
export function aggregateHeading(aggregation: Aggregation | undefined, delta: string): string {
	return `${aggregation === 'min' ? 'worst' : aggregation === 'median' ? 'median' : 'mean'} ${delta}`;
}

/** The candidates, one row each, scrolled to keep the selection in view. */
export const CandidateTable = memo(function CandidateTable({candidates, selection, heldout, aggregation, filter, selected, focused, rows, width}: Props) {
	const {glyphs, color} = useTheme();
	const judges = [...selection, ...heldout];
	const heading = aggregateHeading(aggregation, glyphs.delta);
	// The aggregate column holds "-0.0123" or its heading, whichever is wider, plus a space.
	const aggregateWidth = Math.max(9, heading.length + 1);
	const layout = columns(width, judges.length, aggregateWidth);
	const shownJudges = judges.slice(0, layout.shown);
	const edit = Math.max(MIN_EDIT, width - CURSOR - RANK - aggregateWidth - AGREE - layout.judge * shownJudges.length);
	const at = Math.max(0, candidates.findIndex(c => c.id === selected));
	const start = windowStart(candidates.length, rows, at);
	const shown = candidates.slice(start, start + rows);
	const more = candidates.length > rows ? ` ${start + 1}-${start + shown.length}/${candidates.length}` : '';
	// Each row is one line of text cut into fixed-width cells (padded here), not a box per cell: a row then costs one
	// layout node instead of sixteen, which keeps a frame at a large terminal size within budget (bench tui).
	const cell = (key: string, w: number, text: string, props: {color?: string; bold?: boolean} = {}, right = false) => (
		<Text key={key} {...props}>
			{right ? ` ${fit(text, w - 1, true)}` : fit(text, w)}
		</Text>
	);
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end">
				{cell('cursor', CURSOR, focused ? glyphs.cursor : ' ', {bold: true, color: focused ? color.accent : undefined})}
				{cell('rank', RANK, '#', {bold: true})}
				{cell('edit', edit, `Candidates${more}${filter ? ` /${filter.query} (${filter.shown} of ${filter.of})` : candidates.length === 0 ? ' (none yet)' : ''}`, {bold: true, color: focused ? color.accent : undefined})}
				{shownJudges.map(j => cell(j, layout.judge, `${heldout.includes(j) ? '(h)' : ''}${j}`, {bold: true}, true))}
				{cell('agg', aggregateWidth, heading, {bold: true}, true)}
			</Text>
			{shown.map(c => {
				const isSelected = c.id === selected;
				const agree = c.rank !== undefined && selection.length > 0 && selection.every(j => c.judgeRanks?.[j] === 1);
				// A change below zero is a lower loss: better.
				const tint = (d: number | undefined) => (d === undefined || !Number.isFinite(d) || c.rank === undefined ? undefined : d < 0 ? color.good : d > 0 ? color.bad : undefined);
				const prefix = c.blocked ? '[frozen] ' : c.failed ? '[cannot score] ' : c.dropped ? `[out r${c.dropped.rung}] ` : c.pareto ? '[pareto] ' : '';
				return (
					<Text key={c.id} wrap="truncate-end">
						<Text inverse={isSelected && focused}>{fit(isSelected ? glyphs.cursor : ' ', CURSOR)}</Text>
						{cell('rank', RANK, c.rank === undefined ? ` ${glyphs.dot}` : String(c.rank), {bold: c.rank === 1})}
						{cell('edit', edit, `${prefix}${c.id} ${editSummary(c.edits)}`, {bold: isSelected, color: c.blocked || c.failed || c.dropped ? color.muted : undefined})}
						{shownJudges.map(j => cell(j, layout.judge, judgeCell(c, j, layout.ranks, glyphs.ellipsis), {color: tint(c.change?.[j])}, true))}
						{cell('agg', aggregateWidth, c.aggregate === undefined ? '' : formatChange(c.aggregate), {bold: true, color: tint(c.aggregate)}, true)}
						{agree ? <Text color={color.good}>{` ${glyphs.agree}`}</Text> : null}
					</Text>
				);
			})}
		</Box>
	);
});
