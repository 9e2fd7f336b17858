/**
 * Cancellable work with stale results dropped. Each piece of work gets a generation number and its own
 * AbortController; cancelling bumps the generation and aborts the controller, and the caller stops waiting at once,
 * even if a judge or generator ignores the signal and answers later. Whatever that late call then produces is
 * dropped: the work checks `live()` before touching any state, and `live()` is false once the generation moved on.
 */

/** Thrown out of the engine's run when the whole run is stopped (stop(), the run's signal). */
export class StopError extends Error {
	constructor(readonly reason: string) {
		super(reason);
		this.name = 'StopError';
	}
}

/** The reason a piece of work is aborted when the user cancels it. */
export class CancelledError extends Error {
	constructor() {
		super('cancelled');
		this.name = 'CancelledError';
	}
}

/** How a piece of work ended. */
export type WorkOutcome<T> = {kind: 'ok'; value: T} | {kind: 'cancelled'} | {kind: 'error'; error: unknown};

/** Runs work, one piece at a time, cancellable, under a run-wide stop signal. */
export class WorkRunner {
	#generation = 0;
	#current: AbortController | undefined;

	constructor(private readonly stop: AbortSignal) {}

	/** Whether work is in progress. */
	get busy(): boolean {
		return this.#current !== undefined;
	}

	/** Cancels the work in progress; returns false when there was none. */
	cancel(): boolean {
		if (!this.#current) return false;
		this.#generation++;
		this.#current.abort(new CancelledError());
		return true;
	}

	/**
	 * Runs `fn` with a signal and a `live()` check. Resolves as soon as the work finishes, fails or is cancelled;
	 * throws StopError when the run is stopped meanwhile.
	 */
	async run<T>(fn: (signal: AbortSignal, live: () => boolean) => Promise<T>): Promise<WorkOutcome<T>> {
		const generation = ++this.#generation;
		const controller = new AbortController();
		this.#current = controller;
		const onStop = () => controller.abort(this.stop.reason);
		this.stop.addEventListener('abort', onStop, {once: true});
		if (this.stop.aborted) controller.abort(this.stop.reason);
		const live = () => generation === this.#generation && !controller.signal.aborted;
		const cancelled = Symbol('cancelled');
		let onAbort = () => {};
		const aborted = new Promise<typeof cancelled>(resolve => {
			onAbort = () => resolve(cancelled);
			controller.signal.addEventListener('abort', onAbort, {once: true});
			if (controller.signal.aborted) resolve(cancelled);
		});
		const task = (async () => fn(controller.signal, live))();
		// The work may fail after we stopped waiting for it; that failure belongs to nobody.
		task.catch(() => undefined);
		try {
			const value = await Promise.race([task, aborted]);
			this.#throwIfStopped();
			if (value === cancelled || !live()) return {kind: 'cancelled'};
			return {kind: 'ok', value: value as T};
		} catch (error) {
			this.#throwIfStopped();
			if (!live()) return {kind: 'cancelled'};
			return {kind: 'error', error};
		} finally {
			this.stop.removeEventListener('abort', onStop);
			controller.signal.removeEventListener('abort', onAbort);
			if (this.#current === controller) this.#current = undefined;
		}
	}

	#throwIfStopped(): void {
		if (!this.stop.aborted) return;
		const reason: unknown = this.stop.reason;
		throw reason instanceof StopError ? reason : new StopError('stopped');
	}
}
