/**
 * Exponential backoff for transient endpoint faults (429, 5xx, timeouts), cancellable by an AbortSignal. Counts and
 * delays are parameters so tests run in milliseconds.
 */

/** How often and how patiently to retry. */
export type RetryPolicy = {
	/** Retries after the first attempt (0 = try once). */
	retries: number;
	/** Delay before the first retry, in ms; doubled for each further retry. */
	baseDelayMs: number;
	/** Upper bound of any single delay, in ms. */
	maxDelayMs?: number;
};

/** What the caller says about a failed attempt. */
export type RetryVerdict = {
	/** Worth trying again. */
	retry: boolean;
	/** Minimum delay the server asked for (Retry-After), in ms. */
	afterMs?: number;
};

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
	signal.throwIfAborted();
	await new Promise<void>((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal.reason);
		};
		const timer = setTimeout(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal.addEventListener('abort', onAbort, {once: true});
	});
}

/** The delay before retry number `retry` (0-based): base * 2^retry with jitter, at least what the server asked. */
export function backoffDelay(policy: RetryPolicy, retry: number, afterMs = 0): number {
	const max = policy.maxDelayMs ?? 30_000;
	// Jitter in [0.5, 1] keeps many clients that failed together from retrying in lockstep.
	const exp = policy.baseDelayMs * 2 ** retry * (0.5 + Math.random() / 2);
	return Math.min(max, Math.max(exp, afterMs));
}

/**
 * Runs `attempt` until it succeeds, the verdict says not to retry, or the retries are spent; then rethrows the last
 * error. An abort is never retried.
 */
export async function withRetry<T>(
	attempt: (n: number) => Promise<T>,
	judge: (error: unknown) => RetryVerdict,
	policy: RetryPolicy,
	signal: AbortSignal,
): Promise<{value: T; attempts: number}> {
	for (let n = 0; ; n++) {
		signal.throwIfAborted();
		try {
			return {value: await attempt(n), attempts: n + 1};
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			const verdict = judge(error);
			if (!verdict.retry || n >= policy.retries) throw error;
			await sleep(backoffDelay(policy, n, verdict.afterMs), signal);
		}
	}
}
