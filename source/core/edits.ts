/**
 * Applying a generator's edits (replace, delete, insert_after) to a prompt's segments.
 *
 * Edits come from an LLM, so they are validated and rejected with a reason rather than thrown: an invalid candidate
 * is dropped, not a crash. Edits refer to the segments of the prompt they were proposed for, never to each other's
 * results, so their order only matters between inserts after the same segment (kept in edit order).
 *
 * Whitespace: the whitespace between two segments is the trailing whitespace of the first (see segment.ts). A
 * replacement keeps the original's leading and trailing whitespace unless the new text brings its own; an inserted
 * segment takes over its anchor's trailing whitespace and an anchor without any gets a separator, so "A. B." with a
 * sentence inserted after "A." becomes "A. X. B.", and after "B." becomes "A. B. X.". The prompt keeps its leading
 * and trailing whitespace. Frozen segments are never changed, not even their whitespace.
 */
import type {Edit, EditOrigin, Segment} from './types.js';
import {nextSegmentNumber, segmentId} from './segment.js';

/** Where the edits come from, and the session's id counter. */
export type EditContext = {
	/** Round the candidate belongs to (recorded in the new segments' lineage). */
	round: number;
	/** Candidate carrying the edits (recorded in the lineage). */
	candidateId: string;
	/**
	 * Number of the next free segment id; ids stay unique across the session when the returned one is kept (raised to
	 * one past the largest id in the segments if lower).
	 */
	nextId: number;
	/**
	 * Separator put between an inserted segment and an anchor that has no trailing whitespace (the end of the
	 * prompt, or marker-split text). Default: the nearest trailing whitespace of an earlier segment, else " ".
	 */
	separator?: string;
};

/** The outcome of applying edits: the new segments and the advanced id counter, or why the edits are invalid. */
export type EditResult =
	| {
			/** The edits were valid. */
			ok: true;
			/** The new prompt's segments. */
			segments: Segment[];
			/** The next free id number after the inserted segments took theirs. */
			nextId: number;
	  }
	| {
			/** The edits were rejected. */
			ok: false;
			/** One message per problem, naming the edit (1-based) and the segment. */
			errors: string[];
	  };

const OPS = new Set(['replace', 'delete', 'insert_after']);

/** Problems with a set of edits for these segments; empty when they can be applied. */
export function validateEdits(segments: readonly Segment[], edits: readonly Edit[]): string[] {
	const errors: string[] = [];
	const byId = new Map(segments.map(s => [s.id, s]));
	const claimedBy = new Map<string, number>();
	const deleted = new Set<string>();
	let inserts = 0;
	if (edits.length === 0) errors.push('no edits');
	edits.forEach((edit, index) => {
		const where = `edit ${index + 1}`;
		const segment = byId.get(edit.segment);
		if (!OPS.has(edit.op)) {
			errors.push(`${where}: unknown op "${String(edit.op)}" (expected replace, delete or insert_after)`);
			return;
		}
		if (segment === undefined) {
			errors.push(`${where}: unknown segment "${String(edit.segment)}"`);
			return;
		}
		if (edit.op === 'insert_after') {
			if (typeof edit.text !== 'string' || edit.text.trim() === '') {
				errors.push(`${where}: the text to insert after ${segment.id} is empty`);
			}
			inserts++;
			return;
		}
		if (segment.frozen) {
			errors.push(`${where}: segment ${segment.id} is frozen`);
			return;
		}
		const earlier = claimedBy.get(segment.id);
		if (earlier !== undefined) {
			errors.push(`${where}: segment ${segment.id} is already changed by edit ${earlier}`);
			return;
		}
		claimedBy.set(segment.id, index + 1);
		if (edit.op === 'delete') {
			deleted.add(segment.id);
		} else if (typeof edit.text !== 'string' || edit.text.trim() === '') {
			errors.push(`${where}: the replacement text for ${segment.id} is empty`);
		} else if (edit.text.trim() === segment.text.trim()) {
			errors.push(`${where}: the replacement text for ${segment.id} is the same as the segment`);
		}
	});
	if (segments.length > 0 && deleted.size === segments.length && inserts === 0) {
		errors.push(`deleting ${[...deleted].join(', ')} would leave the prompt empty`);
	}
	return errors;
}

/** Apply edits to segments: a new segment list (inputs are not mutated), or the reasons the edits are invalid. */
export function applyEdits(segments: readonly Segment[], edits: readonly Edit[], context: EditContext): EditResult {
	const errors = validateEdits(segments, edits);
	if (errors.length > 0) return {ok: false, errors};
	// A stale counter must not reuse an id still in the prompt.
	let nextId = Math.max(context.nextId, nextSegmentNumber(segments));
	const origin = (op: EditOrigin['op']): EditOrigin => ({
		kind: 'edit',
		round: context.round,
		candidateId: context.candidateId,
		op,
	});
	const change = new Map<string, Edit>();
	const inserts = new Map<string, Edit[]>();
	for (const edit of edits) {
		if (edit.op === 'insert_after') inserts.set(edit.segment, [...(inserts.get(edit.segment) ?? []), edit]);
		else change.set(edit.segment, edit);
	}

	const out: Segment[] = [];
	for (const segment of segments) {
		const edit = change.get(segment.id);
		// The segment now occupying this slot; undefined while the slot is empty (a delete).
		let slot: Segment | undefined;
		if (edit === undefined) slot = {...segment};
		else if (edit.op === 'replace') {
			slot = {...segment, text: fitWhitespace(edit.text!, segment.text), origin: origin('replace')};
		}
		if (slot) out.push(slot);
		for (const insert of inserts.get(segment.id) ?? []) {
			const fresh: Segment = {id: segmentId(nextId++), text: '', origin: origin('insert_after')};
			if (slot === undefined) {
				// Inserting after a deleted segment fills its place, whitespace included.
				fresh.text = fitWhitespace(insert.text!, segment.text);
			} else {
				fresh.text = insertAfter(slot, insert.text!, context.separator ?? separatorBefore(out, segments));
			}
			out.push(fresh);
			slot = fresh;
		}
	}
	fixEnds(out, segments);
	return {ok: true, segments: out, nextId};
}

/** Split text into leading whitespace, core and trailing whitespace. */
function parts(text: string): {lead: string; core: string; trail: string} {
	const lead = /^\s*/u.exec(text)![0];
	const rest = text.slice(lead.length);
	const trail = /\s*$/u.exec(rest)![0];
	return {lead, core: rest.slice(0, rest.length - trail.length), trail};
}

/** New text in the place of old: the old leading/trailing whitespace unless the new text brings its own. */
function fitWhitespace(text: string, old: string): string {
	const n = parts(text);
	const o = parts(old);
	return (n.lead || o.lead) + n.core + (n.trail || o.trail);
}

/**
 * The inserted text, placed after `anchor` (mutated when it needs a separator). The inserted segment takes over the
 * anchor's trailing whitespace, so what followed the anchor still follows the same whitespace.
 */
function insertAfter(anchor: Segment, text: string, separator: string): string {
	const n = parts(text);
	const a = parts(anchor.text);
	let lead = n.lead;
	if (a.trail === '' && lead === '') {
		// The anchor ends without whitespace: separate, on the anchor's side unless it is frozen.
		if (anchor.frozen) lead = separator;
		else anchor.text += separator;
	}
	return lead + n.core + (n.trail || a.trail || separator);
}

/** Whitespace to put between an anchor and an inserted segment: borrowed from the prompt when possible. */
function separatorBefore(out: readonly Segment[], original: readonly Segment[]): string {
	for (const list of [out, original]) {
		for (let i = list.length - 1; i >= 0; i--) {
			const trail = parts(list[i].text).trail;
			if (trail !== '') return trail;
		}
	}
	return ' ';
}

/**
 * The prompt keeps its leading and trailing whitespace when its first or last segment changed place (deleted, or
 * followed by an insert): the new first segment gets the old leading whitespace, the new last one the old ending.
 */
function fixEnds(out: Segment[], original: readonly Segment[]): void {
	if (out.length === 0 || original.length === 0) return;
	const first = out[0];
	const lead = parts(original[0].text).lead;
	if (first.id !== original[0].id && !first.frozen && lead !== '' && parts(first.text).lead === '') {
		first.text = lead + first.text;
	}
	const last = out[out.length - 1];
	const ending = original[original.length - 1];
	if (last.id !== ending.id && !last.frozen) {
		const p = parts(last.text);
		last.text = p.lead + p.core + parts(ending.text).trail;
	}
}
