/**
 * When a segment's importance counts as helping, hurting or negligible: one threshold for every place that says so
 * (the TUI's heatmap, `gmpo attribute`). An importance is negligible below a share of the largest magnitude among
 * the segments compared, so the verdict does not depend on the judge's loss scale.
 */

/** Below this share of the largest magnitude in view a segment's importance is negligible. */
export const NEGLIGIBLE_SHARE = 0.05;

/** 1 helps, -1 hurts, 0 negligible (or unknown), given the largest magnitude among the segments compared. */
export function importanceEffect(value: number | undefined, scale: number): -1 | 0 | 1 {
	if (value === undefined || !Number.isFinite(value) || !(scale > 0) || Math.abs(value) < NEGLIGIBLE_SHARE * scale) return 0;
	return value > 0 ? 1 : -1;
}

/** The verdict in words: "helps", "hurts" or "negligible". */
export function importanceWord(value: number | undefined, scale: number): 'helps' | 'hurts' | 'negligible' {
	const effect = importanceEffect(value, scale);
	return effect > 0 ? 'helps' : effect < 0 ? 'hurts' : 'negligible';
}
