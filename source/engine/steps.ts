/**
 * The work of a round, step by step: attribution (selection judges), choice of segments, proposal, scoring (every
 * judge, the current prompt and each candidate on the round's batch), test-split evaluation. Each step is appended
 * to the session log before the next one starts; cancels and errors are recorded in the round for the view.
 */
import {joinSegments} from '../core/segment.js';
import type {TaskExample} from '../core/task.js';
import type {JudgeLosses, Segment} from '../core/types.js';
import {isUserError} from '../errors.js';
import {JudgeUnavailableError} from '../judges/types.js';
import {proposeCandidates} from './candidates.js';
import type {EngineHost} from './host.js';
import {buildImportance, chooseTargets, hardExamples} from './importance.js';
import {finiteLosses, logScores} from './log-scores.js';
import {attributePrompt, scorePrompt, scorePrompts} from './measure.js';
import {plannedRungs, raceCalls, raceCandidates, racingSettings} from './racing.js';
import {isBlocked, type RoundWork} from './view.js';

/**
 * Does what the round still lacks: attribution, candidates (always when `regenerate`), scores. Stops at the first
 * cancel or error.
 */
export async function advance(host: EngineHost, work: RoundWork, regenerate: boolean): Promise<void> {
	work.cancelled = undefined;
	work.error = undefined;
	const examples = work.batch.map(i => host.task.data.train[i]);
	const texts = host.segments.map(s => s.text);
	let propose = regenerate || work.candidates.length === 0;
	if (!work.importance) {
		host.setStatus('attributing');
		const judges = host.selection;
		const result = await host.attempt(work, 'attribution', (signal, live) =>
			attributePrompt({judges, segments: texts, examples, objectives: host.objectives, signal, method: host.options.attribution, onProgress: host.progress(work, 'attribution', live)}),
		);
		if (!result) return;
		host.budget.spend({judgePasses: result.passes});
		Object.assign(work.current, result.losses);
		Object.assign(work.currentObjectives, result.objectiveLosses);
		work.exampleLosses = result.exampleLosses;
		for (const [judge, why] of Object.entries(result.fallbacks)) {
			const text = `judge ${judge} used leave-one-out: ${why}`;
			work.notes.push(text);
			host.emit({type: 'note', round: work.round, level: 'warn', text});
		}
		const segmentIds = host.segments.map(s => s.id);
		work.importance = buildImportance(result, {segmentIds, judges: judges.map(j => j.info.name), objectives: host.objectives, task: host.task});
		if (!retarget(host, work, work.override)) return;
		propose = true;
	}
	if (propose) {
		host.setStatus('proposing');
		const seen = new Set([joinSegments(host.segments), ...work.candidates.map(c => joinSegments(c.segments))]);
		const n = host.options.candidates ?? host.task.generator.candidates;
		const result = await host.attempt(work, 'proposal', signal =>
			proposeCandidates({
				generator: host.options.generator,
				segments: host.segments,
				importance: work.importance?.importance,
				targets: work.targets,
				perObjective: work.override ? undefined : work.perObjective,
				objectives: host.task.objectives,
				hardExamples: hardExamples(examples, work.exampleLosses, host.selection.map(j => j.info.name), host.options.hardExamples ?? 3),
				// Asking for more than N when regenerating lets a deterministic generator get past its first N.
				count: Math.min(64, n + work.candidates.length),
				keep: n,
				round: work.round,
				firstCandidate: work.candidates.length + 1,
				nextId: host.session.state.nextSegmentNumber,
				seen,
				signal,
				// A retry is said twice: as a note (the log of messages, headless lines) and in the progress (the TUI's status).
				onRetry: notice => {
					host.emit({type: 'note', round: work.round, level: 'warn', text: `generator: ${notice.reason}; attempt ${notice.attempt} of ${notice.of} in ${(notice.delayMs / 1000).toFixed(1)} s`});
					host.emit({type: 'progress', round: work.round, phase: 'proposal', done: 0, total: 0, detail: `attempt ${notice.attempt} of ${notice.of}`});
				},
			}),
		);
		if (!result) return;
		host.budget.spend({generatorTokens: result.usage.promptTokens + result.usage.completionTokens});
		host.session.append({type: 'candidates', round: work.round, candidates: result.candidates, usage: result.usage, notes: result.notes});
		work.candidates.push(...result.candidates);
		work.notes.push(...result.notes);
		host.emit({type: 'candidates-proposed', round: work.round, ...result});
	}
	await scoreRound(host, work, examples, texts);
}

/** Chooses the segments to edit (the user's override when given) and logs the attribution with them. */
export function retarget(host: EngineHost, work: RoundWork, override?: readonly string[]): boolean {
	try {
		const chosen = chooseTargets(host.segments, work.importance!, host.task.editSegments, override);
		work.targets = chosen.targets;
		work.perObjective = chosen.perObjective;
		if (work.importance!.objectives) work.importance!.objectives.targets = chosen.perObjective;
	} catch (error) {
		if (!isUserError(error)) throw error;
		work.error = {phase: 'decision', message: error.line, error};
		host.emit({type: 'error', round: work.round, ...work.error});
		return false;
	}
	const {importance, objectives} = work.importance!;
	host.session.append({type: 'attribution', round: work.round, importance, targets: work.targets, objectives: objectives?.vectors});
	host.emit({type: 'attribution-done', round: work.round, importance, targets: work.targets, objectives});
	return true;
}

async function scoreRound(host: EngineHost, work: RoundWork, examples: TaskExample[], texts: string[]): Promise<void> {
	const missing = host.heldout.filter(j => work.current[j.info.name] === undefined);
	const todo = work.candidates.filter(c => !work.scores.has(c.id) && !work.failed.has(c.id) && !work.dropped?.has(c.id) && !isBlocked(c, host.segments));
	if (missing.length > 0 || todo.length > 0) {
		host.setStatus('scoring');
		const rungs = plannedRungs(host, work, todo.length);
		const calls = rungs.length > 0 ? raceCalls(todo.length, rungs, racingSettings(host), host.heldout.length, examples.length) : todo.length;
		const total = calls + (missing.length > 0 ? 1 : 0);
		const judges = [...host.selection, ...host.heldout];
		const common = {examples, objectives: host.objectives};
		await host.attempt(work, 'scoring', async (signal, live) => {
			let done = 0;
			// Without racing, judges that batch across prompts (server judges) start on every candidate now.
			const scorers = rungs.length > 0 ? [] : scorePrompts({...common, judges, prompts: todo.map(c => c.segments.map(s => s.text)), signal});
			if (missing.length > 0) {
				const m = await scorePrompt({...common, judges: missing, segments: texts, signal});
				if (!live()) return;
				host.budget.spend({judgePasses: m.passes});
				Object.assign(work.current, m.losses);
				Object.assign(work.currentObjectives, m.objectiveLosses);
				// The held-out judges' per-example losses, for the per-example view.
				Object.assign(work.exampleLosses, m.exampleLosses);
				host.emit({type: 'candidate-scored', round: work.round, losses: {...work.current}, done: ++done, total});
			}
			if (rungs.length > 0) {
				const progress = host.progress(work, 'scoring', live);
				await raceCandidates(host, work, todo, examples, {
					signal,
					live,
					progress: () => progress(++done, total),
					onScored: (c, m) => host.emit({type: 'candidate-scored', round: work.round, candidate: c.id, losses: m.losses, done, total}),
				});
				return;
			}
			for (const [i, c] of todo.entries()) {
				let m;
				try {
					m = await scorers[i]!();
				} catch (error) {
					// A judge refusing one candidate (too long for its context) rules out the candidate, not the round; a
					// judge that cannot answer at all (its server is down) stops the round.
					if (!isUserError(error) || error instanceof JudgeUnavailableError || signal.aborted) throw error;
					if (!live()) return;
					work.failed.set(c.id, error.line);
					work.notes.push(`candidate ${c.id} cannot be scored: ${error.line}`);
					continue;
				}
				if (!live()) return;
				host.budget.spend({judgePasses: m.passes});
				work.scores.set(c.id, m);
				host.emit({type: 'candidate-scored', round: work.round, candidate: c.id, losses: m.losses, done: ++done, total});
			}
		});
	}
	logScores(host.session, work, host.viewContext());
}

/** Test-split losses of a prompt for every judge (undefined when cancelled or failed). */
export async function testLosses(host: EngineHost, work: RoundWork, segments: readonly Segment[]): Promise<JudgeLosses | undefined> {
	const judges = [...host.selection, ...host.heldout];
	const result = await host.attempt(work, 'evaluation', (signal, live) =>
		scorePrompt({judges, segments: segments.map(s => s.text), examples: host.task.data.test, objectives: host.objectives, signal, onProgress: host.progress(work, 'evaluation', live)}),
	);
	if (!result) return undefined;
	host.budget.spend({judgePasses: result.passes});
	return finiteLosses(result.losses);
}

