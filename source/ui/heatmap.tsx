/**
 * The prompt as a segment heatmap: one row per segment with its signed importance through the chosen lens (the
 * aggregate or one judge), drawn as "+++" (helps most) to "---" (hurts most), the value itself, and markers for the
 * segments chosen for editing (✎/E), frozen (❄/#) and marked for the next edit (●/*). The title names the lens and
 * the judges' agreement.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {Segment, SegmentImportance} from '../core/types.js';
import {formatImportance, oneLine} from './format.js';
import type {Chunk} from './flow.js';
import {heatGlyphs, heatOf, lensValues, scaleOf} from './heat.js';
import type {TitleStyle} from './round-frame.js';
import {windowStart} from './scroll.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The current prompt's segments. */
	segments: readonly Segment[];
	/** Attribution, once done. */
	importance?: SegmentImportance;
	/** Segments chosen for editing. */
	targets: readonly string[];
	/** Segments marked by the user for the next edit. */
	marked: readonly string[];
	/** "aggregate" or a judge name. */
	lens: string;
	/** Selected segment id. */
	selected?: string;
	/** Whether the heatmap has the keyboard. */
	focused: boolean;
	/** Rows for segments. */
	rows: number;
	/** Width in cells. */
	width: number;
	/** The title's lines (heatTitle). */
	title: Chunk<TitleStyle>[][];
};

/** The segment heatmap. */
export const Heatmap = memo(function Heatmap({segments, importance, targets, marked, lens, selected, focused, rows, width, title}: Props) {
	const {glyphs, color} = useTheme();
	const values = lensValues(importance, lens);
	const scale = scaleOf(values.values());
	const at = Math.max(0, segments.findIndex(s => s.id === selected));
	const start = windowStart(segments.length, rows, at);
	const shown = segments.slice(start, start + rows);
	return (
		<Box flexDirection="column" width={width}>
			{title.map((line, i) => (
				<Text key={i} wrap="truncate-end">
					{line.map((chunk, k) =>
						chunk.style === 'heading' ? (
							<Text key={k} bold color={focused ? color.accent : undefined}>
								{chunk.text}
							</Text>
						) : (
							<Text key={k} color={color.muted}>
								{chunk.text}
							</Text>
						),
					)}
				</Text>
			))}
			{shown.map(segment => {
				const value = values.get(segment.id);
				const heat = heatOf(value, scale);
				const tint = heat.sign > 0 ? color.good : heat.sign < 0 ? color.bad : color.muted;
				const isSelected = segment.id === selected;
				const flags = `${targets.includes(segment.id) ? glyphs.target : ' '}${segment.frozen ? glyphs.frozen : ' '}${marked.includes(segment.id) ? glyphs.marked : ' '}`;
				return (
					<Text key={segment.id} wrap="truncate-end" inverse={isSelected && focused}>
						<Text bold={isSelected}>{isSelected ? glyphs.cursor : ' '} </Text>
						<Text color={color.muted}>{segment.id.padEnd(4)}</Text>
						<Text>{flags} </Text>
						<Text color={tint} bold={heat.level === 3}>
							{heatGlyphs(heat, glyphs.dot)}{' '}
							{formatImportance(value, scale).padStart(7)}
						</Text>
						<Text dimColor={segment.frozen}> {oneLine(segment.text)}</Text>
					</Text>
				);
			})}
		</Box>
	);
});
