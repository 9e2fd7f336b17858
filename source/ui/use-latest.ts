/**
 * The latest value of something a key handler reads. Ink re-subscribes a useInput handler in an effect after each
 * render, and keys typed quickly can reach the previous handler before that effect runs; a handler that reads
 * through this ref always sees the last render's values, so fast typing never acts on a stale selection.
 */
import {useRef, type RefObject} from 'react';

/** A ref holding `value` as of the last render. */
export function useLatest<T>(value: T): RefObject<T> {
	const ref = useRef(value);
	ref.current = value;
	return ref;
}
