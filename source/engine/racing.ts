/**
 * Racing the round's candidates (successive halving, see core/racing.ts): the selection judges score every
 * candidate on the first rung of the batch, the better half by the task's aggregate (loss decrease in nats/token on the
 * rung's examples from the current prompt, ranked as the round's decision ranks, whose per-example losses attribution already gave) goes on, the rung
 * doubles; the survivors are scored on the rest of the batch, and by the held-out judges on all of it, so the
 * decision ranks full-batch scores. Held-out judges never score a candidate that is dropped: they only report.
 *
 * A judge pass over n of the batch's B examples is counted as n/B of a pass in the budget.
 */
import {decide} from '../core/accept.js';
import {keepCount, racingRungs, type RacingSettings} from '../core/racing.js';
import type {TaskExample} from '../core/task.js';
import type {Candidate} from '../core/types.js';
import {isUserError} from '../errors.js';
import type {EngineHost} from './host.js';
import {mergeMeasurements, scorePrompt, weightedMean, weightOf, type Measurement} from './measure.js';
import type {RoundWork} from './view.js';
export type {RacingDrop} from './types.js';

/** The racing settings in force: the engine's override, else the task's. */
export function racingSettings(host: EngineHost): RacingSettings {
	return host.options.racing ?? host.task.racing;
}

/**
 * The rungs a race of `candidates` would use this round, or none when the round cannot race (racing off, too few
 * candidates, or the current prompt's per-example losses missing for a selection judge).
 */
export function plannedRungs(host: EngineHost, work: RoundWork, candidates: number): number[] {
	const batch = work.batch.length;
	const ready = host.selection.every(j => work.exampleLosses[j.info.name]?.length === batch);
	return ready ? racingRungs(batch, candidates, racingSettings(host)) : [];
}

const range = (from: number, to: number) => Array.from({length: Math.max(0, to - from)}, (_, i) => from + i);

/**
 * Races `todo` on the round's batch: dropped candidates go to `work.dropped`, survivors get full-batch scores in
 * `work.scores`. `onScored` is called for each survivor; `progress` after every judge call.
 */
export async function raceCandidates(
	host: EngineHost,
	work: RoundWork,
	todo: readonly Candidate[],
	examples: readonly TaskExample[],
	io: {signal: AbortSignal; live: () => boolean; onScored: (c: Candidate, m: Measurement) => void; progress: () => void},
): Promise<void> {
	const settings = racingSettings(host);
	const rungs = plannedRungs(host, work, todo.length);
	const B = examples.length;
	const selection = host.selection.map(j => j.info.name);
	const weights = examples.map(weightOf);
	const parts = new Map<string, {positions: number[]; measurement: Measurement}[]>(todo.map(c => [c.id, []]));
	const dropped = (work.dropped ??= new Map());
	const spend = (m: Measurement, n: number) => host.budget.spend({judgePasses: (m.passes * n) / B});
	/** Scores a candidate on some of the batch; undefined when a judge refused it (it is then out of the race). */
	const score = async (c: Candidate, judges: EngineHost['selection'], positions: number[]): Promise<Measurement | undefined> => {
		try {
			return await scorePrompt({judges, segments: c.segments.map(s => s.text), examples: positions.map(p => examples[p]!), objectives: host.objectives, signal: io.signal});
		} catch (error) {
			// A judge refusing one candidate (too long for its context) rules out the candidate, not the round.
			if (!isUserError(error) || io.signal.aborted) throw error;
			if (io.live()) {
				work.failed.set(c.id, error.line);
				work.notes.push(`candidate ${c.id} cannot be scored: ${error.line}`);
			}
			return undefined;
		}
	};
	let field = [...todo];
	let done = 0;
	const summary: string[] = [];
	for (const [i, size] of rungs.entries()) {
		const positions = range(done, size);
		const next: Candidate[] = [];
		for (const c of field) {
			const m = await score(c, host.selection, positions);
			if (!io.live()) return;
			io.progress();
			if (!m) continue;
			spend(m, positions.length);
			parts.get(c.id)!.push({positions, measurement: m});
			next.push(c);
		}
		// Rank on every example seen so far: the rung's, and those of the rungs before it.
		const seen = range(0, size);
		const current = Object.fromEntries(selection.map(j => [j, weightedMean(seen.map(p => work.exampleLosses[j]![p]!), seen.map(p => weights[p]!))]));
		const ranking = decide({
			current,
			candidates: next.map(c => ({id: c.id, losses: mergeMeasurements(parts.get(c.id)!, examples.slice(0, size), host.objectives).losses})),
			selection,
			heldout: [],
			aggregation: host.task.aggregation,
			threshold: host.task.threshold,
			// As the decision ranks (view.ts): decreases in nats/token, not relative changes.
			normalisation: 'none',
		});
		const keep = new Set(ranking.candidates.slice(0, keepCount(next.length, settings)).map(s => s.id));
		const out = ranking.candidates.filter(s => !keep.has(s.id));
		for (const s of out) dropped.set(s.id, {rung: i + 1, examples: size, aggregate: s.aggregate});
		if (out.length > 0) summary.push(`${out.map(s => s.id).join(', ')} after rung ${i + 1} (${size} examples)`);
		field = next.filter(c => keep.has(c.id));
		done = size;
	}
	const rest = range(done, B);
	for (const c of field) {
		const selected = rest.length > 0 ? await score(c, host.selection, rest) : undefined;
		if (!io.live()) return;
		if (rest.length > 0) {
			io.progress();
			if (!selected) continue;
			spend(selected, rest.length);
		}
		const held = host.heldout.length > 0 ? await score(c, host.heldout, range(0, B)) : undefined;
		if (!io.live()) return;
		if (host.heldout.length > 0) {
			io.progress();
			if (!held) continue;
			spend(held, B);
		}
		const pieces = [...parts.get(c.id)!, ...(selected ? [{positions: rest, measurement: selected}] : [])];
		const full = mergeMeasurements(pieces, examples, host.objectives);
		const m = held ? joinJudges(full, held) : full;
		work.scores.set(c.id, m);
		io.onScored(c, m);
	}
	if (rungs.length > 0) {
		work.notes.push(`racing: ${todo.length} candidates on ${[...rungs, B].join(', ')} of ${B} examples; dropped ${summary.join('; ') || 'none'}`);
	}
}

/** The number of judge calls a race makes when nothing fails (for progress). */
export function raceCalls(candidates: number, rungs: readonly number[], settings: RacingSettings, heldout: number, batch: number): number {
	let field = candidates;
	let calls = 0;
	for (let i = 0; i < rungs.length; i++) {
		calls += field;
		field = keepCount(field, settings);
	}
	const restCalls = (rungs.at(-1) ?? 0) < batch ? 1 : 0;
	return calls + field * (restCalls + (heldout > 0 ? 1 : 0));
}

/** One measurement holding the judges of both (different judges, same examples). */
function joinJudges(a: Measurement, b: Measurement): Measurement {
	return {
		losses: {...a.losses, ...b.losses},
		objectiveLosses: {...a.objectiveLosses, ...b.objectiveLosses},
		exampleLosses: {...a.exampleLosses, ...b.exampleLosses},
		objectiveExampleLosses: {...a.objectiveExampleLosses, ...b.objectiveExampleLosses},
		passes: a.passes + b.passes,
	};
}
