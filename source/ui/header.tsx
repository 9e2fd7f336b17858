/**
 * The round screen's header: the task, the round, the session, then each judge's current loss (held-out judges
 * marked) and the budget used.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {BudgetReport} from '../engine/types.js';
import {formatCount, formatDuration, formatLoss} from './format.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** Task name. */
	task: string;
	/** Session id. */
	session: string;
	/** Round number, when one has started. */
	round?: number;
	/** Current loss per judge. */
	losses: Record<string, number>;
	/** Judges that decide, in order. */
	selection: readonly string[];
	/** Judges only reported. */
	heldout: readonly string[];
	/** Budget spent and its limits. */
	budget?: BudgetReport;
	/** Width in cells. */
	width: number;
};

function budgetText(budget: BudgetReport | undefined, sep: string): string {
	if (!budget) return '';
	const {spent, limits} = budget;
	const parts = [`${spent.rounds}${limits.rounds === undefined ? '' : `/${limits.rounds}`} rounds`];
	if (spent.generatorTokens > 0 || limits.generatorTokens !== undefined) {
		parts.push(`${formatCount(spent.generatorTokens)}${limits.generatorTokens === undefined ? '' : `/${formatCount(limits.generatorTokens)}`} tok`);
	}
	if (limits.judgePasses !== undefined) parts.push(`${formatCount(Math.round(spent.judgePasses))}/${formatCount(limits.judgePasses)} passes`);
	parts.push(`${formatDuration(spent.wallTimeMs)}${limits.wallTimeMs === undefined ? '' : `/${formatDuration(limits.wallTimeMs)}`}`);
	return `budget ${parts.join(sep)}`;
}

/** Task, round, losses per judge, budget. */
export const Header = memo(function Header({task, session, round, losses, selection, heldout, budget, width}: Props) {
	const {color, glyphs} = useTheme();
	const roundText = round === undefined ? 'starting' : `round ${round}${budget?.limits.rounds === undefined ? '' : `/${budget.limits.rounds}`}`;
	return (
		<Box flexDirection="column" width={width}>
			<Box>
				<Text bold color={color.accent} wrap="truncate-end">
					{['gmpo', task, roundText].join(glyphs.sep)}
				</Text>
				<Box flexGrow={1} />
				<Text color={color.muted} wrap="truncate-start">
					{' '}session {session}
				</Text>
			</Box>
			<Box>
				<Text wrap="truncate-end">
					<Text color={color.muted}>loss </Text>
					{selection.map(j => (
						<Text key={j}>
							{j} <Text bold>{losses[j] === undefined ? glyphs.ellipsis : formatLoss(losses[j])}</Text>{'  '}
						</Text>
					))}
					{heldout.map(j => (
						<Text key={j} color={color.muted}>
							{j} (held out) {losses[j] === undefined ? glyphs.ellipsis : formatLoss(losses[j])}{'  '}
						</Text>
					))}
					<Text color={color.muted}>{budgetText(budget, glyphs.sep)}</Text>
				</Text>
			</Box>
		</Box>
	);
});
