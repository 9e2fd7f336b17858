/**
 * The round screen's own state, none of it the engine's business: which pane has the keyboard, the selected
 * candidate and segment (by id, so a selection survives re-ranking), the segments marked for the next edit, and the
 * heatmap's lens.
 */
import type {RoundView} from '../engine/index.js';
import {keepSelection} from './scroll.js';

/** The panes that take the arrow keys. */
export type Pane = 'candidates' | 'segments';

/** Where the user is on the round screen. */
export type RoundCursor = {
	/** The pane with the keyboard. */
	pane: Pane;
	/** Selected candidate id. */
	candidate?: string;
	/** Selected segment id. */
	segment?: string;
	/** Segments marked for the next edit. */
	marked: string[];
	/** "aggregate" or a judge name. */
	lens: string;
};

/** The cursor a round starts with: the candidates pane, nothing marked, the aggregate lens. */
export const initialCursor: RoundCursor = {pane: 'candidates', marked: [], lens: 'aggregate'};

/** The cursor against a view: the selection kept by id, else the top candidate and the first segment to edit. */
export function withDefaults(cursor: RoundCursor, view: RoundView | undefined): RoundCursor {
	return {
		...cursor,
		candidate: keepSelection((view?.candidates ?? []).map(c => c.id), cursor.candidate),
		segment: keepSelection((view?.segments ?? []).map(s => s.id), cursor.segment ?? view?.targets[0]),
	};
}
