/**
 * Headless progress on stderr: on a terminal, one bar redrawn in place plus a line per finished round; otherwise
 * plain lines, one per step, so logs and CI output stay readable. Lines about decisions are written after the
 * decision is saved, so a line seen is a decision kept. Errors are not reported here: headless, an error ends the
 * run and is shown once, as the command's error line.
 */
import {describeChange, formatChange} from '../engine/loss-change.js';
import type {EngineEvent, RoundView, ScoredCandidate} from '../engine/types.js';
import type {Output} from './types.js';

const BAR = 24;

/**
 * A candidate's change in loss as the TUI shows it: the aggregate over the selection judges (nats/token, not
 * normalised), then each judge's change, with a percentage only where that judge's loss is well away from zero.
 */
function changeText(view: RoundView | undefined, c: ScoredCandidate | undefined): string {
	if (!view || !c || c.aggregate === undefined) return '';
	const judges = [...view.selection, ...view.heldout].filter(j => c.change?.[j] !== undefined);
	const each = judges.map(j => `${j}${view.heldout.includes(j) ? ' (held out)' : ''} ${describeChange(c.change![j], c.relative?.[j])}`);
	const aggregate = view.aggregation === 'min' ? 'worst' : view.aggregation === 'median' ? 'median' : 'mean';
	return ` (${aggregate} change ${formatChange(c.aggregate)} nats/token; ${each.join(', ')})`;
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
	let view: RoundView | undefined;
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
			case 'awaiting-decision':
				before = event.view.current;
				view = event.view;
				break;
			case 'decision-applied': {
				const d = event.decision;
				const top = view?.candidates.find(c => c.rank === 1);
				if (d.kind === 'accept' || d.kind === 'pick') line(`round ${of()}: accepted ${event.candidate}${changeText(view, view?.candidates.find(c => c.id === event.candidate))}`);
				else if (d.kind === 'skip') line(`round ${of()}: skipped${top ? ` (best ${top.id}${changeText(view, top)})` : ''}`);
				break;
			}
			case 'round-finished':
				if (event.losses) line(`round ${of()}: loss ${losses(before, event.losses)}`);
				break;
			case 'cancelled':
				line(`round ${of()}: ${event.phase} cancelled`);
				break;
			case 'note':
				line(`${event.level === 'warn' ? 'warning' : 'note'}: ${event.text}`);
				break;
			case 'finished':
				line(`finished: ${event.reason}; ${event.rounds} round(s), ${event.accepted} accepted`);
				break;
		}
	};
	return {listener, done: clear};
}
