/**
 * A candidate against the current prompt, segment by segment, from the candidate's own edits: "-" for text that
 * goes, "+" for text that comes. Also the one-line edit summary of the candidates table ("~s3 Be kind.").
 */
import type {Edit, Segment} from '../core/types.js';
import {oneLine} from './format.js';

/** One line of a diff. */
export type DiffLine = {
	/** "-" removed, "+" added. */
	sign: '-' | '+';
	/** The segment the line is about. */
	segment: string;
	/** The text. */
	text: string;
};

/** The lines of a candidate's edits against the current segments. */
export function diffLines(current: readonly Segment[], edits: readonly Edit[]): DiffLine[] {
	const byId = new Map(current.map(s => [s.id, s]));
	return edits.flatMap((edit): DiffLine[] => {
		const old = oneLine(byId.get(edit.segment)?.text ?? '');
		const text = oneLine(edit.text ?? '');
		if (edit.op === 'delete') return [{sign: '-', segment: edit.segment, text: old}];
		if (edit.op === 'insert_after') return [{sign: '+', segment: edit.segment, text}];
		return [
			{sign: '-', segment: edit.segment, text: old},
			{sign: '+', segment: edit.segment, text},
		];
	});
}

const opSign: Record<Edit['op'], string> = {replace: '~', delete: '-', insert_after: '+'};

/** The edits in one line: "~s3 new text", "-s5", "+s2 inserted text". */
export function editSummary(edits: readonly Edit[]): string {
	return edits.map(e => `${opSign[e.op]}${e.segment}${e.op === 'delete' ? '' : ` ${oneLine(e.text ?? '')}`}`).join('; ');
}

/**
 * The initial prompt against the current one, segment by segment. Ids are stable (a replaced segment keeps its id,
 * new text gets a new one), so the two id sequences are aligned (longest common subsequence): a shared id whose text
 * changed is "-" then "+", an id only in the initial prompt is "-", one only in the current prompt "+".
 */
export function promptDiff(initial: readonly Segment[], current: readonly Segment[]): DiffLine[] {
	const n = initial.length;
	const m = current.length;
	const common: number[][] = Array.from({length: n + 1}, () => new Array<number>(m + 1).fill(0));
	for (let i = n - 1; i >= 0; i--) {
		for (let j = m - 1; j >= 0; j--) {
			common[i][j] = initial[i].id === current[j].id ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
		}
	}
	const out: DiffLine[] = [];
	let i = 0;
	let j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && initial[i].id === current[j].id) {
			const before = oneLine(initial[i].text);
			const after = oneLine(current[j].text);
			if (before !== after) out.push({sign: '-', segment: initial[i].id, text: before}, {sign: '+', segment: current[j].id, text: after});
			i++;
			j++;
		} else if (j >= m || (i < n && common[i + 1][j] >= common[i][j + 1])) {
			out.push({sign: '-', segment: initial[i].id, text: oneLine(initial[i].text)});
			i++;
		} else {
			out.push({sign: '+', segment: current[j].id, text: oneLine(current[j].text)});
			j++;
		}
	}
	return out;
}
