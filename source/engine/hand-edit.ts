/**
 * Edits by hand: new text for one segment, or a whole new prompt. A whole new prompt is segmented like the task's
 * prompt and matched against the current segments (longest common subsequence of exact texts), so the segments the
 * user left alone keep their ids, lineage and frozen flags, and only the changed text counts as the user's edit.
 */
import {applyEdits} from '../core/edits.js';
import {segmentPrompt} from '../core/segment.js';
import type {Edit, Segment, SegmentationMode} from '../core/types.js';
import {UserError} from '../errors.js';

/** A hand edit's outcome: the new segments and the edits to record. */
export type HandEdit = {
	/** The prompt's segments after the edit. */
	segments: Segment[];
	/** The edits, as far as they can be stated per segment (none for a whole-prompt edit). */
	edits: Edit[];
};

/** Where the edit happens. */
export type HandEditContext = {
	/** Round number (recorded in the lineage). */
	round: number;
	/** Next free segment id number. */
	nextId: number;
};

/** New text for one segment; an empty (or blank) text deletes it. Problems are UserErrors for the user to fix. */
export function editSegment(segments: readonly Segment[], id: string, text: string, context: HandEditContext): HandEdit {
	const segment = segments.find(s => s.id === id);
	if (!segment) throw new UserError(`unknown segment "${id}" (the prompt has ${segments.map(s => s.id).join(', ')})`, {field: 'segment'});
	if (segment.frozen) throw new UserError(`segment ${id} is frozen; unfreeze it before editing it`, {field: 'segment'});
	const edit: Edit = text.trim() === '' ? {segment: id, op: 'delete', rationale: 'edited by hand'} : {segment: id, op: 'replace', text, rationale: 'edited by hand'};
	const result = applyEdits(segments, [edit], {round: context.round, candidateId: 'user', nextId: context.nextId});
	if (!result.ok) throw new UserError(result.errors.join('; ').replace(/^edit 1: /, ''), {field: 'segment'});
	return {segments: result.segments, edits: [edit]};
}

/** A whole new prompt; segments whose text is unchanged keep their identity, frozen ones must stay unchanged. */
export function editPrompt(
	segments: readonly Segment[],
	prompt: string,
	options: HandEditContext & {mode: SegmentationMode; marker: string},
): HandEdit {
	if (prompt.trim() === '') throw new UserError('the new prompt is empty', {field: 'prompt'});
	// Text typed by hand rarely carries the markers; split it into sentences then.
	const mode = options.mode === 'markers' && !prompt.includes(options.marker) ? 'sentences' : options.mode;
	const texts = segmentPrompt(prompt, {mode, marker: options.marker}).map(s => s.text);
	const pairs = commonSubsequence(
		segments.map(s => s.text),
		texts,
	);
	const kept = new Map(pairs.map(([oldIndex, newIndex]) => [newIndex, segments[oldIndex]]));
	const keptOld = new Set(pairs.map(([oldIndex]) => oldIndex));
	const lost = segments.find((s, i) => s.frozen && !keptOld.has(i));
	if (lost) throw new UserError(`segment ${lost.id} is frozen and the new prompt changes it; unfreeze it first`, {field: 'prompt'});
	let nextId = options.nextId;
	const out = texts.map((text, i): Segment => {
		const old = kept.get(i);
		if (old) return {...old};
		return {id: `s${nextId++}`, text, origin: {kind: 'edit', round: options.round, candidateId: 'user', op: 'replace'}};
	});
	return {segments: out, edits: []};
}

/** Index pairs of a longest common subsequence of two lists of strings. */
function commonSubsequence(a: readonly string[], b: readonly string[]): [number, number][] {
	const table = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0));
	for (let i = a.length - 1; i >= 0; i--) {
		for (let j = b.length - 1; j >= 0; j--) {
			table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
		}
	}
	const pairs: [number, number][] = [];
	let i = 0;
	let j = 0;
	while (i < a.length && j < b.length) {
		if (a[i] === b[j]) pairs.push([i++, j++]);
		else if (table[i + 1][j] >= table[i][j + 1]) i++;
		else j++;
	}
	return pairs;
}
