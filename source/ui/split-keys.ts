/**
 * One key per event. A terminal may deliver several keys in one read (typing fast, or over SSH, where keys are
 * sent together), and Ink then reports them as one input, as if pasted: "\tf" would match no binding. This splits
 * such input back into keys, the way Ink reads each alone; runs of printable text can be kept together for text
 * fields, where they are typed (or pasted) text.
 */
import type {Key} from 'ink';

/** One key (or a run of printable text) and the text it came from. */
export type KeyEvent = {
	/** What Ink would report as input. */
	input: string;
	/** What Ink would report as the key. */
	key: Key;
	/** The characters it came from. */
	raw: string;
};

const none: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
} as Key;

/** A single character as Ink would read it alone. */
function keyOf(ch: string): KeyEvent {
	const code = ch.codePointAt(0)!;
	if (ch === '\r' || ch === '\n') return {input: '', key: {...none, return: true}, raw: ch};
	if (ch === '\t') return {input: '', key: {...none, tab: true}, raw: ch};
	if (ch === '\u007F') return {input: '', key: {...none, delete: true}, raw: ch};
	if (ch === '\b') return {input: '', key: {...none, backspace: true}, raw: ch};
	if (code >= 1 && code <= 26) return {input: String.fromCodePoint(code + 96), key: {...none, ctrl: true}, raw: ch};
	return {input: ch, key: {...none, shift: /[A-Z]/.test(ch)}, raw: ch};
}

const printable = (ch: string) => ch.codePointAt(0)! >= 32 && ch !== '\u007F';

/**
 * The keys in one input. A single key, an escape sequence (arrows, Esc) or a chunk Ink already classified is kept
 * as it is; otherwise each control character is its own key, and printable characters are one key each, or one
 * run each with `runs` (text fields).
 */
export function splitKeys(input: string, key: Key, options: {runs?: boolean} = {}): KeyEvent[] {
	const chars = [...input];
	if (chars.length <= 1 || input.startsWith('\u001B') || key.ctrl || key.meta) return [{input, key, raw: input}];
	const events: KeyEvent[] = [];
	for (const ch of chars) {
		const last = events.at(-1);
		if (options.runs && printable(ch) && last && printable(last.raw.at(-1)!) && last.input === last.raw) {
			last.input += ch;
			last.raw += ch;
		} else {
			events.push(keyOf(ch));
		}
	}
	return events;
}
