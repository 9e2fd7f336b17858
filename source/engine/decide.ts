/**
 * Applying a decision to the round in progress. Decisions that change the round (freeze, target, regenerate, a hand
 * edit) are logged and the round awaits again; decisions that end it (accept, pick, skip) are logged as one
 * `decision` event, fsynced, BEFORE anything else happens, then the round is finished. A hand edit does not end the
 * round: the edited prompt joins the candidates and is scored by every judge, so the user sees what it does before
 * taking it (applying it is then a pick, logged as an edit). An undo is logged and the round starts again. A
 * decision the user got wrong (an unknown segment, nothing to accept) becomes an error in the view, not a crash.
 */
import {joinSegments} from '../core/segment.js';
import type {Candidate, Edit, JudgeLosses, Segment} from '../core/types.js';
import {noUsage} from '../generators/types.js';
import {isUserError, UserError} from '../errors.js';
import {generateExamples} from './examples.js';
import {editPrompt, editSegment} from './hand-edit.js';
import {finiteLosses} from './log-scores.js';
import {scorePrompt} from './measure.js';
import type {EngineHost} from './host.js';
import {advance, retarget, testLosses as scoreTestSplit} from './steps.js';
import type {Decision} from './types.js';
import {transferAlarm} from './transfer.js';
import {isBlocked, type RoundWork} from './view.js';

/** How the round goes on: await another decision, finished, started again (after an undo), or the run ends. */
export type DecisionOutcome = 'again' | 'done' | 'restart' | 'quit';

type Ending = {action: 'accept' | 'pick' | 'edit' | 'skip'; candidate?: string; segments: Segment[]; edits: Edit[]; source?: string};

/** Applies one decision. */
export async function applyDecision(host: EngineHost, work: RoundWork, decision: Decision): Promise<DecisionOutcome> {
	work.error = undefined;
	try {
		switch (decision.kind) {
			case 'freeze':
				freeze(host, work, decision);
				return 'again';
			case 'target':
				await target(host, work, decision);
				return 'again';
			case 'regenerate':
				await advance(host, work, true);
				return 'again';
			case 'accept': {
				const best = host.viewOf(work).ranking?.best;
				if (!best) throw new UserError('there is no scored candidate to accept; regenerate, edit by hand or skip', {field: 'decision'});
				return await finish(host, work, decision, candidateEnding(host, work, best, 'accept'));
			}
			case 'pick':
				return await finish(host, work, decision, candidateEnding(host, work, decision.candidate, 'pick'));
			case 'edit-segment': {
				const edit = editSegment(host.segments, decision.segment, decision.text, {round: work.round, nextId: host.session.state.nextSegmentNumber});
				await addEdit(host, work, decision, edit);
				return 'again';
			}
			case 'edit-prompt': {
				const {mode, marker} = host.task.segmentation;
				const edit = editPrompt(host.segments, decision.prompt, {round: work.round, nextId: host.session.state.nextSegmentNumber, mode, marker});
				await addEdit(host, work, decision, edit);
				return 'again';
			}
			case 'skip':
				return await finish(host, work, decision, {action: 'skip', segments: host.segments, edits: []});
			case 'undo':
				return undo(host, work, decision);
			case 'examples':
				await generateExamples(host, work, decision.candidate);
				return 'again';
			case 'quit':
				return 'quit';
			default:
				throw new UserError(`unknown decision ${JSON.stringify((decision as {kind?: unknown}).kind)}`, {field: 'decision'});
		}
	} catch (error) {
		if (!isUserError(error)) throw error;
		work.error = {phase: 'decision', message: error.line, error};
		host.emit({type: 'error', round: work.round, ...work.error});
		return 'again';
	}
}

/** Reverts the last accepted change (logged, fsynced); the round's work was for the prompt it started with, so it starts again. */
function undo(host: EngineHost, work: RoundWork, decision: Decision): DecisionOutcome {
	const last = host.session.state.accepted.at(-1);
	if (!last) throw new UserError('there is nothing to undo: no accepted change is in effect', {field: 'decision'});
	host.session.append({type: 'undo', round: work.round});
	host.currentTest = undefined;
	host.emit({type: 'decision-applied', round: work.round, decision, segments: host.segments, candidate: last.candidate});
	return 'restart';
}

function freeze(host: EngineHost, work: RoundWork, decision: Extract<Decision, {kind: 'freeze'}>): void {
	const byId = new Map(host.segments.map(s => [s.id, s]));
	const unknown = decision.segments.filter(id => !byId.has(id));
	if (unknown.length > 0) {
		throw new UserError(`unknown segment ${unknown.join(', ')} (the prompt has ${[...byId.keys()].join(', ')})`, {field: 'segments'});
	}
	for (const id of new Set(decision.segments)) {
		if (Boolean(byId.get(id)!.frozen) !== decision.frozen) host.session.append({type: 'freeze', segment: id, frozen: decision.frozen});
	}
	// Frozen segments are not edit targets: choose again among the others (the candidates stay, blocked ones marked).
	if (decision.frozen && work.importance && work.targets.some(id => decision.segments.includes(id))) {
		const override = work.override?.filter(id => !decision.segments.includes(id));
		retarget(host, work, override && override.length > 0 ? override : undefined);
	}
	host.emit({type: 'decision-applied', round: work.round, decision, segments: host.segments});
}

/** The source of a candidate the user wrote. */
export const USER_SOURCE = 'user';

/** A hand edit becomes candidate e<n> of the round (logged like the generator's), then it is scored. */
async function addEdit(host: EngineHost, work: RoundWork, decision: Decision, edit: {segments: Segment[]; edits: Edit[]}): Promise<void> {
	const text = joinSegments(edit.segments);
	if (text === joinSegments(host.segments)) throw new UserError('the new prompt is the same as the current one', {field: 'prompt'});
	const same = work.candidates.find(c => joinSegments(c.segments) === text);
	if (same) throw new UserError(`that prompt is already candidate ${same.id}`, {field: 'prompt'});
	const id = `e${work.candidates.filter(c => c.source === USER_SOURCE).length + 1}`;
	const candidate: Candidate = {id, edits: edit.edits, segments: edit.segments, source: USER_SOURCE};
	host.session.append({type: 'candidates', round: work.round, candidates: [candidate], usage: noUsage(), notes: [`${id} is your edit`]});
	work.candidates.push(candidate);
	host.emit({type: 'candidates-proposed', round: work.round, candidates: [candidate], rejected: [], notes: [], usage: noUsage()});
	host.emit({type: 'decision-applied', round: work.round, decision, segments: host.segments, candidate: id});
	await advance(host, work, false);
}

async function target(host: EngineHost, work: RoundWork, decision: Extract<Decision, {kind: 'target'}>): Promise<void> {
	if (work.importance) {
		if (!retarget(host, work, decision.segments)) return;
	} else {
		// Attribution was cancelled: check the choice now, use it once attribution has run.
		const byId = new Map(host.segments.map(s => [s.id, s]));
		const bad = decision.segments.find(id => !byId.has(id) || byId.get(id)!.frozen);
		if (bad !== undefined || decision.segments.length === 0) {
			throw new UserError(bad === undefined ? 'choose at least one segment to edit' : `segment "${bad}" is unknown or frozen`, {field: 'segments'});
		}
	}
	work.override = [...new Set(decision.segments)];
	host.emit({type: 'decision-applied', round: work.round, decision, segments: host.segments});
	await advance(host, work, true);
}

function candidateEnding(host: EngineHost, work: RoundWork, id: string, action: 'accept' | 'pick'): Ending {
	const candidate = work.candidates.find(c => c.id === id);
	if (!candidate) {
		const known = work.candidates.map(c => c.id).join(', ') || 'none';
		throw new UserError(`unknown candidate "${id}" (this round has ${known})`, {field: 'candidate'});
	}
	if (isBlocked(candidate, host.segments)) throw new UserError(`candidate ${id} edits a frozen segment`, {field: 'candidate'});
	const failed = work.failed.get(id);
	if (failed) throw new UserError(`candidate ${id} cannot be scored (${failed})`, {field: 'candidate'});
	// Applying the user's own candidate is a hand edit in the history.
	return {action: candidate.source === USER_SOURCE ? 'edit' : action, candidate: id, segments: candidate.segments, edits: candidate.edits, source: candidate.source};
}

/** Logs the decision (fsynced), then measures what the round ends with and logs the end of the round. */
async function finish(host: EngineHost, work: RoundWork, decision: Decision, ending: Ending): Promise<DecisionOutcome> {
	host.setStatus('applying');
	host.session.append({type: 'decision', round: work.round, ...ending});
	host.emit({type: 'decision-applied', round: work.round, decision, segments: host.segments, candidate: ending.candidate});
	let losses: JudgeLosses | undefined;
	if (ending.candidate === undefined) losses = work.current;
	else if (work.scores.has(ending.candidate) || !work.dropped?.has(ending.candidate)) losses = work.scores.get(ending.candidate)?.losses;
	// A candidate racing dropped before the whole batch: scored now, so the history shows what it did.
	else losses = await scoreApplied(host, work);
	const testLosses = host.options.testEachRound ? await scoreTestSplit(host, work, host.segments) : undefined;
	// A skip keeps the prompt, so its test losses stay known even when this measurement was cancelled.
	host.currentTest = testLosses ?? (ending.action === 'skip' ? host.currentTest : undefined);
	const finite = losses && finiteLosses(losses);
	const known = finite && Object.keys(finite).length > 0 ? finite : undefined;
	host.session.append({type: 'round_finished', round: work.round, ...(known ? {losses: known} : {}), ...(testLosses ? {testLosses} : {})});
	host.budget.spend({rounds: 1});
	const names = (judges: readonly {info: {name: string}}[]) => judges.map(j => j.info.name);
	const alarm = ending.action === 'skip' ? undefined : transferAlarm(work.round, work.test, testLosses, names(host.selection), names(host.heldout));
	host.lastAlarm = alarm;
	if (alarm) host.emit({type: 'note', round: work.round, level: 'warn', text: alarm.text});
	host.emit({type: 'round-finished', round: work.round, changed: ending.action !== 'skip', losses: known, testLosses, alarm});
	if (alarm && host.task.transferAlarm === 'stop' && host.automatic) host.endRun(`stopped on the transfer alarm of round ${work.round} (the task's transferAlarm is stop)`);
	host.setStatus('idle');
	return 'done';
}

/** The batch losses of the prompt just applied (a candidate racing dropped before it reached the whole batch). */
async function scoreApplied(host: EngineHost, work: RoundWork): Promise<JudgeLosses | undefined> {
	const judges = [...host.selection, ...host.heldout];
	const examples = work.batch.map(i => host.task.data.train[i]);
	const segments = host.segments.map(s => s.text);
	const m = await host.attempt(work, 'scoring', signal => scorePrompt({judges, segments, examples, objectives: host.objectives, signal}));
	if (m) host.budget.spend({judgePasses: m.passes});
	return m?.losses;
}
