/**
 * The detail pane under the table: for the selected candidate, its diff against the current prompt ("-" goes,
 * "+" comes) and the generator's rationale; for the selected segment, where its text came from and its importance
 * per judge.
 */
import {Box, Text} from 'ink';
import {memo, type ReactNode} from 'react';
import type {Segment, SegmentImportance} from '../core/types.js';
import type {ScoredCandidate} from '../engine/types.js';
import {diffLines} from './diff.js';
import {formatImportance, formatPercent, oneLine} from './format.js';
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

/** Diff and rationale of a candidate, or the story of a segment. */
export const DetailPane = memo(function DetailPane({kind, candidate, segment, segments, importance, rows, width}: Props) {
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
