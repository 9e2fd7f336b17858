/**
 * The candidates table: rank, edit summary, then per judge the relative loss change ("+0.5%" = lower loss, better)
 * with that judge's rank, the aggregate over the selection judges, and a mark where every selection judge ranks the
 * candidate first. Before ranking, a judge's cell shows the raw loss as it arrives ("…" until then). A candidate
 * racing dropped is marked with its rung ("[out r1]"), one on the Pareto front of a multi-objective task "[pareto]".
 *
 * Drawn with Ink boxes, not ink-table: ink-table 3 is CommonJS and require()s ink, which Node cannot do for ink 6
 * (an ES module graph with top-level await, from yoga-layout), so it fails to load with ERR_REQUIRE_ASYNC_MODULE. It
 * would also spend two lines per row on borders, which an 80x24 screen cannot afford.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {ScoredCandidate} from '../engine/types.js';
import {editSummary} from './diff.js';
import {formatLoss, formatPercent} from './format.js';
import {windowStart} from './scroll.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** Candidates, ranked ones first (the engine's order). */
	candidates: readonly ScoredCandidate[];
	/** Judges that decide. */
	selection: readonly string[];
	/** Judges only reported. */
	heldout: readonly string[];
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
const AGGREGATE = 8;
const AGREE = 2;
const MIN_EDIT = 14;

/** Column widths for the judges that fit. */
function columns(width: number, judges: number): {judge: number; shown: number; ranks: boolean} {
	const room = width - CURSOR - RANK - AGGREGATE - AGREE - MIN_EDIT;
	for (const [w, ranks] of [
		[12, true],
		[10, true],
		[8, false],
	] as const) {
		if (room >= w * judges) return {judge: w, shown: judges, ranks};
	}
	return {judge: 8, shown: Math.max(1, Math.floor(room / 8)), ranks: false};
}

function judgeCell(c: ScoredCandidate, judge: string, ranks: boolean, ellipsis: string): string {
	if (c.failed) return 'fail';
	const r = c.improvement?.[judge];
	if (r !== undefined) return `${formatPercent(r)}${ranks && c.judgeRanks?.[judge] ? ` #${c.judgeRanks[judge]}` : ''}`;
	const loss = c.losses?.[judge];
	return loss === undefined ? ellipsis : formatLoss(loss);
}

/** The candidates, one row each, scrolled to keep the selection in view. */
export const CandidateTable = memo(function CandidateTable({candidates, selection, heldout, selected, focused, rows, width}: Props) {
	const {glyphs, color} = useTheme();
	const judges = [...selection, ...heldout];
	const layout = columns(width, judges.length);
	const shownJudges = judges.slice(0, layout.shown);
	const edit = Math.max(MIN_EDIT, width - CURSOR - RANK - AGGREGATE - AGREE - layout.judge * shownJudges.length);
	const at = Math.max(0, candidates.findIndex(c => c.id === selected));
	const start = windowStart(candidates.length, rows, at);
	const shown = candidates.slice(start, start + rows);
	const more = candidates.length > rows ? ` ${start + 1}-${start + shown.length}/${candidates.length}` : '';
	const cell = (key: string, w: number, text: string, props: {color?: string; bold?: boolean} = {}, right = false) => (
		<Box key={key} width={w} justifyContent={right ? 'flex-end' : 'flex-start'} paddingLeft={right ? 1 : 0}>
			<Text wrap="truncate-end" {...props}>
				{text}
			</Text>
		</Box>
	);
	return (
		<Box flexDirection="column" width={width}>
			<Box width={width}>
				{cell('cursor', CURSOR, focused ? glyphs.cursor : ' ', {bold: true, color: focused ? color.accent : undefined})}
				{cell('rank', RANK, '#', {bold: true})}
				{cell('edit', edit, `Candidates${more}${candidates.length === 0 ? ' (none yet)' : ''}`, {bold: true, color: focused ? color.accent : undefined})}
				{shownJudges.map(j => cell(j, layout.judge, `${heldout.includes(j) ? '(h)' : ''}${j}`, {bold: true}, true))}
				{cell('agg', AGGREGATE, 'agg', {bold: true}, true)}
				{cell('agree', AGREE, '', {})}
			</Box>
			{shown.map(c => {
				const isSelected = c.id === selected;
				const agree = c.rank !== undefined && selection.length > 0 && selection.every(j => c.judgeRanks?.[j] === 1);
				const tint = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? undefined : r > 0 ? color.good : r < 0 ? color.bad : undefined);
				const prefix = c.blocked ? '[frozen] ' : c.failed ? '[cannot score] ' : c.dropped ? `[out r${c.dropped.rung}] ` : c.pareto ? '[pareto] ' : '';
				return (
					<Box key={c.id} width={width}>
						<Text inverse={isSelected && focused} wrap="truncate-end">
							{isSelected ? glyphs.cursor : ' '}{' '}
						</Text>
						{cell('rank', RANK, c.rank === undefined ? ` ${glyphs.dot}` : String(c.rank), {bold: c.rank === 1})}
						{cell('edit', edit, `${prefix}${c.id} ${editSummary(c.edits)}`, {bold: isSelected, color: c.blocked || c.failed || c.dropped ? color.muted : undefined})}
						{shownJudges.map(j => cell(j, layout.judge, judgeCell(c, j, layout.ranks, glyphs.ellipsis), {color: tint(c.improvement?.[j])}, true))}
						{cell('agg', AGGREGATE, c.aggregate === undefined ? '' : formatPercent(c.aggregate), {bold: true, color: tint(c.aggregate)}, true)}
						{cell('agree', AGREE, agree ? ` ${glyphs.agree}` : '', {color: color.good})}
					</Box>
				);
			})}
		</Box>
	);
});
