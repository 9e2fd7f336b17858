/**
 * Word lists the synthetic inputs are drawn from. Plain lowercase ASCII on purpose: the judges are tiny, so the
 * corpus spends its capacity on following instructions rather than on spelling.
 */
import type {Sampler} from './random.js';

/** Common short English words (3-7 letters). */
export const WORDS: readonly string[] = (
	'apple bread chair dance eagle flame grape horse house igloo juice kite lemon mango night ocean paper queen river ' +
	'stone table umbrella violet water yellow zebra anchor basket candle dragon engine forest garden hammer island ' +
	'jacket kettle ladder magnet needle orange pencil rabbit silver ticket velvet window winter summer spring autumn ' +
	'cloud storm rain snow wind sun moon star planet comet rocket train plane boat ship truck bike wheel road bridge ' +
	'tower castle village city market school library museum garden park field valley hill mountain desert beach ' +
	'shell coral whale shark tiger lion zebra camel monkey panda koala otter beaver badger falcon parrot robin ' +
	'sparrow turtle frog snake lizard spider beetle honey sugar salt pepper butter cheese bacon pasta salad soup ' +
	'cookie muffin pie cake melon peach cherry plum berry lime olive onion carrot potato tomato bean corn rice wheat ' +
	'cotton wool silk linen leather metal copper iron gold glass clay sand rock pebble marble crystal diamond pearl ' +
	'ruby amber music piano violin guitar drum flute song poem story book letter note card map clock watch mirror ' +
	'lamp sofa bed pillow blanket carpet door floor roof wall fence gate key lock box bag cup plate bowl spoon fork ' +
	'knife pot pan oven sink towel soap brush comb shirt dress coat hat scarf glove sock shoe boot ring button ' +
	'thread rope chain nail screw tool saw drill shovel bucket farmer doctor pilot sailor artist baker singer ' +
	'teacher writer painter dancer king prince knight wizard giant dwarf fairy ghost robot pirate'
)
	.split(' ')
	.filter((w, i, all) => w.length >= 3 && w.length <= 8 && all.indexOf(w) === i);

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'st', 'pl', 'tr'] as const;
const VOWELS = ['a', 'e', 'i', 'o', 'u'] as const;

/** A pronounceable made-up word (2-3 syllables), so the input space is open and held-out words are plentiful. */
export function pseudoWord(rng: Sampler): string {
	const syllables = rng.int(2, 3);
	let word = '';
	for (let i = 0; i < syllables; i++) word += rng.pick(ONSETS) + rng.pick(VOWELS);
	if (rng.chance(0.4)) word += rng.pick(['n', 'r', 's', 'm', 'l']);
	return word;
}

/** A real word (60%) or a made-up one (40%). */
export function anyWord(rng: Sampler): string {
	return rng.chance(0.6) ? rng.pick(WORDS) : pseudoWord(rng);
}

/** Words that make a phrase positive. */
export const POSITIVE_WORDS: readonly string[] = [
	'great', 'wonderful', 'lovely', 'excellent', 'amazing', 'fantastic', 'delightful', 'superb', 'brilliant', 'charming',
];
/** Words that make a phrase negative. */
export const NEGATIVE_WORDS: readonly string[] = [
	'awful', 'terrible', 'boring', 'horrible', 'dreadful', 'bad', 'poor', 'nasty', 'dull', 'annoying',
];
/** Verbs that make a phrase positive or negative. */
export const POSITIVE_VERBS: readonly string[] = ['love', 'enjoy', 'like', 'adore'];
export const NEGATIVE_VERBS: readonly string[] = ['hate', 'dislike', 'loathe', 'detest'];

const REVIEW_NOUNS = [
	'movie', 'song', 'meal', 'book', 'game', 'hotel', 'show', 'pizza', 'trip', 'class', 'album', 'concert', 'cafe',
	'phone', 'park', 'play', 'lesson', 'dinner', 'story', 'team',
] as const;

/** A short review-like phrase whose sentiment is fixed by exactly one polar word. */
export function sentimentPhrase(rng: Sampler, positive: boolean): string {
	const adjective = rng.pick(positive ? POSITIVE_WORDS : NEGATIVE_WORDS);
	const verb = rng.pick(positive ? POSITIVE_VERBS : NEGATIVE_VERBS);
	const noun = rng.pick(REVIEW_NOUNS);
	const templates = [
		`The ${noun} was ${adjective}`,
		`This ${noun} is ${adjective}`,
		`I ${verb} this ${noun}`,
		`What a ${adjective} ${noun}`,
		`We ${verb} the ${noun}`,
		`The ${noun} felt ${adjective} to me`,
		`Such a ${adjective} ${noun}`,
	];
	return rng.pick(templates);
}

const COUNT_NOUNS = ['apples', 'books', 'cats', 'chairs', 'coins', 'cups', 'eggs', 'pens', 'shells', 'stamps'] as const;

/** A short sentence containing exactly one number (1-99), written in digits. */
export function numberSentence(rng: Sampler): {sentence: string; value: number} {
	const n = rng.int(1, 99);
	const noun = rng.pick(COUNT_NOUNS);
	const templates = [
		`I bought ${n} ${noun} today`,
		`There are ${n} ${noun} in the box`,
		`She ran ${n} miles this week`,
		`We waited ${n} minutes for the bus`,
		`He has ${n} ${noun} on the shelf`,
		`The train left ${n} minutes late`,
		`They found ${n} ${noun} near the door`,
		`My sister is ${n} years old`,
	];
	return {sentence: rng.pick(templates), value: n};
}

/** A short plain sentence of 3-7 words, for counting words. */
export function plainSentence(rng: Sampler): string {
	const kind = rng.int(0, 2);
	if (kind === 0) return sentimentPhrase(rng, rng.chance(0.5));
	if (kind === 1) return numberSentence(rng).sentence;
	const words = Array.from({length: rng.int(3, 7)}, () => rng.pick(WORDS));
	const sentence = words.join(' ');
	return sentence[0].toUpperCase() + sentence.slice(1);
}
