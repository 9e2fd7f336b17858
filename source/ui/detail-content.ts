/**
 * What the detail pane says, as lines already wrapped to its width (pure, so the screen knows how tall it is before
 * drawing it, and can scroll it): for the selected candidate, its score, every edit as "-" (goes) and "+" (comes)
 * lines, the generator's rationale, then the per-judge scores; for the selected segment, where its text came from,
 * its importance per judge and its whole text. Nothing is cut: long texts wrap.
 */
import type {Aggregation, Segment, SegmentImportance} from '../core/types.js';
import {describeChange, formatChange, formatRelative} from '../engine/loss-change.js';
import type {ObjectiveReport, ScoredCandidate} from '../engine/types.js';
import {aggregateHeading} from './candidate-table.js';
import {diffLines} from './diff.js';
import {formatImportance, formatLoss, oneLine} from './format.js';
import {scaleOf} from './heat.js';
import type {TableColumn} from './ink-table.js';
import {wrapLines} from './wrap.js';

/** How a line is drawn. */
export type Tone = 'title' | 'good' | 'bad' | 'muted' | 'plain';

/** A line of text, or a table (a heading line plus one line per row). */
export type DetailLine =
	| {key: string; text: string; tone: Tone}
	| {
			key: string;
			/** The rows, and the rows the column widths come from (default: its own), so tables of one view line up. */
			table: {columns: TableColumn[]; rows: Record<string, string>[]; sizing?: Record<string, string>[]};
	  };

/** What the content is about. */
export type DetailInput = {
	/** The selected candidate or segment. */
	kind: 'candidate' | 'segment';
	/** The selected candidate. */
	candidate?: ScoredCandidate;
	/** The selected segment. */
	segment?: Segment;
	/** The current prompt's segments. */
	segments: readonly Segment[];
	/** Attribution, once done. */
	importance?: SegmentImportance;
	/** The current prompt's loss per judge. */
	current: Record<string, number>;
	/** Judges that decide. */
	selection: readonly string[];
	/** Judges only reported. */
	heldout: readonly string[];
	/** How the changes are aggregated. */
	aggregation?: Aggregation;
	/** Per-objective attribution and the conflict matrix (multi-objective tasks). */
	objectives?: ObjectiveReport;
	/** Hypervolume of the candidates' objective losses (multi-objective tasks). */
	hypervolume?: number;
	/** Between items on a line. */
	sep: string;
	/** The change glyph ("Δ"). */
	delta: string;
};

/** The conflict matrix as its pairs: "a/b -0.82". */
function conflictLine(objectives: ObjectiveReport, sep: string): string {
	const pairs: string[] = [];
	objectives.names.forEach((a, i) =>
		objectives.names.slice(i + 1).forEach((b, d) => {
			const cos = objectives.conflict[i]?.[i + 1 + d];
			pairs.push(`${a}/${b} ${cos === undefined || !Number.isFinite(cos) ? 'n/a' : (cos >= 0 ? '+' : '') + cos.toFixed(2)}`);
		}),
	);
	return pairs.join(sep);
}

/** Lines a detail line takes. */
export function detailHeight(line: DetailLine): number {
	return 'table' in line ? 1 + line.table.rows.length : 1;
}

/** Where a segment's text came from. */
export function originText(segment: Segment): string {
	const o = segment.origin;
	if (!o || o.kind === 'initial') return 'from the initial prompt';
	return o.candidateId === 'user' ? `edited by hand in round ${o.round}` : `from round ${o.round}, candidate ${o.candidateId} (${o.op === 'replace' ? 'replace' : 'insert'})`;
}

function wrapped(key: string, text: string, tone: Tone, width: number, indent = ''): DetailLine[] {
	return wrapLines(text, width - indent.length).map((line, i) => ({key: `${key}.${i}`, text: i === 0 ? line : indent + line, tone}));
}

function scoreTable(c: ScoredCandidate, input: DetailInput): DetailLine | undefined {
	const judges = [...input.selection, ...input.heldout];
	if (!c.losses || judges.length === 0) return undefined;
	const nats = `${input.delta} nats/token`;
	const pct = `${input.delta} %`;
	const columns: TableColumn[] = [{key: 'judge'}, {key: 'current', right: true}, {key: c.id, right: true}, {key: nats, right: true}, {key: pct, right: true}, {key: 'rank', right: true}];
	const rows = judges.map(j => ({
		judge: `${input.heldout.includes(j) ? '(h) ' : ''}${j}`,
		current: formatLoss(input.current[j]),
		[c.id]: formatLoss(c.losses?.[j]),
		[nats]: c.change?.[j] === undefined ? '' : formatChange(c.change[j]),
		[pct]: formatRelative(c.relative?.[j]) || (c.change?.[j] === undefined ? '' : '-'),
		rank: c.judgeRanks?.[j] ? `#${c.judgeRanks[j]}` : '',
	}));
	return {key: 'scores', table: {columns, rows}};
}

/** The lines of the detail pane at `width` cells. */
export function detailContent(input: DetailInput, width: number): DetailLine[] {
	const {sep} = input;
	const out: DetailLine[] = [];
	if (input.kind === 'candidate') {
		const c = input.candidate;
		if (!c) return [{key: 'none', text: 'no candidate selected', tone: 'muted'}];
		const of = input.selection.join(', ');
		const score =
			c.aggregate === undefined || c.rank === undefined
				? 'not ranked yet'
				: `rank ${c.rank}${sep}${aggregateHeading(input.aggregation, input.delta)} ${describeChange(c.aggregate, undefined)} nats/token over ${of} (not normalised; lower is better)`;
		const title = [c.id, c.source === 'user' ? 'your edit' : c.source, score, ...(c.failed ? [`cannot be scored: ${c.failed}`] : []), ...(c.blocked ? ['edits a frozen segment'] : [])].join(sep);
		out.push(...wrapped('title', title, 'title', width));
		if (c.dropped) {
			const d = c.dropped;
			out.push(...wrapped('raced', `dropped by racing at rung ${d.rung} (${d.examples} example${d.examples === 1 ? '' : 's'}, aggregate change ${formatChange(-d.aggregate)} nats/token); picking it scores it on the whole batch`, 'muted', width));
		}
		if (c.objectiveLosses) {
			const per = Object.entries(c.objectiveLosses).map(([o, l]) => `${o} ${formatLoss(l)}`).join(sep);
			const front = c.pareto ? `${sep}on the Pareto front` : '';
			const hv = input.hypervolume === undefined ? '' : `${sep}round hypervolume ${formatLoss(input.hypervolume)}`;
			out.push(...wrapped('objectives', `objective losses: ${per}${front}${hv}`, 'muted', width));
		}
		diffLines(input.segments, c.edits).forEach((d, i) => out.push(...wrapped(`d${i}`, `${d.sign} ${d.segment.padEnd(4)} ${d.text || '(empty)'}`, d.sign === '+' ? 'good' : 'bad', width, '       ')));
		const why = [...new Set(c.edits.map(e => e.rationale).filter((r): r is string => Boolean(r)))];
		if (why.length > 0) out.push(...wrapped('why', `why: ${oneLine(why.join(' '))}`, 'muted', width, '     '));
		const table = scoreTable(c, input);
		if (table) out.push(table);
		return out;
	}
	const s = input.segment;
	if (!s) return [{key: 'none', text: 'no segment selected', tone: 'muted'}];
	const importance = input.importance;
	const at = importance?.segmentIds.indexOf(s.id) ?? -1;
	out.push(...wrapped('title', `${s.id}${s.frozen ? ' (frozen)' : ''}${sep}${originText(s)}`, 'title', width));
	if (importance && at >= 0) {
		const per = Object.entries(importance.perJudge).map(([j, v]) => `${j} ${formatImportance(v[at], scaleOf(v))}`);
		out.push(...wrapped('per', `importance by judge (+ helps, - hurts): ${per.join(sep)}`, 'muted', width));
	}
	const objectives = input.objectives;
	if (objectives && at >= 0) {
		const byObjective = objectives.names.map(o => `${o} ${formatImportance(objectives.vectors[o]![at]!, scaleOf(objectives.vectors[o]!))}`).join(sep);
		out.push(...wrapped('objectives', `importance by objective (${objectives.mode}): ${byObjective}`, 'muted', width));
		out.push(...wrapped('conflict', `conflict (cosine; negative: the objectives pull this prompt apart): ${conflictLine(objectives, sep)}`, 'muted', width));
	}
	out.push(...wrapped('text', oneLine(s.text), 'plain', width));
	return out;
}
