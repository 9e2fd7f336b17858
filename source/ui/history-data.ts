/**
 * What the history screen reads from the session's replayed state: the loss of each judge at round 0 (the initial
 * prompt) and after each round, on the test split when every round measured it, else on each round's own batch.
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

/** The judges' losses at round 0 and after each finished round. */
export function lossHistory(state: SessionState): LossHistory {
	const finished = state.rounds.filter(r => r.finished !== undefined);
	const first = state.rounds[0];
	// The test split when it was measured from round 0 on (or, in older sessions, after every round).
	const test = (first?.testBefore !== undefined || finished.length > 0) && finished.every(r => r.testLosses !== undefined);
	// Round 0: the initial prompt, as the first round measured it before changing anything.
	const start = test ? first?.testBefore : first?.losses;
	const zero = start ? [{round: 0, losses: start}] : [];
	const points = [...zero, ...finished.map(r => ({round: r.round, losses: test ? r.testLosses : (r.lossesAfter ?? r.losses)}))];
	const judges = [...new Set([...state.judges, ...points.flatMap(p => Object.keys(p.losses ?? {}))])];
	return {
		rounds: points.map(p => p.round),
		split: test ? 'test' : 'batch',
		series: judges.map(name => ({name, values: points.map(p => p.losses?.[name])})),
	};
}
