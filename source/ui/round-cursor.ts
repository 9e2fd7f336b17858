/**
 * The round screen's own state, none of it the engine's business: which pane has the keyboard, the selected
 * candidate and segment (by id, so a selection survives re-ranking), the segments marked for the next edit, and the
 * heatmap's lens.
 *
 * A selection is only kept once the user moved it, and only within its round: candidate ids start again at c1 every
 * round (and when a round starts again after an undo), so a kept "c10" would select an unrelated, worse candidate. Until the user moves, the selection follows
 * the top of the list, which is the top pick once the candidates are ranked.
 */
import type {RoundView} from '../engine/index.js';
import {keepSelection} from './scroll.js';

/** The panes that take the arrow keys. */
export type Pane = 'candidates' | 'segments';

/** Where the user is on the round screen. */
export type RoundCursor = {
	/** The pane with the keyboard. */
	pane: Pane;
	/** Selected candidate id (absent: the top of the list). */
	candidate?: string;
	/** Selected segment id (absent: the first segment chosen for editing). */
	segment?: string;
	/** Segments marked for the next edit. */
	marked: string[];
	/** "aggregate" or a judge name. */
	lens: string;
	/** The start of a round the selection and marks belong to (TuiState.epoch). */
	epoch?: number;
};

/** The cursor a round starts with: the candidates pane, nothing marked, the aggregate lens. */
export const initialCursor: RoundCursor = {pane: 'candidates', marked: [], lens: 'aggregate'};

/** Marks of a new round (one array, so memoised parts see no change). */
const NO_MARKS: string[] = [];

/** The cursor's selection and marks, dropped when they belong to an earlier round than the view's. */
function ofRound(cursor: RoundCursor, epoch: number): RoundCursor {
	if (cursor.epoch === epoch) return cursor;
	return {...cursor, candidate: undefined, segment: undefined, marked: NO_MARKS, epoch};
}

/** The cursor as shown against a view: the selection kept by id, else the top candidate and the first segment to edit. */
export function withDefaults(cursor: RoundCursor, view: RoundView | undefined, epoch: number): RoundCursor {
	const own = ofRound(cursor, epoch);
	return {
		...own,
		candidate: keepSelection((view?.candidates ?? []).map(c => c.id), own.candidate),
		segment: keepSelection((view?.segments ?? []).map(s => s.id), own.segment ?? view?.targets[0]),
	};
}

/**
 * Applies a change made against the shown cursor to the stored one: a selection the change did not move stays
 * unset, so it keeps following the top of the list (a Tab while the candidates are still being scored must not pin
 * whichever came first).
 */
export function updateCursor(stored: RoundCursor, view: RoundView | undefined, epoch: number, update: (shown: RoundCursor) => RoundCursor): RoundCursor {
	const own = ofRound(stored, epoch);
	const shown = withDefaults(own, view, epoch);
	const next = update(shown);
	return {
		...next,
		candidate: next.candidate === shown.candidate ? own.candidate : next.candidate,
		segment: next.segment === shown.segment ? own.segment : next.segment,
	};
}
