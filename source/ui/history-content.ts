/**
 * What the history screen lists under its chart, as lines wrapped to the width (pure, so the screen can scroll it and
 * say what is cut): the current prompt (the final one once the run has ended) in full; what changed since the
 * initial prompt, segment by segment; the accepted changes, undone ones marked; and the lineage of every segment.
 */
import type {Segment} from '../core/types.js';
import {heldoutJudges} from '../engine/report.js';
import {transferAlarm} from '../engine/transfer.js';
import type {SessionState} from '../sessions/replay.js';
import {editSummary, promptDiff} from './diff.js';
import type {Tone} from './detail-content.js';
import {oneLine} from './format.js';
import {wrapLines} from './wrap.js';

/** One line of the history list. */
export type HistoryLine = {key: string; text: string; tone: Tone};

function wrapped(out: HistoryLine[], key: string, text: string, tone: Tone, width: number, indent = '  '): void {
	if (tone === 'title') indent = '';
	wrapLines(text, width - indent.length).forEach((line, i) => out.push({key: `${key}.${i}`, text: indent + line, tone}));
}

function lineage(s: Segment): string {
	const o = s.origin;
	return !o || o.kind === 'initial' ? 'initial' : o.candidateId === 'user' ? `r${o.round} hand` : `r${o.round} ${o.candidateId}`;
}

/** Segments deleted by accepted changes still in effect, with the round that deleted them. */
function deletions(state: SessionState): string[] {
	const present = new Set(state.segments.map(s => s.id));
	return state.accepted.flatMap(a => a.edits.filter(e => e.op === 'delete' && !present.has(e.segment)).map(e => `${e.segment} deleted in round ${a.round}`));
}

/** The lines of the history list at `width` cells; `ended`: the run is over (the current prompt is the final one). */
export function historyContent(state: SessionState, width: number, ended: boolean): HistoryLine[] {
	const out: HistoryLine[] = [];
	const prompt = state.segments.map(s => s.text).join('');
	wrapped(out, 'prompt', `${ended ? 'Final prompt' : 'Current prompt'} (${state.segments.length} segments)`, 'title', width);
	for (const [i, line] of prompt.split('\n').entries()) wrapped(out, `p${i}`, line, 'plain', width);
	const diff = promptDiff(state.initialSegments, state.segments);
	wrapped(out, 'diff', `Changes since the initial prompt (${diff.length === 0 ? 'none' : `${diff.filter(d => d.sign === '-').length} out, ${diff.filter(d => d.sign === '+').length} in`})`, 'title', width);
	diff.forEach((d, i) => wrapped(out, `d${i}`, `${d.sign} ${d.segment.padEnd(4)} ${d.text || '(empty)'}`, d.sign === '+' ? 'good' : 'bad', width, '  '));
	wrapped(out, 'acc', `Accepted changes (${state.accepted.length}${state.undone.length > 0 ? `, ${state.undone.length} undone` : ''})`, 'title', width);
	if (state.accepted.length === 0 && state.undone.length === 0) out.push({key: 'acc-none', text: '  none yet', tone: 'muted'});
	const steps = [...state.accepted.map(a => ({...a, undone: undefined as string | undefined})), ...state.undone.map(u => ({...u, undone: `undone in round ${u.undoneRound ?? '?'}`}))].sort((a, b) => a.seq - b.seq);
	for (const a of steps) {
		const what = a.action === 'edit' ? (a.edits.length > 0 ? `by hand: ${editSummary(a.edits)}` : 'prompt edited by hand') : `${a.action === 'accept' ? 'accepted' : 'picked'} ${a.candidate}: ${editSummary(a.edits)}`;
		wrapped(out, `a${a.seq}`, `round ${a.round} ${what}${a.undone ? ` (${a.undone})` : ''}`, a.undone ? 'muted' : 'plain', width);
	}
	const held = heldoutJudges(state);
	const selection = state.judges.filter(j => !held.includes(j));
	const alarms = state.rounds.flatMap(r => {
		const alarm = r.decision?.action === 'skip' ? undefined : transferAlarm(r.round, r.testBefore, r.testLosses, selection, held);
		return alarm ? [alarm] : [];
	});
	if (alarms.length > 0) {
		wrapped(out, 'alarms', `Transfer alarms (${alarms.length}): held-out test loss up while the selection judges' went down`, 'title', width);
		for (const a of alarms) wrapped(out, `alarm${a.round}`, a.text, 'bad', width);
	}
	wrapped(out, 'lin', 'Prompt lineage (ids are never reused: a gap is a deleted segment or an id a candidate took)', 'title', width);
	const gone = deletions(state);
	if (gone.length > 0) wrapped(out, 'gone', `not in the prompt any more: ${gone.join(', ')}`, 'muted', width);
	for (const s of state.segments) wrapped(out, `s${s.id}`, `${s.id.padEnd(5)}${lineage(s).padEnd(10)}${s.frozen ? '(frozen) ' : ''}${oneLine(s.text)}`, lineage(s) === 'initial' ? 'plain' : 'good', width, '  ');
	return out;
}
