/**
 * The transfer alarm: the held-out judges are the check that what the selection judges like transfers to other
 * models. When, on the test split, the selection judges' loss falls over a round while a held-out judge's rises, the
 * prompt is being fitted to the selection judges: the drivers say so (screen and headless output), and an automatic
 * run can be asked to stop on it (the task's transferAlarm: stop).
 */
import type {JudgeLosses} from '../core/types.js';
import {formatChange} from './loss-change.js';

/** Changes smaller than this (nats/token) are noise, not a rise or a fall. */
const NOISE = 1e-6;

/** What rose and what fell. */
export type TransferAlarm = {
	/** The round after which it was seen. */
	round: number;
	/** Held-out judges whose test loss rose: before and after. */
	rose: Record<string, {before: number; after: number}>;
	/** The selection judges' mean test loss before and after (it fell). */
	selection: {before: number; after: number};
	/** One line for the user. */
	text: string;
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The alarm for a round whose prompt went from `before` to `after` test losses, if it rings. */
export function transferAlarm(round: number, before: JudgeLosses | undefined, after: JudgeLosses | undefined, selection: readonly string[], heldout: readonly string[]): TransferAlarm | undefined {
	if (!before || !after || heldout.length === 0) return undefined;
	const judges = selection.filter(j => Number.isFinite(before[j]) && Number.isFinite(after[j]));
	if (judges.length === 0) return undefined;
	const sel = {before: mean(judges.map(j => before[j])), after: mean(judges.map(j => after[j]))};
	if (!(sel.after < sel.before - NOISE)) return undefined;
	const rose = Object.fromEntries(
		heldout.filter(j => Number.isFinite(before[j]) && Number.isFinite(after[j]) && after[j] > before[j] + NOISE).map(j => [j, {before: before[j], after: after[j]}]),
	);
	if (Object.keys(rose).length === 0) return undefined;
	const held = Object.entries(rose).map(([j, v]) => `held-out ${j} ${v.before.toFixed(3)} -> ${v.after.toFixed(3)} (${formatChange(v.after - v.before)})`);
	const text = `transfer alarm after round ${round}: on the test split ${held.join(', ')} rose while the selection judges fell (mean ${sel.before.toFixed(3)} -> ${sel.after.toFixed(3)}, ${formatChange(sel.after - sel.before)})`;
	return {round, rose, selection: sel, text};
}
