/**
 * Choosing the segments to edit this round: the lowest aggregated importance first (most harmful, then least
 * useful), never a frozen one. The user can override the choice.
 */
import {UserError} from '../errors.js';
import type {Segment, SegmentImportance} from './types.js';

/** How many segments to pick, and the user's own choice if any. */
export type SelectOptions = {
	/** Segments to edit (m, default 2). */
	m?: number;
	/** The user's choice of segment ids; replaces the ranking entirely (m does not apply). */
	override?: readonly string[];
};

/** One ranked segment. */
export type RankedSegment = {
	/** Segment id. */
	id: string;
	/** Its aggregated importance (NaN when the judges gave none). */
	importance: number;
	/** Position in the prompt (0-based), the tie-breaker. */
	position: number;
};

/**
 * Editable segments ordered from the best to the worst target for editing: ascending aggregated importance, ties
 * broken by position in the prompt (earlier first), segments without a finite importance last. Frozen segments and
 * segments the importances do not cover are left out.
 */
export function rankForEditing(
	segments: readonly Segment[],
	importance: Pick<SegmentImportance, 'segmentIds' | 'aggregate'>,
): RankedSegment[] {
	const score = new Map(importance.segmentIds.map((id, i) => [id, importance.aggregate[i]]));
	const ranked: RankedSegment[] = [];
	segments.forEach((segment, position) => {
		if (segment.frozen || !score.has(segment.id)) return;
		ranked.push({id: segment.id, importance: score.get(segment.id)!, position});
	});
	return ranked.sort((a, b) => {
		const fa = Number.isFinite(a.importance);
		const fb = Number.isFinite(b.importance);
		if (fa !== fb) return fa ? -1 : 1;
		return (fa && fb ? a.importance - b.importance : 0) || a.position - b.position;
	});
}

/**
 * The ids of the segments to edit, in the order they should be presented. With an override, its ids (duplicates
 * removed, order kept) after checking that each exists and is not frozen; a bad id is the user's mistake.
 */
export function selectSegments(
	segments: readonly Segment[],
	importance: Pick<SegmentImportance, 'segmentIds' | 'aggregate'>,
	options: SelectOptions = {},
): string[] {
	if (options.override !== undefined) return checkOverride(segments, options.override);
	const m = options.m ?? 2;
	if (!Number.isInteger(m) || m < 1) throw new RangeError(`m must be a positive integer, got ${m}`);
	return rankForEditing(segments, importance)
		.slice(0, m)
		.map(r => r.id);
}

function checkOverride(segments: readonly Segment[], override: readonly string[]): string[] {
	const byId = new Map(segments.map(s => [s.id, s]));
	const ids = [...new Set(override)];
	if (ids.length === 0) throw new UserError('choose at least one segment to edit', {field: 'segments'});
	for (const id of ids) {
		const segment = byId.get(id);
		if (segment === undefined) {
			const known = segments.map(s => s.id).join(', ');
			throw new UserError(`unknown segment "${id}" (the prompt has ${known})`, {field: 'segments'});
		}
		if (segment.frozen) throw new UserError(`segment ${id} is frozen and cannot be edited`, {field: 'segments'});
	}
	return ids;
}
