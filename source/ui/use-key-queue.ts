/**
 * Keys one at a time. Several keys can arrive in one read (see split-keys.ts); they are handled in order, each
 * after the one before (handlers read their state through refs, see use-ref-state.ts, so no render is needed in
 * between). A handler that hands the keyboard to a text field takes the keys still queued with `takeRest`, so
 * typed text is neither lost nor misread as commands.
 */
import {useInput, type Key} from 'ink';
import {useCallback} from 'react';
import {splitKeys, type KeyEvent} from './split-keys.js';
import {useLatest} from './use-latest.js';

/** Handles one key; `takeRest` returns (and removes) the characters still queued after it. */
export type KeyHandler = (input: string, key: Key, takeRest: () => string) => void;

/** Binds `handle` to the keyboard while `isActive`. */
export function useKeyQueue(handle: KeyHandler, isActive: boolean): void {
	const latest = useLatest(handle);
	const onInput = useCallback(
		(input: string, key: Key) => {
			const queue: KeyEvent[] = splitKeys(input, key);
			const takeRest = () => queue.splice(0).map(e => e.raw).join('');
			for (let next = queue.shift(); next; next = queue.shift()) latest.current(next.input, next.key, takeRest);
		},
		[latest],
	);
	useInput(onInput, {isActive});
}
