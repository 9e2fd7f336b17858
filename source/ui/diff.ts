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
