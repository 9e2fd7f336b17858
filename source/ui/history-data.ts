/**
 * What the history screen reads from the session's replayed state: the loss of each judge after each round (on
 * the test split when every round measured it, else on each round's own batch) and the accepted edits.
 */
import type {SessionState} from '../sessions/replay.js';
import type {Series} from './chart.js';

/** Loss series per judge over the finished rounds. */
export type LossHistory = {
	/** Round numbers. */
	rounds: number[];
	/** One series per judge. */
	series: Series[];
	/** Which losses: the test split, or each round's training batch. */
	split: 'test' | 'batch';
};

/** The judges' losses after each finished round. */
export function lossHistory(state: SessionState): LossHistory {
	const finished = state.rounds.filter(r => r.finished !== undefined);
	const test = finished.length > 0 && finished.every(r => r.testLosses !== undefined);
	const judges = [...new Set([...state.judges, ...finished.flatMap(r => Object.keys((test ? r.testLosses : r.lossesAfter) ?? {}))])];
	return {
		rounds: finished.map(r => r.round),
		split: test ? 'test' : 'batch',
		series: judges.map(name => ({name, values: finished.map(r => (test ? r.testLosses : (r.lossesAfter ?? r.losses))?.[name])})),
	};
}
