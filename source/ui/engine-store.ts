/**
 * The TUI's state as an external store: subscribed to the engine's events as soon as it starts (before the engine
 * runs, so no event is missed), folded with reduceTui, read by React through useSyncExternalStore.
 */
import type {TuiEngine} from './engine-port.js';
import {initialTuiState, reduceTui, type EngineFacts, type TuiState} from './tui-state.js';

/** The engine's events as a store of TuiState. */
export class EngineStore {
	#state: TuiState;
	#listeners = new Set<() => void>();
	#unsubscribe: (() => void) | undefined;

	constructor(
		private readonly engine: TuiEngine,
		private readonly now: () => number = Date.now,
	) {
		this.#state = initialTuiState(engine.status, engine.view);
	}

	/** Starts listening to the engine (idempotent). */
	start(): void {
		this.#unsubscribe ??= this.engine.on(event => {
			this.#state = reduceTui(this.#state, event, this.#facts());
			for (const listener of [...this.#listeners]) listener();
		});
	}

	/** Stops listening. */
	dispose(): void {
		this.#unsubscribe?.();
		this.#unsubscribe = undefined;
	}

	/** For useSyncExternalStore. */
	subscribe = (listener: () => void): (() => void) => {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	};

	/** For useSyncExternalStore: the same object until the next event. */
	getSnapshot = (): TuiState => this.#state;

	#facts(): EngineFacts {
		const {engine} = this;
		return {
			segments: engine.segments,
			selection: engine.selection.map(j => j.info.name),
			heldout: engine.heldout.map(j => j.info.name),
			aggregation: engine.session.state.task.aggregation ?? 'mean',
			budget: {spent: engine.budget.spent(), limits: {...engine.budget.limits}},
			now: this.now(),
		};
	}
}
