/**
 * What the per-example view says, as lines and tables fitted to the width (pure, so the screen can scroll it): a
 * summary of exact matches per judge for the current prompt and the candidate, what the marks mean, then every
 * example of the round's batch: its input and reference, and per judge the greedy output of each prompt with its
 * exact-match mark, its loss, and the change in loss.
 */
import {formatChange} from '../engine/loss-change.js';
import type {ExampleOutputs, ExamplesView} from '../engine/types.js';
import type {DetailLine} from './detail-content.js';
import {formatLoss, oneLine} from './format.js';
import type {TableColumn} from './ink-table.js';
import type {Glyphs} from './theme.js';
import {wrapLines} from './wrap.js';

function wrapped(out: DetailLine[], key: string, text: string, tone: 'title' | 'plain' | 'muted' | 'good' | 'bad', width: number, indent = '', first = ''): void {
	wrapLines(text, width - Math.max(indent.length, first.length)).forEach((line, i) => out.push({key: `${key}.${i}`, text: (i === 0 ? first : indent) + line, tone}));
}

function matches(o: ExampleOutputs, judge: string, rows: ExamplesView['rows']): string {
	const marks = o.match[judge];
	if (!marks) return '…';
	const positive = rows.map((r, e) => (r.weight > 0 ? marks[e] : undefined)).filter((m): m is boolean => m !== undefined);
	return `${positive.filter(Boolean).length}/${positive.length}`;
}

function output(o: ExampleOutputs, judge: string, e: number, glyphs: Glyphs, ellipsis: string): string {
	const out = o.outputs[judge]?.[e];
	if (out === undefined) return ellipsis;
	return `${o.match[judge]?.[e] ? glyphs.match : glyphs.miss} ${oneLine(out) || '(empty)'}`;
}

/** The view's lines at `width` cells; `name` of the candidate column ("c3"). */
export function examplesContent(view: ExamplesView, width: number, glyphs: Glyphs, heldout: readonly string[]): DetailLine[] {
	const out: DetailLine[] = [];
	const c = view.candidate;
	const name = c?.prompt ?? 'candidate';
	const label = (j: string) => `${heldout.includes(j) ? '(h) ' : ''}${j}`;
	const summary = view.judges.map(j => `${label(j)} ${matches(view.current, j, view.rows)}${c ? ` -> ${matches(c, j, view.rows)}` : ''}`);
	wrapped(out, 'title', `${view.rows.length} examples of this round's batch: the current prompt${c ? ` and ${name}` : ''}${view.objective ? ` (references of objective ${view.objective})` : ''}`, 'title', width);
	wrapped(out, 'summary', `exact match${c ? ` (current -> ${name})` : ''}: ${summary.join(glyphs.sep)}`, 'plain', width);
	wrapped(out, 'legend', `${glyphs.match} output = reference (first line, trimmed), ${glyphs.miss} differs, … not generated yet; loss in nats/token; ${glyphs.delta} = ${name} minus current (negative = better)`, 'muted', width);
	const tables: {columns: TableColumn[]; rows: Record<string, string>[]; sizing?: Record<string, string>[]}[] = [];
	view.rows.forEach((row, e) => {
		const avoid = row.weight < 0 ? ` (r=${row.weight}: an output to avoid)` : '';
		wrapped(out, `in${e}`, `#${e + 1} (train ${row.index + 1}) input: ${oneLine(row.input)}`, 'title', width, '   ');
		wrapped(out, `ref${e}`, `reference: ${oneLine(row.reference)}${avoid}`, 'plain', width, '   ', '   ');
		const columns: TableColumn[] = [{key: 'judge'}, {key: 'current output', flex: true}, {key: 'loss', right: true}];
		if (c) columns.push({key: `${name} output`, flex: true}, {key: `${name} loss`, right: true}, {key: glyphs.delta, right: true});
		const rows = view.judges.map(j => {
			const now = view.current.losses[j]?.[e];
			const row: Record<string, string> = {judge: label(j), 'current output': output(view.current, j, e, glyphs, '…'), loss: formatLoss(now)};
			if (c) {
				const then = c.losses[j]?.[e];
				row[`${name} output`] = output(c, j, e, glyphs, '…');
				row[`${name} loss`] = formatLoss(then);
				row[glyphs.delta] = now === undefined || then === undefined ? '' : formatChange(then - now);
			}
			return row;
		});
		const table = {columns, rows};
		tables.push(table);
		out.push({key: `t${e}`, table});
	});
	// One set of column widths for every example, so the tables line up.
	const sizing = tables.flatMap(t => t.rows);
	for (const t of tables) t.sizing = sizing;
	return out;
}
