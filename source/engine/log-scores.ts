/**
 * Writing a round's scores to the session log: the current prompt's losses once every judge has scored it, then each
 * newly scored candidate with its aggregate relative improvement. Non-finite numbers are left out (JSON cannot hold
 * them, and a judge that returned one is reported in the view, not in the log).
 */
import type {JudgeLosses} from '../core/types.js';
import type {EngineSession} from './host.js';
import {rankCandidates, type RoundWork, type ViewContext} from './view.js';

/** The finite entries of a loss record. */
export function finiteLosses(losses: JudgeLosses): JudgeLosses {
	return Object.fromEntries(Object.entries(losses).filter(([, v]) => Number.isFinite(v)));
}

/** Appends the scores not yet in the log. */
export function logScores(session: EngineSession, work: RoundWork, context: ViewContext): void {
	const judges = [...context.selection, ...context.heldout];
	if (!work.currentLogged && judges.every(j => work.current[j] !== undefined)) {
		session.append({type: 'scored', round: work.round, losses: finiteLosses(work.current)});
		work.currentLogged = true;
	}
	if (!work.currentLogged) return;
	const ranking = rankCandidates(work, context);
	for (const c of work.candidates) {
		const m = work.scores.get(c.id);
		if (!m || work.logged.has(c.id)) continue;
		const aggregate = ranking?.candidates.find(s => s.id === c.id)?.aggregate;
		session.append({
			type: 'scored',
			round: work.round,
			candidate: c.id,
			losses: finiteLosses(m.losses),
			...(aggregate !== undefined && Number.isFinite(aggregate) ? {aggregate} : {}),
		});
		work.logged.add(c.id);
	}
}
