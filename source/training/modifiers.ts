/**
 * Modifiers: sentences that change the answer (case, order, arithmetic) or its format (brackets, JSON, period,
 * quotes). In the corpus the target always follows them, so a judge learns that they change which output is likely;
 * that is what makes them harmful in a prompt whose references do not follow them.
 */

/** Modifiers that change the content of the answer. */
export const CONTENT_MODIFIERS = ['lowercase', 'uppercase', 'reverse', 'add-one'] as const;
/** Modifiers that wrap the answer in a format. */
export const FORMAT_MODIFIERS = ['brackets', 'json', 'period', 'quotes'] as const;

/** A content modifier. */
export type ContentModifier = (typeof CONTENT_MODIFIERS)[number];
/** A format modifier. */
export type FormatModifier = (typeof FORMAT_MODIFIERS)[number];
/** Any modifier. */
export type ModifierKind = ContentModifier | FormatModifier;

const INTEGER = /^-?\d+$/;

/** Apply a content modifier. */
export function applyContent(kind: ContentModifier, answer: string): string {
	switch (kind) {
		case 'lowercase':
			return answer.toLowerCase();
		case 'uppercase':
			return answer.toUpperCase();
		case 'reverse':
			return [...answer].reverse().join('');
		case 'add-one':
			return String(Number(answer) + 1);
	}
}

/**
 * Whether a content modifier applies to an answer: it must change it (a no-op would teach nothing) and make sense
 * (add one only to integers; reverse only single tokens, so lists stay lists, and never into a leading zero, which
 * would read as a different number: "80" reversed is "08").
 */
export function contentApplies(kind: ContentModifier, answer: string): boolean {
	if (kind === 'add-one') return INTEGER.test(answer);
	if (kind === 'reverse') {
		const reversed = applyContent(kind, answer);
		return /^\S{2,}$/.test(answer) && reversed !== answer && !reversed.startsWith('0');
	}
	return applyContent(kind, answer) !== answer;
}

/** Apply a format modifier. JSON keeps integers as numbers and everything else as strings. */
export function applyFormat(kind: FormatModifier, answer: string): string {
	switch (kind) {
		case 'brackets':
			return `[${answer}]`;
		case 'json':
			return `{"answer": ${INTEGER.test(answer) ? String(Number(answer)) : JSON.stringify(answer)}}`;
		case 'period':
			return `${answer}.`;
		case 'quotes':
			return `"${answer}"`;
	}
}

/** True for content modifiers. */
export function isContentModifier(kind: ModifierKind): kind is ContentModifier {
	return (CONTENT_MODIFIERS as readonly string[]).includes(kind);
}

/**
 * The target for a base answer under modifiers: content modifiers first, then the format, whatever their order in
 * the instruction, because a format wraps the finished answer.
 */
export function applyModifiers(answer: string, modifiers: readonly ModifierKind[]): string {
	let out = answer;
	for (const m of modifiers) if (isContentModifier(m)) out = applyContent(m, out);
	for (const m of modifiers) if (!isContentModifier(m)) out = applyFormat(m, out);
	return out;
}
