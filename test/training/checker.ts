/**
 * An independent checker of corpus targets: recomputes the answer of every task type with its own code, and reads
 * the modifiers from the sentences' wording (keywords), not from the generator's flags, so a mislabelled sentence or
 * a wrong solver both show up as a mismatch.
 */
import {NEGATIVE_VERBS, NEGATIVE_WORDS, POSITIVE_VERBS, POSITIVE_WORDS} from '../../source/training/lexicon.js';

const upper = (s: string): string => s.replace(/[a-z]/g, c => String.fromCharCode(c.charCodeAt(0) - 32));
const lower = (s: string): string => s.replace(/[A-Z]/g, c => String.fromCharCode(c.charCodeAt(0) + 32));
function reversed(s: string): string {
	let out = '';
	for (let i = s.length - 1; i >= 0; i--) out += s[i];
	return out;
}
function pair(input: string): [number, number] {
	const m = /^(\d+), (\d+)$/.exec(input);
	if (!m) throw new Error(`not a pair: ${input}`);
	return [Number.parseInt(m[1], 10), Number.parseInt(m[2], 10)];
}
function insertionSort<T>(items: T[], less: (a: T, b: T) => boolean): T[] {
	const out: T[] = [];
	for (const item of items) {
		let i = out.length;
		while (i > 0 && less(item, out[i - 1])) i--;
		out.splice(i, 0, item);
	}
	return out;
}

/** The base answer of a task type, computed independently of source/training/task-types.ts. */
export function expectedBase(taskType: string, input: string): string {
	switch (taskType) {
		case 'uppercase':
			return upper(input);
		case 'lowercase':
			return lower(input);
		case 'reverse':
			return reversed(input);
		case 'first-letter':
			return input.charAt(0);
		case 'last-letter':
			return input.charAt(input.length - 1);
		case 'count-letters':
			return String(input.match(/[A-Za-z]/g)!.length);
		case 'repeat': {
			const m = /^([a-z]+) ([23])$/.exec(input)!;
			return new Array(Number(m[2])).fill(m[1]).join(' ');
		}
		case 'count-words':
			return String(input.match(/\S+/g)!.length);
		case 'add':
			return String(pair(input)[0] + pair(input)[1]);
		case 'subtract':
			return String(pair(input)[0] - pair(input)[1]);
		case 'larger': {
			const [a, b] = pair(input);
			if (a === b) throw new Error('tie');
			return String(a > b ? a : b);
		}
		case 'sort-words':
			return insertionSort(input.split(', '), (a, b) => a < b).join(', ');
		case 'sort-numbers':
			return insertionSort(input.split(', ').map(Number), (a, b) => a < b).join(', ');
		case 'sentiment': {
			const words = input.split(' ');
			const pos = words.filter(w => POSITIVE_WORDS.includes(w) || POSITIVE_VERBS.includes(w)).length;
			const neg = words.filter(w => NEGATIVE_WORDS.includes(w) || NEGATIVE_VERBS.includes(w)).length;
			if (pos + neg !== 1) throw new Error(`not exactly one polar word: ${input}`);
			return pos === 1 ? 'positive' : 'negative';
		}
		case 'is-even':
			return '02468'.includes(input.charAt(input.length - 1)) ? 'yes' : 'no';
		case 'longest-word': {
			const words = input.split(', ');
			const longest = Math.max(...words.map(w => w.length));
			const best = words.filter(w => w.length === longest);
			if (best.length !== 1) throw new Error(`no unique longest word: ${input}`);
			return best[0];
		}
		case 'extract-number': {
			const numbers = input.match(/\d+/g)!;
			if (numbers.length !== 1) throw new Error(`not exactly one number: ${input}`);
			return numbers[0];
		}
		default:
			throw new Error(`unknown task type ${taskType}`);
	}
}

/** The modifier a sentence states, judged from its wording alone; undefined for task and filler sentences. */
export function modifierOf(sentence: string): string | undefined {
	const s = sentence.toLowerCase();
	if (!/\b(answer|result)\b/.test(s)) return undefined;
	if (/lowercase|lower case|small letters/.test(s)) return 'lowercase';
	if (/uppercase|upper case|capital|all caps/.test(s)) return 'uppercase';
	if (/backwards|reverse|flip/.test(s)) return 'reverse';
	if (/\b(one|1)\b/.test(s) && /add|increase|more|plus/.test(s)) return 'add-one';
	if (/bracket/.test(s)) return 'brackets';
	if (/json/.test(s)) return 'json';
	if (/period|full stop/.test(s)) return 'period';
	if (/quot/.test(s)) return 'quotes';
	return undefined;
}

/** The target an instruction asks for: content modifiers on the base answer, then the format around it. */
export function expectedTarget(taskType: string, input: string, sentences: readonly string[]): string {
	const modifiers = sentences.map(modifierOf).filter((m): m is string => m !== undefined);
	let answer = expectedBase(taskType, input);
	for (const m of modifiers) {
		if (m === 'lowercase') answer = lower(answer);
		if (m === 'uppercase') answer = upper(answer);
		if (m === 'reverse') answer = reversed(answer);
		if (m === 'add-one') answer = String(Number.parseInt(answer, 10) + 1);
	}
	for (const m of modifiers) {
		if (m === 'brackets') answer = `[${answer}]`;
		if (m === 'json') answer = /^-?\d+$/.test(answer) ? `{"answer": ${answer}}` : `{"answer": "${answer}"}`;
		if (m === 'period') answer = `${answer}.`;
		if (m === 'quotes') answer = `"${answer}"`;
	}
	return answer;
}
