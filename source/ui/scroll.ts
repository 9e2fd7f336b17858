/**
 * Keyboard navigation over lists: moving a selection by id (so it follows an item when the list is re-sorted, as
 * candidates are once ranked) and the window of rows that keeps the selection in view.
 */

/** The id `delta` rows away from `current` (clamped); the first id when `current` is not in the list. */
export function moveSelection(ids: readonly string[], current: string | undefined, delta: number): string | undefined {
	if (ids.length === 0) return undefined;
	const at = current === undefined ? -1 : ids.indexOf(current);
	if (at < 0) return ids[0];
	return ids[Math.max(0, Math.min(ids.length - 1, at + delta))];
}

/** The selection if it is still in the list, else the first id. */
export function keepSelection(ids: readonly string[], current: string | undefined): string | undefined {
	return current !== undefined && ids.includes(current) ? current : ids[0];
}

/** The first row to show so that row `selected` is visible in a window of `height` rows over `count` rows. */
export function windowStart(count: number, height: number, selected: number): number {
	if (count <= height || height <= 0) return 0;
	const centred = selected - Math.floor(height / 2);
	return Math.max(0, Math.min(count - height, centred));
}
