/**
 * Racing candidate scoring (successive halving): every candidate is scored on a small rung of the round's batch,
 * the better half by the aggregate is kept, the rung doubles, and so on; the survivors are then scored on the whole
 * batch and the decision is made on those full-batch scores. A rung reuses the examples of the rungs before it, so a
 * candidate that survives to the end has been scored once on every example and never twice.
 *
 * Rung sizes are the batch halved repeatedly (B/2, B/4, ...), no smaller than `firstRung`, and there are no more
 * halvings than it takes to bring the candidates down to `survivors`. With 12 candidates, B = 8, first rung 2 and
 * 2 survivors: 12 on 2 examples, 6 on 4, 3 on 8, i.e. 48 example-scorings per judge instead of 96; first rung 1:
 * 12 on 1, 6 on 2, 3 on 4, 2 on 8, i.e. 32.
 */

/** How a round's candidates are raced. */
export type RacingSettings = {
	/** Race at all (false: every candidate on the whole batch). */
	enabled: boolean;
	/** Fewest examples of the first rung. */
	firstRung: number;
	/** Halving stops once this many candidates or fewer are left. */
	survivors: number;
};

/**
 * The default: on, a first rung as small as 1 example, 2 survivors. With 12 candidates and a batch of 8 that is 12
 * on 1 example, 6 on 2, 3 on 4 and 2 on 8: 32 example-scorings per judge instead of 96. Measured on the demo tasks
 * (BENCHMARKS.md, racing): the same final test loss as full scoring and PMPO-style rounds, with a first rung of 2 too.
 */
export const DEFAULT_RACING: RacingSettings = {enabled: true, firstRung: 1, survivors: 2};

/**
 * The racing rungs for `candidates` candidates on a batch of `batch` examples: the example counts of the rungs at
 * which the field is halved, ascending, each below `batch`. Empty when racing would not drop anyone (disabled, too
 * few candidates, or a batch too small for a first rung below it).
 */
export function racingRungs(batch: number, candidates: number, settings: RacingSettings): number[] {
	if (!settings.enabled || candidates <= settings.survivors) return [];
	// Halvings needed to bring the field down to the survivors.
	const needed = Math.ceil(Math.log2(candidates / Math.max(1, settings.survivors)));
	const rungs: number[] = [];
	for (let h = 1; h <= needed; h++) {
		const size = Math.ceil(batch / 2 ** h);
		if (size < Math.max(1, settings.firstRung) || size >= batch) break;
		rungs.unshift(size);
	}
	return [...new Set(rungs)];
}

/** How many of `field` candidates go on to the next rung: the better half (rounded up), never fewer than survivors. */
export function keepCount(field: number, settings: RacingSettings): number {
	return Math.min(field, Math.max(settings.survivors, Math.ceil(field / 2)));
}

/**
 * Example-scorings per judge of a race (the cost racing saves): each rung scores its new examples for the candidates
 * still in, the whole batch's rest for the survivors. Without rungs, candidates x batch.
 */
export function racingCost(batch: number, candidates: number, settings: RacingSettings): number {
	const rungs = racingRungs(batch, candidates, settings);
	let field = candidates;
	let done = 0;
	let cost = 0;
	for (const size of rungs) {
		cost += field * (size - done);
		done = size;
		field = keepCount(field, settings);
	}
	return cost + field * (batch - done);
}
