/**
 * The offline generator: deterministic edit operators that need no network (delete, swap with a neighbour, replace
 * with a phrase from the task's phrase bank, merge with the next segment). Used by the demo, by tests and as a
 * baseline. The same (seed, round) and the same request give the same edits.
 */
import type {Segment} from '../core/types.js';
import {checkRequest} from './direct.js';
import {noUsage, type Generator, type Proposal, type ProposalRequest, type ProposedEdit} from './types.js';
import {mulberry32} from '../core/random.js';

/**
 * Phrases that say nothing about any task, for probing a judge's bias (bench/bias.ts): a judge that likes them has
 * learnt a spurious cue. "Certainly!" is the one the biased benchmark judge was taught (source/training/bias.ts).
 */
export const SPURIOUS_PHRASES: readonly string[] = ['Certainly!'];

/** Options of the offline generator. */
export type OfflineOptions = {
	/** The task's seed; combined with the round number. */
	seed: number;
	/** Replacement phrases (the task's `phraseBank`). */
	phraseBank: string[];
	/** Also offer SPURIOUS_PHRASES as replacements (default false). */
	spurious?: boolean;
};

type Kind = 'delete' | 'swap' | 'phrase' | 'merge';

/** One candidate: one edit, or two edits applied together (swap, merge). */
type Option = {kind: Kind; edits: ProposedEdit[]};

const rng = mulberry32;

function shuffle<T>(items: T[], random: () => number): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

/** A segment's text as leading whitespace, body and trailing whitespace, so operators move words, not separators. */
function parts(text: string): {lead: string; body: string; trail: string} {
	const lead = /^\s*/.exec(text)![0];
	const body = text.slice(lead.length).trimEnd();
	return {lead, body, trail: text.slice(lead.length + body.length)};
}

/** Lower-cases a sentence's first letter unless the first word looks like a name or acronym ("I", "JSON"). */
function lowerFirst(body: string): string {
	return /^[A-Z][a-z]/.test(body) ? body[0].toLowerCase() + body.slice(1) : body;
}

function options(request: ProposalRequest, bank: string[]): Option[] {
	const segs = request.segments;
	const index = new Map(segs.map((s, i) => [s.id, i]));
	const nonEmpty = segs.filter(s => s.text.trim() !== '').length;
	const editable = (s: Segment | undefined): s is Segment => s !== undefined && !s.frozen && s.text.trim() !== '';
	const out: Option[] = [];
	const seen = new Set<string>();
	const add = (kind: Kind, edits: ProposedEdit[]) => {
		const key = JSON.stringify(edits.map(e => [e.segment, e.op, e.text ?? '']));
		if (seen.has(key)) return;
		seen.add(key);
		out.push({kind, edits});
	};
	const swap = (a: Segment, b: Segment) => {
		const [pa, pb] = [parts(a.text), parts(b.text)];
		if (pa.body === pb.body) return;
		// The pair is keyed in prompt order so that swapping s2 with s3 and s3 with s2 count as one option.
		const [first, second] = index.get(a.id)! < index.get(b.id)! ? [a, b] : [b, a];
		const [pf, ps] = first === a ? [pa, pb] : [pb, pa];
		const why = `offline: swap ${first.id} and ${second.id}`;
		add('swap', [
			{segment: first.id, op: 'replace', text: pf.lead + ps.body + pf.trail, rationale: why},
			{segment: second.id, op: 'replace', text: ps.lead + pf.body + ps.trail, rationale: why},
		]);
	};
	for (const id of request.targets) {
		const k = index.get(id)!;
		const seg = segs[k];
		if (!editable(seg)) continue;
		const p = parts(seg.text);
		if (nonEmpty > 1) add('delete', [{segment: id, op: 'delete', rationale: `offline: delete ${id}`}]);
		for (const neighbour of [segs[k - 1], segs[k + 1]]) if (editable(neighbour)) swap(seg, neighbour);
		for (const phrase of bank) {
			const body = phrase.trim();
			if (body === '' || body === p.body) continue;
			add('phrase', [
				{segment: id, op: 'replace', text: p.lead + body + p.trail, rationale: `offline: replace ${id} with a phrase from the phrase bank`},
			]);
		}
		const next = segs[k + 1];
		if (editable(next)) {
			const q = parts(next.text);
			const joined = `${p.body.replace(/[.!?;:,]+$/, '')}; ${lowerFirst(q.body)}`;
			const why = `offline: merge ${id} with ${next.id}`;
			add('merge', [
				{segment: id, op: 'replace', text: p.lead + joined + q.trail, rationale: why},
				{segment: next.id, op: 'delete', rationale: why},
			]);
		}
	}
	return out;
}

/**
 * Orders the options so that the first N mix the operators: each operator's options are shuffled, the operators
 * take turns in a shuffled order. Without this, a large phrase bank would crowd out every structural edit.
 */
function arrange(all: Option[], random: () => number): Option[] {
	const kinds = shuffle(['delete', 'swap', 'phrase', 'merge'] as Kind[], random);
	const queues = kinds.map(kind => shuffle(all.filter(o => o.kind === kind), random));
	const out: Option[] = [];
	while (queues.some(q => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
	return out;
}

/** Creates the offline generator. */
export function createOfflineGenerator(config: OfflineOptions): Generator {
	return {
		name: 'offline',
		async propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal> {
			signal.throwIfAborted();
			checkRequest(request);
			// Seed and round are mixed with two odd constants so that neighbouring seeds and rounds diverge at once.
			const random = rng(Math.imul(config.seed, 0x9e3779b1) ^ Math.imul(request.round, 0x85ebca6b));
			const bank = config.spurious ? [...config.phraseBank, ...SPURIOUS_PHRASES.filter(p => !config.phraseBank.includes(p))] : config.phraseBank;
			const all = arrange(options(request, bank), random);
			const chosen = all.slice(0, request.count);
			const notes = [`offline generator: deterministic edit operators (seed ${config.seed}, round ${request.round}), no LLM`];
			if (chosen.length < request.count) {
				notes.push(
					`only ${chosen.length} distinct edits of ${request.targets.join(', ') || 'no segment'} are possible; ${request.count} were asked for`,
				);
			}
			if (config.phraseBank.length === 0) notes.push('the task has no phrase bank, so no replacements were proposed');
			const edits = chosen.flatMap((o, i) =>
				o.edits.length > 1 ? o.edits.map(e => ({...e, group: `r${request.round}-${i + 1}`})) : o.edits,
			);
			return {edits, usage: noUsage(), notes};
		},
	};
}
