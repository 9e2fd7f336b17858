/**
 * The judge's text for (prompt segments, input, target): a plain template or the model's chat template, with the span
 * of every segment, of the input and of the target inside it.
 *
 * Spans are known by construction, never by searching for the segment text (a segment may occur twice, or inside the
 * template): the text is assembled from the template's fixed parts and the contents, and each span is where its
 * content was put. For a chat template the fixed parts are found by rendering it once with marker strings as the
 * message contents; the real rendering must then equal the assembled text, which proves the template places the
 * prompt and input verbatim. A template that trims, escapes, repeats or drops them is refused with an error naming
 * the judge.
 */
import {Template} from '@huggingface/jinja';
import {UserError} from '../errors.js';
import type {JudgeFormat} from './judge-config.js';

/** A [start, end) range of UTF-16 units in the rendered text. */
export type Span = {start: number; end: number};

/** The text a judge scores, and where each part of it is. */
export type RenderedText = {
	/** The full text: context (template, prompt, input) followed by the target. */
	text: string;
	/** One span per prompt segment, in order; an empty segment has an empty span at its position. */
	segments: Span[];
	/** The whole prompt (the segments concatenated). */
	prompt: Span;
	/** The input. */
	input: Span;
	/** The scored part: a plain format's target prefix and the target; always at the end of the text. */
	target: Span;
};

/** Renders the text of one judge. */
export type JudgeFormatter = {
	/** Lays out the prompt (as its segments' texts, concatenated in order), the input and the target. */
	render(segments: readonly string[], input: string, target: string): RenderedText;
};

/** What a formatter is built from. */
export type FormatterOptions = {
	/** Judge name, for error messages. */
	judge: string;
	/** The validated format from judge.json. */
	format: JudgeFormat;
	/** The Jinja chat template (needed for a chat format). */
	chatTemplate?: string;
	/** Special-token strings passed to the chat template (bos_token, eos_token, ...), as transformers does. */
	specialTokens?: Record<string, string>;
};

/** The fixed parts around the two contents, in text order. */
type Skeleton = {
	/** Which content comes first. */
	order: ['prompt', 'input'] | ['input', 'prompt'];
	/** Text before the first content, between the two, after the second. */
	parts: [string, string, string];
};

const PROMPT_MARK = 'GMPOPROMPTMARK7f3a9c';
const INPUT_MARK = 'GMPOINPUTMARK7f3a9c';

/** Builds the formatter of one judge; a chat template is parsed and tried once here so errors show up early. */
export function createFormatter(options: FormatterOptions): JudgeFormatter {
	const {format, judge} = options;
	if (format.type === 'plain') {
		const skeleton = plainSkeleton(format.template);
		return {render: (segments, input, target) => assemble(skeleton, segments, input, format.targetPrefix + target)};
	}
	const source = format.template ?? options.chatTemplate;
	if (source === undefined) {
		throw new UserError(`judge "${judge}" uses a chat format but has no chat template`);
	}
	let template: Template;
	try {
		template = new Template(source);
	} catch (error) {
		throw new UserError(`judge "${judge}": its chat template does not parse: ${messageOf(error)}`);
	}
	const renderChat = (prompt: string, input: string) => {
		try {
			return template.render({
				...options.specialTokens,
				messages: [
					{role: 'system', content: prompt},
					{role: 'user', content: input},
				],
				// transformers passes these as None when absent; templates test `tools is not none`.
				tools: null,
				documents: null,
				add_generation_prompt: true,
			});
		} catch (error) {
			throw new UserError(`judge "${judge}": its chat template failed: ${messageOf(error)}`);
		}
	};
	const skeletonOf = () => chatSkeleton(judge, renderChat(PROMPT_MARK, INPUT_MARK));
	skeletonOf();
	return {
		render(segments, input, target) {
			// Re-derived per call: a template may print the date or branch on the messages.
			const rendered = assemble(skeletonOf(), segments, input, target);
			const real = renderChat(segments.join(''), input);
			if (real !== rendered.text.slice(0, rendered.target.start)) {
				throw new UserError(
					`judge "${judge}": its chat template does not put the prompt and input into the text verbatim ` +
						'(it trims, escapes or rewrites them), so segments cannot be located; use a plain format or a template ' +
						'that prints message content as is',
				);
			}
			return rendered;
		},
	};
}

function plainSkeleton(template: string): Skeleton {
	const [before, afterPrompt] = splitOnce(template, '{prompt}');
	if (afterPrompt.includes('{input}')) {
		const [between, after] = splitOnce(afterPrompt, '{input}');
		return {order: ['prompt', 'input'], parts: [before, between, after]};
	}
	// The schema guarantees {input} occurs once, so here it is before {prompt}.
	const [first, between] = splitOnce(before, '{input}');
	return {order: ['input', 'prompt'], parts: [first, between, afterPrompt]};
}

function chatSkeleton(judge: string, text: string): Skeleton {
	const count = (mark: string) => text.split(mark).length - 1;
	for (const [mark, what] of [
		[PROMPT_MARK, 'system message (the prompt)'],
		[INPUT_MARK, 'user message (the input)'],
	] as const) {
		const n = count(mark);
		if (n !== 1) {
			throw new UserError(
				`judge "${judge}": its chat template ${n === 0 ? 'does not print' : `prints ${n} times`} the ${what}; ` +
					'segments need it exactly once, verbatim (use a plain format for this model)',
			);
		}
	}
	const promptAt = text.indexOf(PROMPT_MARK);
	const inputAt = text.indexOf(INPUT_MARK);
	if (promptAt < inputAt) {
		const [before, rest] = splitOnce(text, PROMPT_MARK);
		const [between, after] = splitOnce(rest, INPUT_MARK);
		return {order: ['prompt', 'input'], parts: [before, between, after]};
	}
	const [before, rest] = splitOnce(text, INPUT_MARK);
	const [between, after] = splitOnce(rest, PROMPT_MARK);
	return {order: ['input', 'prompt'], parts: [before, between, after]};
}

function assemble(skeleton: Skeleton, segments: readonly string[], input: string, target: string): RenderedText {
	const [before, between, after] = skeleton.parts;
	const prompt = segments.join('');
	const [first, second] = skeleton.order[0] === 'prompt' ? [prompt, input] : [input, prompt];
	const firstAt = before.length;
	const secondAt = firstAt + first.length + between.length;
	const promptAt = skeleton.order[0] === 'prompt' ? firstAt : secondAt;
	const inputAt = skeleton.order[0] === 'prompt' ? secondAt : firstAt;
	const context = before + first + between + second + after;
	const spans: Span[] = [];
	let at = promptAt;
	for (const segment of segments) {
		spans.push({start: at, end: at + segment.length});
		at += segment.length;
	}
	return {
		text: context + target,
		segments: spans,
		prompt: {start: promptAt, end: promptAt + prompt.length},
		input: {start: inputAt, end: inputAt + input.length},
		target: {start: context.length, end: context.length + target.length},
	};
}

function splitOnce(text: string, part: string): [string, string] {
	const at = text.indexOf(part);
	return [text.slice(0, at), text.slice(at + part.length)];
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
