/**
 * The report of a session, from its replayed state: the final and initial prompts, the loss per judge over rounds
 * (a chart each), the accepted changes, the lineage of every segment of the final prompt and a line per round. One
 * structure renders to Markdown and to self-contained HTML (inline CSS and SVG, no external asset).
 */
import {joinSegments} from '../core/segment.js';
import type {RoundRecord, SessionState} from '../sessions/replay.js';
import {formatChange} from './loss-change.js';
import {escapeXml, lineChart, type Series} from './svg-chart.js';

/** A section of the report. */
type Block = {kind: 'p'; text: string} | {kind: 'pre'; text: string} | {kind: 'table'; header: string[]; rows: string[][]} | {kind: 'chart'; judge: string};

type Section = {title: string; blocks: Block[]};

/** The rendered report. */
export type Report = {
	/** The final prompt. */
	prompt: string;
	/** report.md. */
	markdown: string;
	/** report.html. */
	html: string;
	/** One SVG chart per judge (also inlined in the HTML; linked from the Markdown as loss-<judge>.svg). */
	charts: Record<string, string>;
};

const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(4));

/** The chart of one judge: its loss on each round's batch and, when measured, on the test split. */
export function judgeChart(state: SessionState, judge: string): string {
	const batch: Series = {label: 'training batch', colour: '#1f77b4', points: []};
	const test: Series = {label: 'test split', colour: '#d62728', points: []};
	const first = state.rounds[0]?.losses?.[judge];
	if (first !== undefined) batch.points.push({x: 0, y: first});
	// Round 0 on the test split: the initial prompt, measured when the first round started.
	const start = state.rounds[0]?.testBefore?.[judge];
	if (start !== undefined) test.points.push({x: 0, y: start});
	for (const r of state.rounds) {
		if (!r.finished) continue;
		const after = r.lossesAfter?.[judge];
		if (after !== undefined) batch.points.push({x: r.round, y: after});
		const t = r.testLosses?.[judge];
		if (t !== undefined) test.points.push({x: r.round, y: t});
	}
	return lineChart(`loss of ${judge}`, [batch, test], {x: 'round', y: 'loss (nats/token)'});
}

/**
 * The held-out judges by name: those that scored but never attributed (the log records importances of the selection
 * judges only); before any attribution, the task's held-out list.
 */
export function heldoutJudges(state: SessionState): string[] {
	const attributed = new Set(state.rounds.flatMap(r => Object.keys(r.importance?.perJudge ?? {})));
	if (attributed.size === 0) return state.judges.filter(j => state.task.heldout?.includes(j));
	return state.judges.filter(j => !attributed.has(j));
}

function describeEdit(e: {segment: string; op: string; text?: string}): string {
	return e.op === 'delete' ? `${e.segment} delete` : `${e.segment} ${e.op}: "${e.text ?? ''}"`;
}

/**
 * The lowest mean change in loss over the selection judges among a round's candidates, from the logged losses (the
 * logged aggregates of older sessions were relative changes, which explode near zero loss).
 */
function bestChange(round: RoundRecord, selection: readonly string[]): number | undefined {
	const current = round.losses;
	if (!current || selection.length === 0 || !selection.every(j => current[j] !== undefined)) return undefined;
	let best: number | undefined;
	for (const losses of Object.values(round.candidateLosses)) {
		if (!selection.every(j => losses[j] !== undefined)) continue;
		const change = selection.reduce((s, j) => s + losses[j] - current[j], 0) / selection.length;
		if (Number.isFinite(change) && (best === undefined || change < best)) best = change;
	}
	return best;
}

function sections(state: SessionState): Section[] {
	const task = state.task;
	const heldout = new Set(heldoutJudges(state));
	const selection = state.judges.filter(j => !heldout.has(j));
	const judges = state.judges;
	const finished = state.rounds.filter(r => r.finished);
	const gen = state.generator ? [state.generator.kind, state.generator.model].filter(Boolean).join(' ') : 'unknown';
	const summary: Block = {
		kind: 'p',
		text: `Session ${state.id}, task ${task.name}; created ${state.created}, last update ${state.updated}. ${state.roundsDone} round(s), ${state.accepted.length} accepted change(s). Judges: ${judges.join(', ') || 'none'}${heldout.size > 0 ? ` (held out: ${[...heldout].join(', ')})` : ''}. Generator: ${gen}.`,
	};
	const initial = state.rounds[0]?.testBefore;
	const lossRows = [
		...(initial ? [['0 (initial prompt)', ...judges.flatMap(j => ['', '', num(initial[j])])]] : []),
		...finished.map(r => [String(r.round), ...judges.flatMap(j => [num(r.losses?.[j]), num(r.lossesAfter?.[j]), num(r.testLosses?.[j])])]),
	];
	const lossHeader = ['round', ...judges.flatMap(j => [`${j} before`, `${j} after`, `${j} test`])];
	const lineage = state.segments.map(s => {
		const o = s.origin;
		const from = !o || o.kind === 'initial' ? 'initial prompt' : `round ${o.round}, ${o.candidateId === 'user' ? 'hand edit' : o.candidateId} (${o.op})`;
		return [s.id, s.text.trim(), from + (s.frozen ? ', frozen' : '')];
	});
	return [
		{title: 'Summary', blocks: [summary]},
		{title: 'Final prompt', blocks: [{kind: 'pre', text: joinSegments(state.segments)}]},
		{title: 'Initial prompt', blocks: [{kind: 'pre', text: joinSegments(state.initialSegments)}]},
		{
			title: 'Loss per judge',
			blocks: [
				{kind: 'p', text: `Before and after: the round’s training batch (${task.fixedBatch ? 'the same minibatch every round' : 'a new minibatch each round'}); test: the test split after the round (round 0: the initial prompt).`},
				{kind: 'table', header: lossHeader, rows: lossRows},
				...judges.map((judge): Block => ({kind: 'chart', judge})),
			],
		},
		{
			title: 'Accepted changes',
			blocks: [
				state.accepted.length === 0
					? {kind: 'p', text: 'No change was accepted.'}
					: {
							kind: 'table',
							header: ['round', 'action', 'candidate', 'source', 'edits'],
							rows: state.accepted.map(a => [String(a.round), a.action, a.candidate ?? '', a.source ?? '', a.edits.map(describeEdit).join('; ') || '(whole prompt)']),
						},
			],
		},
		{title: 'Lineage of the final prompt', blocks: [{kind: 'table', header: ['segment', 'text', 'from'], rows: lineage}]},
		{
			title: 'Rounds',
			blocks: [
				{
					kind: 'table',
					header: ['round', 'targets', 'candidates', 'decision', 'best mean change (nats/token)'],
					rows: state.rounds.map(r => {
						const best = bestChange(r, selection);
						const decision = r.decision ? `${r.decision.action}${r.decision.candidate ? ` ${r.decision.candidate}` : ''}` : r.finished ? '' : 'unfinished';
						return [String(r.round), (r.targets ?? []).join(', '), String(r.candidates.length), decision, best === undefined ? '' : formatChange(best)];
					}),
				},
			],
		},
	];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** File name of a judge's chart. */
export function chartFile(judge: string): string {
	return `loss-${judge.replace(/[^\w.-]+/g, '_')}.svg`;
}

function markdown(state: SessionState, parts: Section[]): string {
	const out: string[] = [`# gmpo report: ${state.task.name}`, ''];
	for (const section of parts) {
		out.push(`## ${section.title}`, '');
		for (const b of section.blocks) {
			if (b.kind === 'p') out.push(b.text, '');
			else if (b.kind === 'pre') out.push('```text', b.text, '```', '');
			else if (b.kind === 'chart') out.push(`![loss of ${b.judge}](${chartFile(b.judge)})`, '');
			else if (b.rows.length > 0) {
				out.push(`| ${b.header.map(cell).join(' | ')} |`, `|${b.header.map(() => ' --- |').join('')}`);
				for (const row of b.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
				out.push('');
			}
		}
	}
	return out.join('\n');
}

const css = 'body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}figure{margin:.5rem 0}';

function html(state: SessionState, parts: Section[], charts: Record<string, string>): string {
	const out: string[] = [
		'<!DOCTYPE html>',
		'<html lang="en"><head><meta charset="utf-8">',
		`<title>gmpo report: ${escapeXml(state.task.name)}</title>`,
		`<style>${css}</style></head><body>`,
		`<h1>gmpo report: ${escapeXml(state.task.name)}</h1>`,
	];
	for (const section of parts) {
		out.push(`<h2>${escapeXml(section.title)}</h2>`);
		for (const b of section.blocks) {
			if (b.kind === 'p') out.push(`<p>${escapeXml(b.text)}</p>`);
			else if (b.kind === 'pre') out.push(`<pre>${escapeXml(b.text)}</pre>`);
			else if (b.kind === 'chart') out.push(`<figure>${charts[b.judge]}</figure>`);
			else if (b.rows.length > 0) {
				out.push(`<table><thead><tr>${b.header.map(h => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>`);
				for (const row of b.rows) out.push(`<tr>${row.map(c => `<td>${escapeXml(c)}</td>`).join('')}</tr>`);
				out.push('</tbody></table>');
			}
		}
	}
	out.push('</body></html>', '');
	return out.join('\n');
}

/** Builds the report of a session. */
export function buildReport(state: SessionState): Report {
	const charts = Object.fromEntries(state.judges.map(j => [j, judgeChart(state, j)]));
	const parts = sections(state);
	return {prompt: joinSegments(state.segments), markdown: markdown(state, parts), html: html(state, parts, charts), charts};
}
