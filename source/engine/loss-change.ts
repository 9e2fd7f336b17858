/**
 * How a change in loss is reported, the same way on the screen and in headless output. A change is the candidate's
 * loss minus the current prompt's, in nats per token (every judge's loss is a mean token cross-entropy): negative
 * means a lower loss, better. A percentage is given beside it only where the current loss is well away from zero:
 * near zero a ratio explodes (0.002 to 0.001 is "-50%") or flips sign (an r-weighted loss can be negative), and
 * says nothing a user can act on.
 */

/** |L(P)| below this many nats/token gets no percentage. */
export const PERCENT_MIN_LOSS = 0.1;

/** The change in percent of the current loss, or undefined where the current loss is too close to zero. */
export function relativeChange(current: number | undefined, change: number | undefined): number | undefined {
	if (current === undefined || change === undefined || !Number.isFinite(current) || !Number.isFinite(change)) return undefined;
	return Math.abs(current) < PERCENT_MIN_LOSS ? undefined : change / Math.abs(current);
}

/** A signed number of nats/token with enough digits to see small changes ("-0.0123", "+0.200"); "?" when unknown. */
export function formatChange(x: number | undefined): string {
	if (x === undefined || !Number.isFinite(x)) return '?';
	const digits = Math.abs(x) >= 0.1 ? 3 : 4;
	const s = Math.abs(x).toFixed(digits);
	return `${x < 0 && Number(s) !== 0 ? '-' : '+'}${s}`;
}

/** A signed percentage ("-2.1%"); "" when there is none. */
export function formatRelative(r: number | undefined): string {
	if (r === undefined || !Number.isFinite(r)) return '';
	const p = 100 * r;
	const s = Math.abs(p).toFixed(Math.abs(p) >= 99.95 ? 0 : 1);
	return `${p < 0 && Number(s) !== 0 ? '-' : '+'}${s}%`;
}

/** A change with its percentage where there is one: "-0.0123 (-2.1%)", "+0.0390". */
export function describeChange(change: number | undefined, relative: number | undefined): string {
	const pct = formatRelative(relative);
	return pct ? `${formatChange(change)} (${pct})` : formatChange(change);
}
