/**
 * The detail pane under the table: for the selected candidate, its diff against the current prompt ("-" goes,
 * "+" comes) and the generator's rationale (where racing dropped it; its objective losses, whether it is on the Pareto
 * front and the round's hypervolume); for the selected segment, where its text came from and its importance per judge
 * (per objective, and the objectives' conflict matrix as cosines).
 */
import {Box, Text} from 'ink';
import {memo, type ReactNode} from 'react';
import type {Segment, SegmentImportance} from '../core/types.js';
import type {ObjectiveReport, ScoredCandidate} from '../engine/types.js';
import {diffLines} from './diff.js';
import {formatImportance, formatLoss, formatPercent, oneLine} from './format.js';
import {scaleOf} from './heat.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** What the pane is about: the selected candidate, or the selected segment. */
	kind: 'candidate' | 'segment';
	/** The selected candidate. */
	candidate?: ScoredCandidate;
	/** The selected segment. */
	segment?: Segment;
	/** The current prompt's segments. */
	segments: readonly Segment[];
	/** Attribution, once done. */
	importance?: SegmentImportance;
	/** Per-objective attribution and the conflict matrix (multi-objective tasks). */
	objectives?: ObjectiveReport;
	/** Hypervolume of the candidates' objective losses (multi-objective tasks). */
	hypervolume?: number;
	/** Lines available. */
	rows: number;
	/** Width in cells. */
	width: number;
};

function origin(segment: Segment): string {
	const o = segment.origin;
	if (!o || o.kind === 'initial') return 'from the initial prompt';
	return o.candidateId === 'user' ? `edited by hand in round ${o.round}` : `from round ${o.round}, candidate ${o.candidateId} (${o.op === 'replace' ? 'replace' : 'insert'})`;
}

/** The conflict matrix as its pairs: "a/b -0.82", negative = the objectives pull the segments apart. */
function conflictLine(objectives: ObjectiveReport, sep: string): string {
	const pairs: string[] = [];
	objectives.names.forEach((a, i) =>
		objectives.names.slice(i + 1).forEach((b, d) => {
			const cos = objectives.conflict[i]?.[i + 1 + d];
			pairs.push(`${a}/${b} ${cos === undefined || !Number.isFinite(cos) ? 'n/a' : (cos >= 0 ? '+' : '') + cos.toFixed(2)}`);
		}),
	);
	return pairs.join(sep);
}

/** Diff and rationale of a candidate, or the story of a segment. */
export const DetailPane = memo(function DetailPane({kind, candidate, segment, segments, importance, objectives, hypervolume, rows, width}: Props) {
	const {color, glyphs} = useTheme();
	if (rows <= 0) return null;
	const lines: {key: string; node: ReactNode; wrap?: boolean}[] = [];
	if (kind === 'candidate') {
		const c = candidate;
		if (!c) {
			lines.push({key: 'none', node: <Text color={color.muted}>no candidate selected</Text>});
		} else {
			const score = c.aggregate === undefined ? 'not ranked yet' : `rank ${c.rank}${glyphs.sep}aggregate ${formatPercent(c.aggregate)}`;
			lines.push({key: 'title', node: <Text bold>{[c.id, c.source, score, ...(c.failed ? [`cannot be scored: ${c.failed}`] : []), ...(c.blocked ? ['edits a frozen segment'] : [])].join(glyphs.sep)}</Text>});
			if (c.dropped) {
				const d = c.dropped;
				lines.push({key: 'raced', node: <Text color={color.muted}>dropped by racing at rung {d.rung} ({d.examples} example{d.examples === 1 ? '' : 's'}, aggregate {formatPercent(d.aggregate)})</Text>});
			}
			if (c.objectiveLosses) {
				const per = Object.entries(c.objectiveLosses).map(([o, l]) => `${o} ${formatLoss(l)}`).join(glyphs.sep);
				const front = c.pareto ? `${glyphs.sep}Pareto front` : '';
				const hv = hypervolume === undefined ? '' : `${glyphs.sep}hypervolume ${formatLoss(hypervolume)}`;
				lines.push({key: 'objectives', node: <Text color={color.muted}>objectives: {per}{front}{hv}</Text>});
			}
			diffLines(segments, c.edits).forEach((d, i) =>
				lines.push({
					key: `d${i}`,
					node: (
						<Text color={d.sign === '+' ? color.good : color.bad}>
							{d.sign} {d.segment.padEnd(4)} {d.text || '(empty)'}
						</Text>
					),
				}),
			);
			const why = [...new Set(c.edits.map(e => e.rationale).filter((r): r is string => Boolean(r)))];
			if (why.length > 0) lines.push({key: 'why', node: <Text color={color.muted}>why: {oneLine(why.join(' '))}</Text>});
		}
	} else {
		const s = segment;
		if (!s) {
			lines.push({key: 'none', node: <Text color={color.muted}>no segment selected</Text>});
		} else {
			const at = importance?.segmentIds.indexOf(s.id) ?? -1;
			const per = at < 0 || !importance ? '' : Object.entries(importance.perJudge).map(([j, v]) => `${j} ${formatImportance(v[at], scaleOf(v))}`).join(glyphs.sep);
			lines.push({key: 'title', node: <Text bold>{s.id}{s.frozen ? ` ${glyphs.frozen} frozen` : ''}{glyphs.sep}{origin(s)}</Text>});
			if (per) lines.push({key: 'per', node: <Text color={color.muted}>importance by judge: {per}</Text>});
			if (objectives && at >= 0) {
				const byObjective = objectives.names.map(o => `${o} ${formatImportance(objectives.vectors[o]![at]!, scaleOf(objectives.vectors[o]!))}`).join(glyphs.sep);
				lines.push({key: 'objectives', node: <Text color={color.muted}>importance by objective ({objectives.mode}): {byObjective}</Text>});
				lines.push({key: 'conflict', node: <Text color={color.muted}>conflict (cosine): {conflictLine(objectives, glyphs.sep)}</Text>});
			}
			lines.push({key: 'text', node: <Text>{oneLine(s.text)}</Text>, wrap: true});
		}
	}
	return (
		<Box flexDirection="column" width={width} height={rows} overflow="hidden">
			<Text color={color.muted} wrap="truncate-end">
				{glyphs.rule.repeat(width)}
			</Text>
			{lines.slice(0, rows - 1).map(l => (
				<Box key={l.key} width={width}>
					<Text wrap={l.wrap ? 'wrap' : 'truncate-end'}>{l.node}</Text>
				</Box>
			))}
		</Box>
	);
});
