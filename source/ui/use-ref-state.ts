/**
 * State that key handlers can read back at once. Several keys can be handled before React renders again (they
 * arrive in one read); each must see what the one before it did, so the value lives in a ref that is updated
 * synchronously, and in React state so the screen follows.
 */
import {useCallback, useRef, useState} from 'react';

/** The value for rendering, a getter for handlers, and an updater for both. */
export function useRefState<T>(initial: T): [T, () => T, (update: (value: T) => T) => void] {
	const [value, setValue] = useState(initial);
	const ref = useRef(initial);
	const get = useCallback(() => ref.current, []);
	const set = useCallback((update: (value: T) => T) => {
		ref.current = update(ref.current);
		setValue(ref.current);
	}, []);
	return [value, get, set];
}
