/**
 * The plain prompt template shared by the judges' training corpus and by judges without a chat template. Defined once
 * here so the text a judge was trained on and the text it scores are built the same way.
 */

/** The plain template: the prompt, a blank line, the input, then the output after "Output: ". */
export const PLAIN_TEMPLATE = '{prompt}\n\nInput: {input}\nOutput: {target}';

/** The special token that ends every training text; also bos and pad of the bundled judges. */
export const END_OF_TEXT = '<|endoftext|>';

/** A rendered text and where its target starts. */
export type RenderedText = {
	/** prompt + input + target, following PLAIN_TEMPLATE. */
	text: string;
	/** Character index (UTF-16) in `text` where the target begins. */
	targetStart: number;
};

/**
 * Fill `{prompt}`, `{input}` and `{target}` in one pass over the template, so a placeholder-like string inside a
 * value (a prompt mentioning "{input}") is never substituted.
 */
export function fillTemplate(template: string, values: {prompt: string; input: string; target?: string}): string {
	return template.replace(/\{(prompt|input|target)\}/g, (_, key: 'prompt' | 'input' | 'target') => values[key] ?? '');
}

/** The part of the plain template before the target: "{prompt}\n\nInput: {input}\nOutput: ". */
export function plainPrefix(prompt: string, input: string): string {
	const head = PLAIN_TEMPLATE.slice(0, PLAIN_TEMPLATE.indexOf('{target}'));
	return fillTemplate(head, {prompt, input});
}

/** Render the plain template with a target (no end-of-text token). */
export function renderPlain(prompt: string, input: string, target: string): RenderedText {
	const prefix = plainPrefix(prompt, input);
	return {text: prefix + target, targetStart: prefix.length};
}

/** A training text: the rendered template followed by END_OF_TEXT, so judges learn where an answer stops. */
export function trainingText(prompt: string, input: string, target: string): string {
	return renderPlain(prompt, input, target).text + END_OF_TEXT;
}
