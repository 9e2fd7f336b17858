/**
 * From a generator's proposal to candidates: edits grouped (a swap or merge is one candidate), applied to the
 * current segments with lineage, invalid ones set aside with their reasons, and duplicates (of the current prompt or
 * of a candidate already in the round) dropped. In multi-objective mode "separate" each objective gets its own
 * generator call for its own segments.
 */
import {applyEdits} from '../core/edits.js';
import {joinSegments} from '../core/segment.js';
import type {Candidate, Segment, SegmentImportance} from '../core/types.js';
import {addUsage, groupEdits, noUsage, type Generator, type HardExample, type RequestObjective, type RetryNotice, type TokenUsage} from '../generators/types.js';
import type {RejectedEdits} from './types.js';

/** What a proposal needs. */
export type ProposeInput = {
	/** The generator. */
	generator: Generator;
	/** The current prompt. */
	segments: Segment[];
	/** The round's importances (shown to the generator). */
	importance?: SegmentImportance;
	/** Segments to edit. */
	targets: string[];
	/** Per objective, its own segments (mode "separate": one call each). */
	perObjective?: Record<string, string[]>;
	/** The task's objectives. */
	objectives?: RequestObjective[];
	/** Hard examples. */
	hardExamples: HardExample[];
	/** Candidates asked of the generator. */
	count: number;
	/** At most this many new candidates are kept (default: count). */
	keep?: number;
	/** Round number. */
	round: number;
	/** Number of the next candidate id ("c<n>"). */
	firstCandidate: number;
	/** Next free segment id number. */
	nextId: number;
	/** Prompt texts already in the round (the current one and earlier candidates): not proposed again. */
	seen: Set<string>;
	/** Cancels the generator. */
	signal: AbortSignal;
	/** Told before the generator retries a failed request. */
	onRetry?: (notice: RetryNotice) => void;
};

/** What came of a proposal. */
export type ProposeOutput = {
	/** New candidates. */
	candidates: Candidate[];
	/** Proposals that could not be applied. */
	rejected: RejectedEdits[];
	/** Generator notes, and how many duplicates were dropped. */
	notes: string[];
	/** Tokens spent. */
	usage: TokenUsage;
};

/** Asks the generator for edits and turns them into candidates. */
export async function proposeCandidates(input: ProposeInput): Promise<ProposeOutput> {
	const score = new Map(input.importance?.segmentIds.map((id, i) => [id, input.importance!.aggregate[i]]) ?? []);
	const segments = input.segments.map(s => (score.has(s.id) ? {...s, importance: score.get(s.id)} : {...s}));
	const calls: {targets: string[]; objectives?: RequestObjective[]; count: number}[] = [];
	if (input.perObjective && input.objectives) {
		const names = input.objectives.map(o => o.name).filter(n => (input.perObjective![n] ?? []).length > 0);
		names.forEach((name, i) => {
			const count = Math.floor(input.count / names.length) + (i < input.count % names.length ? 1 : 0);
			if (count > 0) calls.push({targets: input.perObjective![name], objectives: input.objectives!.filter(o => o.name === name), count});
		});
	} else if (input.targets.length > 0) {
		calls.push({targets: input.targets, objectives: input.objectives, count: input.count});
	}
	const out: ProposeOutput = {candidates: [], rejected: [], notes: [], usage: noUsage()};
	if (calls.length === 0) out.notes.push('no segment can be edited (every segment is frozen)');
	let nextCandidate = input.firstCandidate;
	let nextId = input.nextId;
	let duplicates = 0;
	for (const call of calls) {
		input.signal.throwIfAborted();
		const proposal = await input.generator.propose(
			{segments, targets: call.targets, hardExamples: input.hardExamples, count: call.count, objectives: call.objectives, round: input.round, onRetry: input.onRetry},
			input.signal,
		);
		addUsage(out.usage, proposal.usage);
		out.notes.push(...(proposal.notes ?? []));
		for (const edits of groupEdits(proposal.edits)) {
			if (out.candidates.length >= (input.keep ?? input.count)) break;
			const id = `c${nextCandidate}`;
			const result = applyEdits(input.segments, edits, {round: input.round, candidateId: id, nextId});
			if (!result.ok) {
				out.rejected.push({edits, errors: result.errors});
				continue;
			}
			const text = joinSegments(result.segments);
			if (input.seen.has(text)) {
				duplicates++;
				continue;
			}
			input.seen.add(text);
			nextCandidate++;
			nextId = result.nextId;
			out.candidates.push({id, edits, segments: result.segments, source: input.generator.name});
		}
	}
	if (duplicates > 0) out.notes.push(`${duplicates} proposed edit(s) gave a prompt already in this round and were dropped`);
	for (const r of out.rejected) out.notes.push(`rejected edit: ${r.errors.join('; ')}`);
	return out;
}
