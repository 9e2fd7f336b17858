/**
 * The engine's public surface, for the drivers (the TUI, the headless runner, benchmarks).
 */
export {Engine, type Decider, type EngineOptions} from './engine.js';
export type {EngineSession} from './host.js';
export {autoDecide} from './auto.js';
export type * from './types.js';
