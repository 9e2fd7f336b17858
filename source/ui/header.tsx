/**
 * The round screen's header: the task, the round and the session; then the headline, each judge's test-split loss
 * of the current prompt with its change since round 0 (held-out judges marked "(h)": reported, never used to choose),
 * or the batch loss when the test split is not measured each round; then the budget. The facts flow onto as many
 * lines as the width needs: nothing is cut.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {BudgetReport} from '../engine/types.js';
import {formatChange} from '../engine/loss-change.js';
import type {TransferAlarm} from '../engine/transfer.js';
import {flowChunks, type Chunk} from './flow.js';
import {formatCount, formatDuration, formatLoss} from './format.js';
import type {Glyphs, Palette} from './theme.js';
import {useTheme} from './use-theme.js';
import {cellWidth} from './wrap.js';

/** How a piece of the header is drawn. */
export type HeaderStyle = {color?: keyof Palette; bold?: boolean};

/** What the header shows. */
export type HeaderInput = {
	/** Task name. */
	task: string;
	/** Session id. */
	session: string;
	/** Round number, when one has started. */
	round?: number;
	/** Batch loss of the current prompt per judge. */
	losses: Record<string, number>;
	/** Test-split loss of the current prompt per judge, when measured. */
	test?: Record<string, number>;
	/** Test-split loss of the initial prompt (round 0), when measured. */
	testInitial?: Record<string, number>;
	/** Judges that decide, in order. */
	selection: readonly string[];
	/** Judges only reported. */
	heldout: readonly string[];
	/** Budget spent and its limits. */
	budget?: BudgetReport;
	/** Shown before the first candidates (each judge's context length). */
	starting?: string;
	/** The transfer alarm of the round before, when it rang. */
	alarm?: TransferAlarm;
};

function budgetText(budget: BudgetReport | undefined, sep: string): string | undefined {
	if (!budget) return undefined;
	const {spent, limits} = budget;
	const parts = [`${spent.rounds}${limits.rounds === undefined ? '' : `/${limits.rounds}`} rounds`];
	if (spent.generatorTokens > 0 || limits.generatorTokens !== undefined) {
		parts.push(`${formatCount(spent.generatorTokens)}${limits.generatorTokens === undefined ? '' : `/${formatCount(limits.generatorTokens)}`} tok`);
	}
	if (limits.judgePasses !== undefined) parts.push(`${formatCount(Math.round(spent.judgePasses))}/${formatCount(limits.judgePasses)} passes`);
	parts.push(`${formatDuration(spent.wallTimeMs)}${limits.wallTimeMs === undefined ? '' : `/${formatDuration(limits.wallTimeMs)}`}`);
	return `budget ${parts.join(sep)}`;
}

/** The header's lines at `width` cells. */
export function headerLines(input: HeaderInput, width: number, glyphs: Glyphs): Chunk<HeaderStyle>[][] {
	const roundText = input.round === undefined ? 'starting' : `round ${input.round}${input.budget?.limits.rounds === undefined ? '' : `/${input.budget.limits.rounds}`}`;
	const title: Chunk<HeaderStyle> = {text: ['gmpo', input.task, roundText].join(glyphs.sep), style: {color: 'accent', bold: true}};
	const session: Chunk<HeaderStyle> = {text: `session ${input.session}`, style: {color: 'muted'}};
	const lines: Chunk<HeaderStyle>[][] = [];
	const titleWidth = cellWidth(title.text) + 1 + cellWidth(session.text);
	// The session id goes to the right of the title when both fit, else on a line of its own.
	if (titleWidth <= width) lines.push([title, {text: ' '.repeat(width - titleWidth + 1), style: {}}, session]);
	else lines.push(...flowChunks([title, session], width, 1));
	const test = input.test;
	const losses = test ?? input.losses;
	const chunks: Chunk<HeaderStyle>[] = [{text: test ? 'test loss' : 'batch loss', style: {color: 'muted'}}];
	let since = false;
	for (const j of [...input.selection, ...input.heldout]) {
		const held = input.heldout.includes(j);
		const value = losses[j];
		const start = test ? input.testInitial?.[j] : undefined;
		const change = value !== undefined && start !== undefined && input.round !== undefined && input.round > 1 ? ` (${formatChange(value - start)})` : '';
		since ||= change !== '';
		chunks.push({text: `${held ? '(h) ' : ''}${j} ${value === undefined ? glyphs.ellipsis : formatLoss(value)}${change}`, style: held ? {color: 'muted'} : {bold: true}});
	}
	if (since) chunks.push({text: '(change since round 0)', style: {color: 'muted'}});
	if (input.heldout.length > 0) chunks.push({text: '(h) held out: never chooses', style: {color: 'muted'}});
	if (input.alarm) {
		const rose = Object.entries(input.alarm.rose).map(([j, v]) => `(h) ${j} ${formatChange(v.after - v.before)}`);
		chunks.push({text: `! transfer alarm (round ${input.alarm.round}): ${rose.join(', ')} while the selection judges fell ${formatChange(input.alarm.selection.after - input.alarm.selection.before)}`, style: {color: 'warn', bold: true}});
	}
	else if (!test && input.round !== undefined) chunks.push({text: "(this round's batch)", style: {color: 'muted'}});
	const budget = budgetText(input.budget, glyphs.sep);
	if (budget) chunks.push({text: budget, style: {color: 'muted'}});
	if (input.starting) chunks.push({text: input.starting, style: {color: 'muted'}});
	lines.push(...flowChunks(chunks, width));
	return lines;
}

type Props = {
	/** The lines (headerLines). */
	lines: Chunk<HeaderStyle>[][];
	/** Width in cells. */
	width: number;
};

/** Task, round, session; losses per judge; budget. */
export const Header = memo(function Header({lines, width}: Props) {
	const {color} = useTheme();
	return (
		<Box flexDirection="column" width={width}>
			{lines.map((line, i) => (
				<Text key={i} wrap="truncate-end">
					{line.map((chunk, k) => (
						<Text key={k} color={chunk.style.color ? color[chunk.style.color] : undefined} bold={chunk.style.bold}>
							{chunk.text}
						</Text>
					))}
				</Text>
			))}
		</Box>
	);
});
