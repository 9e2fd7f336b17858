/**
 * The session log's schema (zod): one JSON object per line of `events.jsonl`, each `{"v":1,"seq":n,"time":...,
 * "type":...}`. Data objects (segments, candidates, importances) are loose, so that fields the engine adds later
 * survive a round trip instead of being silently dropped.
 */
import {z} from 'zod';

/** The log format version this build reads and writes. */
export const schemaVersion = 1;

const judgeLosses = z.record(z.string(), z.number());

const segment = z.looseObject({
	id: z.string().min(1),
	text: z.string(),
	frozen: z.boolean().optional(),
});

const edit = z.looseObject({
	segment: z.string().min(1),
	op: z.enum(['replace', 'delete', 'insert_after']),
	text: z.string().optional(),
	rationale: z.string().optional(),
});

const candidate = z.looseObject({
	id: z.string().min(1),
	edits: z.array(edit),
	segments: z.array(segment),
	source: z.string(),
});

const importance = z.looseObject({
	segmentIds: z.array(z.string()),
	perJudge: z.record(z.string(), z.array(z.number())),
	aggregate: z.array(z.number()),
	agreement: z.array(z.looseObject({a: z.string(), b: z.string(), tau: z.number()})),
	method: z.enum(['gradient', 'loo']),
	/** Why judges fell back to leave-one-out, by judge. */
	fallbacks: z.record(z.string(), z.string()).optional(),
});

const usage = z.object({promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0)});

const round = z.number().int().min(1);

/** Fields every line carries. */
const header = {
	v: z.literal(schemaVersion),
	seq: z.number().int().min(1),
	time: z.string().min(1),
};

/** The first line: the session exists, with its initial prompt. */
const created = z.object({
	...header,
	type: z.literal('created'),
	/** The session id (the folder name). */
	id: z.string().min(1),
	/** Hash of the task snapshot ("sha256:<hex>", see snapshot.ts); absent in logs written before it was recorded. */
	taskHash: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
	/** The initial prompt's segments. */
	segments: z.array(segment),
	/** Judges used for selection and held out, by name. */
	judges: z.array(z.string()).default([]),
	/** Generator kind and model (never its key). */
	generator: z.looseObject({kind: z.string(), model: z.string().optional(), baseUrl: z.string().optional()}).optional(),
});

const roundStarted = z.object({
	...header,
	type: z.literal('round_started'),
	round,
	/** Indices of the training examples in this round's minibatch. */
	batch: z.array(z.number().int().min(0)).optional(),
	/** Per-judge test-split losses of the prompt the round starts with, when measured (round 1's: round 0). */
	testLosses: judgeLosses.optional(),
});

const attribution = z.object({
	...header,
	type: z.literal('attribution'),
	round,
	importance,
	/** Segment ids chosen for editing. */
	targets: z.array(z.string()),
	/** Per-objective aggregated segment vectors, for multi-objective tasks. */
	objectives: z.record(z.string(), z.array(z.number())).optional(),
});

const candidates = z.object({
	...header,
	type: z.literal('candidates'),
	round,
	candidates: z.array(candidate),
	/** Generator tokens spent for them. */
	usage: usage.optional(),
	/** The generator's notes. */
	notes: z.array(z.string()).optional(),
});

const scored = z.object({
	...header,
	type: z.literal('scored'),
	round,
	/** Candidate id; absent for the current prompt. */
	candidate: z.string().optional(),
	/** Which split the losses are on (default train). */
	split: z.enum(['train', 'test']).optional(),
	/** Loss per judge. */
	losses: judgeLosses,
	/** The aggregate the ranking used (candidates only): the mean decrease in nats/token since issue 16, a relative improvement before. */
	aggregate: z.number().optional(),
});

const decision = z.object({
	...header,
	type: z.literal('decision'),
	round,
	action: z.enum(['accept', 'pick', 'edit', 'skip']),
	/** The accepted or picked candidate (accept, pick). */
	candidate: z.string().optional(),
	/** The edits that were applied (empty for skip; a hand edit may list none). */
	edits: z.array(edit).default([]),
	/** The prompt's segments after the decision. */
	segments: z.array(segment),
	/** Where the applied candidate came from (generator name, or "user"). */
	source: z.string().optional(),
});

const roundFinished = z.object({
	...header,
	type: z.literal('round_finished'),
	round,
	/** Per-judge losses of the prompt the round ends with, when measured. */
	losses: judgeLosses.optional(),
	/** Per-judge losses on the test split, when measured (held-out judges included). */
	testLosses: judgeLosses.optional(),
});

const freeze = z.object({
	...header,
	type: z.literal('freeze'),
	segment: z.string().min(1),
	frozen: z.boolean(),
});

/** The last accepted change still in effect is reverted: the prompt is as it was before it. */
const undo = z.object({
	...header,
	type: z.literal('undo'),
	/** The round in progress when it was undone (that round is started again). */
	round: round.optional(),
});

/** The session's name, as the user gave it (the id stays the folder's name). */
const named = z.object({
	...header,
	type: z.literal('named'),
	name: z.string(),
});

const note = z.object({
	...header,
	type: z.literal('note'),
	text: z.string(),
	level: z.enum(['info', 'warn']).optional(),
	round: round.optional(),
});

/** Any line of the log. */
export const eventSchema = z.discriminatedUnion('type', [
	created,
	roundStarted,
	attribution,
	candidates,
	scored,
	decision,
	roundFinished,
	freeze,
	undo,
	named,
	note,
]);

/** A parsed log line. */
export type SessionEvent = z.infer<typeof eventSchema>;
/** The event types. */
export type SessionEventType = SessionEvent['type'];
/** What a writer supplies: a line without its header (v, seq, time), which the store fills in. */
export type EventDraft = DraftOf<z.input<typeof eventSchema>>;
type DraftOf<E> = E extends {type: string} ? Omit<E, 'v' | 'seq' | 'time'> : never;
