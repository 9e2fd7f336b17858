/**
 * How the round screen's lines are shared out at a given terminal height: a fixed header, status line and footer,
 * then the heatmap, the candidates table and the detail pane share the rest. One line is left unused at the bottom:
 * Ink redraws the whole terminal, flickering, once a frame is as tall as the terminal.
 */

/** Lines for each part of the round screen (content rows, titles excluded). */
export type RoundLayout = {
	/** Heatmap rows. */
	segments: number;
	/** Candidate rows. */
	candidates: number;
	/** Detail pane lines (0 hides it). */
	detail: number;
};

/** Header (2), status (1), footer (1), the heatmap title (1) and the table heading (1), when they take a line each. */
export const FIXED = 6;

/** The usable height of a terminal of `rows` lines. */
export function usableRows(rows: number): number {
	return Math.max(8, rows - 1);
}

/** Shares out the lines of a terminal of `rows` lines; `fixed`: the lines of header, status, footer and titles. */
export function roundLayout(rows: number, segmentCount: number, candidateCount: number, fixed = FIXED): RoundLayout {
	const budget = Math.max(4, usableRows(rows) - fixed);
	// Below 12 spare lines the detail pane goes: the table and the heatmap matter more on a tiny terminal.
	const detail = budget < 12 ? 0 : Math.min(8, Math.max(3, Math.floor(budget / 4)));
	const rest = budget - detail;
	const wantSegments = Math.max(1, segmentCount);
	const wantCandidates = Math.max(1, candidateCount);
	let segments = Math.min(wantSegments, Math.max(2, Math.round(rest / 2)));
	const candidates = Math.max(1, Math.min(wantCandidates, rest - segments));
	// Spare lines go to the heatmap first, then to the detail pane.
	segments = Math.min(wantSegments, rest - candidates);
	return {segments, candidates, detail: detail + Math.max(0, rest - segments - candidates)};
}
