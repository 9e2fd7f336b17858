/**
 * How an importance is drawn in the heatmap: its sign ("+" helps, "-" hurts) repeated 1 to 3 times by magnitude
 * relative to the largest magnitude in view, "·" (or ".") when it is too small to matter. The glyphs alone carry
 * the meaning; colour only repeats it.
 */
import type {SegmentImportance} from '../core/types.js';
import {importanceEffect} from '../engine/importance-level.js';

/** Levels of intensity: 0 = negligible, 3 = the strongest in view. */
export type HeatLevel = 0 | 1 | 2 | 3;

/** A segment's heat. */
export type Heat = {
	/** 1 helps, -1 hurts, 0 negligible or unknown. */
	sign: -1 | 0 | 1;
	/** Intensity. */
	level: HeatLevel;
};

/** Below this share of the largest magnitude a segment counts as negligible. */
const NEGLIGIBLE = 0.05;

/** The heat of a value given the largest magnitude in view. */
export function heatOf(value: number | undefined, scale: number): Heat {
	if (value === undefined || !Number.isFinite(value) || !(scale > 0) || Math.abs(value) < NEGLIGIBLE * scale) return {sign: 0, level: 0};
	const level = Math.min(3, Math.max(1, Math.ceil((3 * Math.abs(value)) / scale))) as HeatLevel;
	return {sign: value > 0 ? 1 : -1, level};
}

/** The glyphs of a heat, 3 cells wide ("+++", "-  ", " · "). */
export function heatGlyphs(heat: Heat, negligible: string): string {
	if (heat.sign === 0) return ` ${negligible} `;
	return (heat.sign > 0 ? '+' : '-').repeat(heat.level).padEnd(3);
}

/** The lenses of the heatmap: the aggregate first, then each judge. */
export function lenses(importance: SegmentImportance | undefined): string[] {
	return ['aggregate', ...Object.keys(importance?.perJudge ?? {})];
}

/** The importances through a lens, by segment id. */
export function lensValues(importance: SegmentImportance | undefined, lens: string): Map<string, number> {
	if (!importance) return new Map();
	const values = lens === 'aggregate' ? importance.aggregate : (importance.perJudge[lens] ?? importance.aggregate);
	return new Map(importance.segmentIds.map((id, i) => [id, values[i]]));
}

/** The largest magnitude among finite values (0 when none). */
export function scaleOf(values: Iterable<number>): number {
	let scale = 0;
	for (const v of values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
	return scale;
}

/** Judge agreement in one phrase: Kendall tau for two judges, the mean and the lowest pair beyond. */
export function agreementText(importance: SegmentImportance | undefined): string | undefined {
	const pairs = importance?.agreement ?? [];
	if (pairs.length === 0) return undefined;
	if (pairs.length === 1) return `agreement tau ${pairs[0].tau.toFixed(2)}`;
	const mean = pairs.reduce((s, p) => s + p.tau, 0) / pairs.length;
	const low = pairs.reduce((a, b) => (b.tau < a.tau ? b : a));
	return `agreement tau mean ${mean.toFixed(2)}, lowest ${low.a}/${low.b} ${low.tau.toFixed(2)}`;
}
