/**
 * Budgets that end a session: rounds, generator tokens, judge passes, wall time. The engine spends, then asks
 * `exhausted()` before starting more work; the reason says which limit was reached, in words a user can read.
 *
 * Time comes from an injected clock (default Date.now) so tests are deterministic and a driver can choose what
 * counts: an interactive session may pass a clock that stops while the user deliberates. Spent wall time is part
 * of the snapshot, so a resumed session continues its count instead of starting over.
 */

/** Limits; an absent limit is unlimited. */
export type BudgetLimits = {
	/** Completed rounds. */
	rounds?: number;
	/** Generator tokens (prompt + completion, as the endpoint reports them). */
	generatorTokens?: number;
	/**
	 * Judge passes (one forward, or one forward + backward, of one judge on one batch). A pass over n of the batch's B
	 * examples (racing's rungs) counts n/B, so the count can be fractional.
	 */
	judgePasses?: number;
	/** Wall time in milliseconds. */
	wallTimeMs?: number;
};

/** What has been spent so far. */
export type BudgetSpent = {
	/** Completed rounds. */
	rounds: number;
	/** Generator tokens. */
	generatorTokens: number;
	/** Judge passes. */
	judgePasses: number;
	/** Wall time in milliseconds. */
	wallTimeMs: number;
};

/** Amounts to spend (all optional, non-negative). */
export type BudgetSpend = Partial<Omit<BudgetSpent, 'wallTimeMs'>>;

const KEYS = ['rounds', 'generatorTokens', 'judgePasses', 'wallTimeMs'] as const;

const LABELS: Record<(typeof KEYS)[number], (spent: number, limit: number) => string> = {
	rounds: (s, l) => `round budget reached (${s}/${l} rounds)`,
	generatorTokens: (s, l) => `generator token budget reached (${count(s)}/${count(l)} tokens)`,
	judgePasses: (s, l) => `judge pass budget reached (${count(s)}/${count(l)} passes)`,
	wallTimeMs: (s, l) => `time budget reached (${duration(s)} of ${duration(l)})`,
};

/** Tracks spending against limits. */
export class Budget {
	/** The limits this budget enforces. */
	readonly limits: Readonly<BudgetLimits>;
	private readonly spentSoFar: Omit<BudgetSpent, 'wallTimeMs'>;
	private readonly wallBefore: number;
	private readonly startedAt: number;
	private readonly now: () => number;

	/**
	 * @param limits What to enforce.
	 * @param options `spent`: what a resumed session had already spent; `now`: the clock in milliseconds.
	 */
	constructor(limits: BudgetLimits, options: {spent?: Partial<BudgetSpent>; now?: () => number} = {}) {
		for (const key of KEYS) {
			const limit = limits[key];
			if (limit !== undefined && !(limit >= 0)) throw new RangeError(`budget ${key} must be >= 0, got ${limit}`);
			const spent = options.spent?.[key];
			if (spent !== undefined && !(spent >= 0)) throw new RangeError(`spent ${key} must be >= 0, got ${spent}`);
		}
		this.limits = {...limits};
		this.now = options.now ?? Date.now;
		this.startedAt = this.now();
		this.wallBefore = options.spent?.wallTimeMs ?? 0;
		this.spentSoFar = {
			rounds: options.spent?.rounds ?? 0,
			generatorTokens: options.spent?.generatorTokens ?? 0,
			judgePasses: options.spent?.judgePasses ?? 0,
		};
	}

	/** Record spending. Negative or non-finite amounts are bugs and throw. */
	spend(amounts: BudgetSpend): void {
		for (const [key, amount] of Object.entries(amounts) as [keyof BudgetSpend, number | undefined][]) {
			if (amount === undefined) continue;
			if (!(amount >= 0) || !Number.isFinite(amount)) throw new RangeError(`cannot spend ${amount} ${key}`);
			this.spentSoFar[key] += amount;
		}
	}

	/** Everything spent so far, wall time up to now (what a session file stores). */
	spent(): BudgetSpent {
		return {...this.spentSoFar, wallTimeMs: this.wallBefore + Math.max(0, this.now() - this.startedAt)};
	}

	/** What is left per limit (absent for unlimited; never negative). */
	remaining(): Partial<BudgetSpent> {
		const spent = this.spent();
		const out: Partial<BudgetSpent> = {};
		for (const key of KEYS) {
			const limit = this.limits[key];
			if (limit !== undefined) out[key] = Math.max(0, limit - spent[key]);
		}
		return out;
	}

	/** True when any limit is reached (spent >= limit). */
	exhausted(): boolean {
		return this.reason() !== undefined;
	}

	/** Why the budget is exhausted, naming the first limit reached in the order rounds, tokens, passes, time. */
	reason(): string | undefined {
		const spent = this.spent();
		for (const key of KEYS) {
			const limit = this.limits[key];
			if (limit !== undefined && spent[key] >= limit) return LABELS[key](spent[key], limit);
		}
		return undefined;
	}
}

function count(n: number): string {
	return n.toLocaleString('en-US');
}

/** "45s", "3m 05s", "1h 02m". */
function duration(ms: number): string {
	const seconds = Math.floor(ms / 1000);
	const h = Math.floor(seconds / 3600);
	const m = Math.floor((seconds % 3600) / 60);
	const s = seconds % 60;
	if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
	if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
	return `${s}s`;
}
