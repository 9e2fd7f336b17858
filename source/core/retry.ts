/**
 * Exponential backoff for transient endpoint faults (429, 5xx, a dropped or cut-off reply), cancellable by an
 * AbortSignal, and a deadline that bounds one attempt whatever the other side does. Counts, delays and deadlines are
 * parameters so tests run in milliseconds.
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

/** What is said before a retry: which attempt comes next, of how many, why, and after how long a wait. */
export type RetryNotice = {
	/** The attempt about to start (2 for the first retry). */
	attempt: number;
	/** Attempts in all, at most. */
	of: number;
	/** Why the last attempt failed, in a few words ("HTTP 503", "the reply was cut off"). */
	reason: string;
	/** The wait before it, in ms. */
	delayMs: number;
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
	onRetry?: (error: unknown, retry: {attempt: number; of: number; delayMs: number}) => void,
): Promise<{value: T; attempts: number}> {
	for (let n = 0; ; n++) {
		signal.throwIfAborted();
		try {
			return {value: await attempt(n), attempts: n + 1};
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			const verdict = judge(error);
			if (!verdict.retry || n >= policy.retries) throw error;
			const delayMs = backoffDelay(policy, n, verdict.afterMs);
			onRetry?.(error, {attempt: n + 2, of: policy.retries + 1, delayMs});
			await sleep(delayMs, signal);
		}
	}
}

/** The reason a deadline gives when it passes: the request took longer than it was allowed. */
export class DeadlineError extends Error {
	/** The deadline, in ms. */
	readonly ms: number;

	constructor(ms: number) {
		super(`no complete reply within ${ms} ms`);
		this.name = 'DeadlineError';
		this.ms = ms;
	}
}

/**
 * Starts a timer that calls `fire` once after `ms`, and returns what cancels it. The real one is setTimeout; a test
 * passes one it fires itself (when the server has the request, say), so that what a deadline does is checked without
 * racing a clock.
 */
export type DeadlineTimer = (ms: number, fire: () => void) => () => void;

/** The real clock. */
export const realTimer: DeadlineTimer = (ms, fire) => {
	const timer = setTimeout(fire, ms);
	return () => clearTimeout(timer);
};

/**
 * Runs `work` with a signal that aborts after `ms` (or when `signal` does), and settles no later than that abort,
 * whatever `work` does with the signal: the wait is bounded by construction, not by the work's good manners. A
 * passed deadline rejects with a DeadlineError; an abort of `signal`, with its reason.
 */
export async function withDeadline<T>(ms: number, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>, timer: DeadlineTimer = realTimer): Promise<T> {
	signal.throwIfAborted();
	const deadline = new AbortController();
	const cancel = timer(ms, () => deadline.abort(new DeadlineError(ms)));
	const both = AbortSignal.any([signal, deadline.signal]);
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(both.reason);
		both.addEventListener('abort', onAbort, {once: true});
	});
	const running = work(both);
	// Whichever loses the race must not become an unhandled rejection.
	running.catch(() => {});
	try {
		return await Promise.race([running, aborted]);
	} finally {
		cancel();
		both.removeEventListener('abort', onAbort!);
	}
}
