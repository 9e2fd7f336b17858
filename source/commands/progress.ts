/**
 * Headless progress on stderr: on a terminal, one bar redrawn in place plus a line per finished round; otherwise
 * plain lines, one per step, so logs and CI output stay readable. Lines about decisions are written after the
 * decision is saved, so a line seen is a decision kept. Errors are not reported here: headless, an error ends the
 * run and is shown once, as the command's error line.
 */
import type {EngineEvent} from '../engine/types.js';
import type {Output} from './types.js';

const BAR = 24;

function pct(x: number | undefined): string {
	return x === undefined || !Number.isFinite(x) ? '?' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
}

function losses(before: Record<string, number> | undefined, after: Record<string, number> | undefined): string {
	if (!after) return '';
	return Object.entries(after)
		.map(([j, v]) => `${j} ${before?.[j] !== undefined ? `${before[j].toFixed(3)} -> ` : ''}${v.toFixed(3)}`)
		.join(', ');
}

/** A listener that reports engine events on `out`. `rounds` is the session's round budget, when known. */
export function progressReporter(out: Output, rounds: number | undefined): {listener: (event: EngineEvent) => void; done(): void} {
	const tty = out.isTTY === true;
	let drawn = false;
	let round = 0;
	let before: Record<string, number> | undefined;
	let best: {id: string; aggregate?: number} | undefined;
	const of = () => (rounds ? `${round}/${rounds}` : String(round));
	const clear = () => {
		if (drawn) out.write('\r\u001B[2K');
		drawn = false;
	};
	const line = (text: string) => {
		clear();
		out.write(`${text}\n`);
	};
	const bar = (label: string, done: number, total: number) => {
		if (!tty) return;
		const filled = total > 0 ? Math.round((BAR * done) / total) : 0;
		out.write(`\r\u001B[2Kround ${of()} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${label} ${done}/${total}`);
		drawn = true;
	};
	const listener = (event: EngineEvent) => {
		switch (event.type) {
			case 'round-started':
				round = event.round;
				before = undefined;
				if (!tty) line(`round ${of()}: started (${event.batch.length} examples)`);
				break;
			case 'progress':
				// A detail (a generator retry) comes with a note, which says it as a line.
				if (event.detail === undefined) bar(event.phase, event.done, event.total);
				break;
			case 'attribution-done':
				if (!tty) line(`round ${of()}: attribution (${event.importance.method}); editing ${event.targets.join(', ') || 'nothing'}`);
				break;
			case 'candidates-proposed':
				if (!tty) line(`round ${of()}: ${event.candidates.length} candidate(s)${event.rejected.length > 0 ? `, ${event.rejected.length} rejected` : ''}`);
				break;
			case 'candidate-scored':
				bar('scoring', event.done, event.total);
				break;
			case 'awaiting-decision': {
				before = event.view.current;
				const top = event.view.ranking?.candidates[0];
				best = top ? {id: top.id, aggregate: top.aggregate} : undefined;
				break;
			}
			case 'decision-applied': {
				const d = event.decision;
				if (d.kind === 'accept' || d.kind === 'pick') line(`round ${of()}: accepted ${event.candidate} (${pct(best !== undefined && best.id === event.candidate ? best.aggregate : undefined)})`);
				else if (d.kind === 'skip') line(`round ${of()}: skipped${best ? ` (best ${best.id} ${pct(best.aggregate)})` : ''}`);
				break;
			}
			case 'round-finished':
				if (event.losses) line(`round ${of()}: loss ${losses(before, event.losses)}`);
				break;
			case 'cancelled':
				line(`round ${of()}: ${event.phase} cancelled`);
				break;
			case 'note':
				line(`note: ${event.text}`);
				break;
			case 'finished':
				line(`finished: ${event.reason}; ${event.rounds} round(s), ${event.accepted} accepted`);
				break;
		}
	};
	return {listener, done: clear};
}
