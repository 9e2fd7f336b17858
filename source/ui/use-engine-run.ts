/**
 * Runs the engine and follows it: the store subscribes first, then the run starts, so the screens see every event.
 * The run's end (its result, or the error that ended it) is returned once known.
 */
import {useEffect, useState, useSyncExternalStore} from 'react';
import type {RunResult} from '../engine/index.js';
import type {TuiEngine} from './engine-port.js';
import {EngineStore} from './engine-store.js';
import type {TuiState} from './tui-state.js';

/** How a run ended: its result, or the error it threw (a bug: user mistakes end up in the view instead). */
export type RunEnd = {result: RunResult} | {error: unknown};

/** The run's state, and its end once known. */
export function useEngineRun(engine: TuiEngine): {state: TuiState; end?: RunEnd} {
	const [store] = useState(() => new EngineStore(engine));
	const [end, setEnd] = useState<RunEnd>();
	useEffect(() => {
		let live = true;
		store.start();
		engine.run().then(
			result => live && setEnd({result}),
			(error: unknown) => live && setEnd({error}),
		);
		return () => {
			live = false;
			store.dispose();
		};
	}, [engine, store]);
	const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
	return {state, end};
}
