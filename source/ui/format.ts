/**
 * Numbers as the screens print them: losses, signed relative changes, durations, counts. Every signed value keeps
 * its sign ("+0.4%", "-1.2%"), so direction never depends on colour.
 */

/** A loss, 3 decimals; "?" when unknown. */
export function formatLoss(x: number | undefined): string {
	return x === undefined || !Number.isFinite(x) ? '?' : x.toFixed(3);
}

/** A signed number with a fixed number of decimals ("+0.12", "-0.40"); "?" when unknown. */
export function formatSigned(x: number | undefined, digits = 2): string {
	if (x === undefined || !Number.isFinite(x)) return '?';
	const s = Math.abs(x).toFixed(digits);
	return `${x < 0 && Number(s) !== 0 ? '-' : '+'}${s}`;
}

/** A relative change as a signed percentage ("+0.5%"); "?" when unknown. */
export function formatPercent(r: number | undefined): string {
	if (r === undefined || !Number.isFinite(r)) return '?';
	const p = 100 * r;
	return `${formatSigned(p, Math.abs(p) >= 99.95 ? 0 : 1)}%`;
}

/** A duration: "45s", "3m05s", "2h07m"; "<1s" for less than a second. */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return '?';
	const s = Math.round(ms / 1000);
	if (s < 1) return '<1s';
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
	return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A count with a k/M suffix ("950", "12.3k", "4.1M"). */
export function formatCount(n: number): string {
	if (n < 1000) return String(n);
	if (n < 1e6) return `${(n / 1000).toFixed(n < 1e4 ? 1 : 0)}k`;
	return `${(n / 1e6).toFixed(1)}M`;
}

/** Time left from the time spent and the share done; undefined until something is done. */
export function timeLeft(elapsedMs: number, done: number, total: number): number | undefined {
	if (done <= 0 || total <= 0 || done > total) return undefined;
	return (elapsedMs / done) * (total - done);
}

/** One line of text: newlines and tabs become spaces (a segment may hold several lines). */
export function oneLine(text: string): string {
	return text.replace(/\s+/g, ' ').trim();
}

/** An importance with enough digits for the scale in view ("+0.42", "-0.0031", "+2.1e-5"); "?" when unknown. */
export function formatImportance(x: number | undefined, scale: number): string {
	if (x === undefined || !Number.isFinite(x)) return '?';
	if (scale >= 0.1 || scale === 0) return formatSigned(x, 2);
	if (scale >= 0.001) return formatSigned(x, 4);
	return `${x < 0 ? '-' : '+'}${Math.abs(x).toExponential(1)}`;
}
