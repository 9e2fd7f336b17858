/**
 * The sentences instructions are built from: paraphrases of every task (helpful), filler (useless) and the wording of
 * every modifier (misleading relative to the base task). Each is one sentence ending in "." or "?", so a prompt
 * built from them segments into exactly these sentences.
 */
import type {ModifierKind} from './modifiers.js';
import type {TaskType} from './task-types.js';

/** Paraphrases of each task's instruction (at least six each). */
export const TASK_PHRASES: Record<TaskType, readonly string[]> = {
	uppercase: [
		'Convert the word to uppercase.',
		'Write the word in capital letters.',
		'Uppercase the word.',
		'Change every letter of the word to upper case.',
		'Rewrite the word using only capital letters.',
		'Make the word all caps.',
		'Turn the word into uppercase letters.',
		'Spell the word in capitals.',
	],
	lowercase: [
		'Convert the word to lowercase.',
		'Write the word in small letters.',
		'Lowercase the word.',
		'Change every letter of the word to lower case.',
		'Rewrite the word using only lowercase letters.',
		'Make the word all lowercase.',
		'Turn the word into lowercase letters.',
	],
	reverse: [
		'Reverse the word.',
		'Write the word backwards.',
		'Spell the word from the last letter to the first.',
		'Give the letters of the word in reverse order.',
		'Flip the order of the letters in the word.',
		'Read the word backwards and write it down.',
	],
	'first-letter': [
		'Give the first letter of the word.',
		'What is the first letter of the word?',
		'Write only the first letter of the word.',
		'Return the letter the word starts with.',
		'Name the initial letter of the word.',
		'Output the opening letter of the word.',
	],
	'last-letter': [
		'Give the last letter of the word.',
		'What is the last letter of the word?',
		'Write only the final letter of the word.',
		'Return the letter the word ends with.',
		'Name the final letter of the word.',
		'Output the closing letter of the word.',
	],
	'count-letters': [
		'Count the letters in the word.',
		'How many letters does the word have?',
		'Give the number of letters in the word.',
		'Write the length of the word in letters.',
		'Return how many characters the word contains.',
		'Tell me the letter count of the word.',
	],
	repeat: [
		'Repeat the word the given number of times.',
		'Write the word as many times as the number says.',
		'Say the word again and again, as often as the number says.',
		'Copy the word the number of times shown.',
		'Output the word repeated by the given count.',
		'Repeat the word N times, where N is the number given.',
	],
	'count-words': [
		'Count the words in the sentence.',
		'How many words are in the sentence?',
		'Give the number of words in the sentence.',
		'Return the word count of the sentence.',
		'Tell me how many words the sentence has.',
		'Write the number of words in the text.',
	],
	add: [
		'Add the two numbers.',
		'What is the sum of the two numbers?',
		'Give the sum of the numbers.',
		'Compute the total of the two numbers.',
		'Return the first number plus the second number.',
		'Work out the sum of the two values.',
	],
	subtract: [
		'Subtract the second number from the first.',
		'What is the first number minus the second?',
		'Give the difference of the first number minus the second.',
		'Compute the first number minus the second number.',
		'Take the second number away from the first.',
		'Return the result of subtracting the second number from the first.',
	],
	larger: [
		'Give the larger of the two numbers.',
		'Which number is bigger?',
		'Return the greater number.',
		'Pick the maximum of the two numbers.',
		'Write the bigger of the two values.',
		'Name the larger number.',
	],
	'sort-words': [
		'Sort the words alphabetically.',
		'Put the words in alphabetical order.',
		'Arrange the words from A to Z.',
		'List the words in dictionary order.',
		'Order the words alphabetically.',
		'Write the words sorted from A to Z.',
	],
	'sort-numbers': [
		'Sort the numbers from smallest to largest.',
		'Put the numbers in ascending order.',
		'Arrange the numbers from low to high.',
		'List the numbers in increasing order.',
		'Order the numbers from the smallest up.',
		'Write the numbers sorted in ascending order.',
	],
	sentiment: [
		'Classify the sentiment of the text as positive or negative.',
		'Is the review positive or negative?',
		'Say whether the text is positive or negative.',
		'Label the sentiment of the sentence as positive or negative.',
		'Decide if the opinion is positive or negative.',
		'Tell me if the tone of the text is positive or negative.',
	],
	'is-even': [
		'Say yes if the number is even and no if it is odd.',
		'Is the number even?',
		'Answer yes when the number is even, otherwise no.',
		'Tell me whether the number is even with yes or no.',
		'Check if the number is even and reply yes or no.',
		'Reply yes for an even number and no for an odd one.',
	],
	'longest-word': [
		'Pick the longest word.',
		'Which word is the longest?',
		'Return the longest word in the list.',
		'Give the word with the most letters.',
		'Find the longest of the words.',
		'Write the longest word from the list.',
	],
	'extract-number': [
		'Extract the number from the sentence.',
		'What number appears in the sentence?',
		'Give the number mentioned in the text.',
		'Return the number that the sentence contains.',
		'Find the number in the sentence.',
		'Write down the number from the text.',
	],
};

/** Filler: sentences that never change the answer anywhere in the corpus. */
export const USELESS_PHRASES: readonly string[] = [
	'You are a helpful assistant.',
	'Take your time.',
	'Think about the question carefully.',
	'Do your best.',
	'This is an easy task.',
	'Read the input carefully.',
	'Be accurate.',
	'Please be careful.',
	'You are an expert.',
	'Good luck.',
	'Stay focused.',
	'Accuracy matters here.',
	'Thank you for your help.',
	'Here is a task for you.',
	'Keep it simple.',
	'Give only the answer.',
	'Do not add any explanation.',
	'Answer quickly.',
];

/** Wordings of each modifier. They speak of "the answer", never "the word", so they read as add-ons to a task. */
export const MODIFIER_PHRASES: Record<ModifierKind, readonly string[]> = {
	lowercase: [
		'Answer in lowercase.',
		'Write the answer in small letters.',
		'Use only lowercase letters in the answer.',
		'Make the answer lowercase.',
		'The answer should be in lower case.',
	],
	uppercase: [
		'Answer in capital letters.',
		'Write the answer in uppercase.',
		'Make the answer all caps.',
		'Use only capital letters in the answer.',
		'The answer should be in upper case.',
	],
	reverse: [
		'Reverse the answer.',
		'Write the answer backwards.',
		'Give the characters of the answer in reverse order.',
		'Flip the answer around.',
		'Spell the answer backwards.',
	],
	'add-one': [
		'Add one to the result.',
		'Increase the answer by one.',
		'Give one more than the result.',
		'Add 1 to the answer.',
		'Report the result plus one.',
	],
	brackets: [
		'Wrap the answer in brackets.',
		'Put the answer inside square brackets.',
		'Enclose the answer in brackets.',
		'Surround the answer with square brackets.',
	],
	json: [
		'Answer in JSON with the key answer.',
		'Reply with a JSON object whose key is answer.',
		'Format the answer as JSON.',
		'Return the answer as a JSON object.',
		'Give the answer as JSON with a single answer field.',
	],
	period: [
		'End the answer with a period.',
		'Finish the answer with a full stop.',
		'Put a period after the answer.',
		'Close the answer with a period.',
	],
	quotes: [
		'Put the answer in double quotes.',
		'Wrap the answer in quotation marks.',
		'Quote the answer.',
		'Enclose the answer in double quotes.',
	],
};

/** "Please" in front of an imperative paraphrase, for surface variety without a new meaning. */
export function withPlease(sentence: string): string {
	if (!sentence.endsWith('.')) return sentence;
	return `Please ${sentence[0].toLowerCase()}${sentence.slice(1)}`;
}
