/**
 * The structured reply every LLM generator asks for, `{edits: [{segment, op, text, rationale}]}`: its JSON Schema,
 * its validation (zod, against the segments actually offered), and the one-repair-then-fail request loop.
 */
import {z} from 'zod';
import {UserError} from '../errors.js';
import type {Edit, Segment} from '../core/types.js';
import type {ChatClient, ChatMessage, JsonFormat} from './chat.js';
import type {RetryNotice} from '../core/retry.js';
import {addUsage, noUsage, type TokenUsage} from './types.js';

const ops = ['replace', 'delete', 'insert_after'] as const;

/**
 * The schema sent as `response_format`. Strict structured output requires every property to be required, so
 * `text` and `rationale` always appear (a delete sends an empty text).
 */
export function editsJsonFormat(targets: string[]): JsonFormat {
	return {
		name: 'prompt_edits',
		schema: {
			type: 'object',
			additionalProperties: false,
			required: ['edits'],
			properties: {
				edits: {
					type: 'array',
					items: {
						type: 'object',
						additionalProperties: false,
						required: ['segment', 'op', 'text', 'rationale'],
						properties: {
							segment: {type: 'string', enum: targets},
							op: {type: 'string', enum: [...ops]},
							text: {type: 'string'},
							rationale: {type: 'string'},
						},
					},
				},
			},
		},
	};
}

function replySchema(targets: string[]) {
	const edit = z
		.object({
			segment: z.string().refine(id => targets.includes(id), {
				error: issue => `unknown segment ${JSON.stringify(issue.input)}: expected one of ${targets.join(', ')}`,
			}),
			op: z.enum(ops, {error: issue => `unknown op ${JSON.stringify(issue.input)}: expected one of ${ops.join(', ')}`}),
			text: z.string().optional(),
			rationale: z.string().optional(),
		})
		.refine(e => e.op === 'delete' || (e.text ?? '').trim() !== '', {
			error: 'replace and insert_after need a non-empty "text"',
			path: ['text'],
		});
	return z.object({edits: z.array(edit).min(1, {error: 'propose at least one edit'})});
}

/** Removes a Markdown code fence some models wrap around JSON even when asked not to. */
function stripFence(content: string): string {
	const m = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?```\s*$/.exec(content);
	return m ? m[1] : content;
}

/** Result of checking one reply. */
export type ParsedEdits = {ok: true; edits: Edit[]; notes: string[]} | {ok: false; error: string};

/** Parses and validates a reply against the segments offered for editing; drops no-ops and duplicates. */
export function parseEdits(content: string, segments: Segment[], targets: string[], count: number): ParsedEdits {
	let json: unknown;
	try {
		json = JSON.parse(stripFence(content));
	} catch (error) {
		return {ok: false, error: `the reply is not JSON (${(error as Error).message})`};
	}
	const parsed = replySchema(targets).safeParse(json);
	if (!parsed.success) {
		const issues = parsed.error.issues.slice(0, 8).map(i => `${i.path.join('.') || 'reply'}: ${i.message}`);
		return {ok: false, error: issues.join('; ')};
	}
	const byId = new Map(segments.map(s => [s.id, s]));
	const notes: string[] = [];
	const seen = new Set<string>();
	const edits: Edit[] = [];
	let dropped = 0;
	for (const raw of parsed.data.edits) {
		const segment = byId.get(raw.segment)!;
		// Whitespace is left to the edit applier (core/edits.ts), which gives bare text the segment's separators.
		const edit: Edit = {segment: raw.segment, op: raw.op};
		if (raw.op !== 'delete') edit.text = raw.text;
		if (raw.rationale) edit.rationale = raw.rationale;
		const key = `${edit.segment}\u0000${edit.op}\u0000${edit.text?.trim() ?? ''}`;
		if (seen.has(key) || (edit.op === 'replace' && edit.text!.trim() === segment.text.trim())) {
			dropped++;
			continue;
		}
		seen.add(key);
		edits.push(edit);
	}
	if (edits.length === 0) return {ok: false, error: 'every edit repeats another or leaves its segment unchanged'};
	if (dropped > 0) notes.push(`dropped ${dropped} duplicate or no-op edit(s)`);
	if (edits.length > count) {
		notes.push(`the generator proposed ${edits.length} edits; kept the first ${count}`);
		edits.length = count;
	} else if (edits.length < count) {
		notes.push(`the generator proposed ${edits.length} of the ${count} edits asked for`);
	}
	return {ok: true, edits, notes};
}

/** Options of one structured edit request. */
export type EditRequestOptions = {
	/** All segments of the prompt (for whitespace and no-op checks). */
	segments: Segment[];
	/** Ids the reply may edit. */
	targets: string[];
	/** Edits wanted. */
	count: number;
	/** Sampling temperature. */
	temperature?: number;
	/** Told before each retry of a request. */
	onRetry?: (notice: RetryNotice) => void;
};

/**
 * Asks for edits; a malformed reply gets ONE repair attempt (the validation error is sent back), then a UserError:
 * a model that cannot follow the format twice will not do better on a third try, and the user should know.
 */
export async function requestEdits(
	client: ChatClient,
	messages: ChatMessage[],
	options: EditRequestOptions,
	signal: AbortSignal,
): Promise<{edits: Edit[]; usage: TokenUsage; notes: string[]}> {
	const usage = noUsage();
	const json = editsJsonFormat(options.targets);
	const conversation = [...messages];
	let lastError = '';
	for (let attempt = 0; attempt < 2; attempt++) {
		const reply = await client.complete({messages: conversation, json, temperature: options.temperature, onRetry: options.onRetry}, signal);
		addUsage(usage, reply.usage);
		const parsed = parseEdits(reply.content, options.segments, options.targets, options.count);
		if (parsed.ok) {
			const notes = attempt > 0 ? ['the first reply was malformed and was repaired', ...parsed.notes] : parsed.notes;
			return {edits: parsed.edits, usage, notes};
		}
		lastError = parsed.error;
		conversation.push(
			{role: 'assistant', content: reply.content},
			{
				role: 'user',
				content: [
					`Your reply was not valid: ${parsed.error}.`,
					`Reply again with only the JSON object {"edits": [...]}, editing only segments ${options.targets.join(', ')}.`,
				].join(' '),
			},
		);
	}
	throw new UserError(`the generator model ${client.model} returned malformed edits twice: ${lastError}`, {
		field: 'generator',
	});
}
