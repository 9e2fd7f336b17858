/**
 * Rendering helpers for TUI tests, on top of ink-testing-library: a theme around the tree, a terminal size set
 * through the test stdout (the screens read it with useStdout, as in a real terminal), `flush()` to let React and
 * Ink settle, key presses with a flush before and after, and frames with ANSI codes stripped.
 */
import {render} from 'ink-testing-library';
import type {ReactNode} from 'react';
import {stripVTControlCharacters} from 'node:util';
import {makeTheme, ThemeContext, type ThemeOptions} from '../../source/ui/theme.js';

/** What render() returns. */
export type Rendered = ReturnType<typeof render>;

/** Lets pending effects, state updates and Ink's lone-Esc timer run. */
export async function flush(): Promise<void> {
	for (let i = 0; i < 3; i++) {
		await new Promise(resolve => setImmediate(resolve));
		await new Promise(resolve => setTimeout(resolve, 0));
	}
}

/** The last frame without ANSI codes. */
export function lastFrameStripped(r: Rendered): string {
	return stripVTControlCharacters(r.lastFrame() ?? '');
}

/** Sets the terminal size and tells the app, as a terminal resize does. */
export function resize(r: Rendered, columns: number, rows: number): void {
	Object.defineProperty(r.stdout, 'columns', {value: columns, configurable: true});
	Object.defineProperty(r.stdout, 'rows', {value: rows, configurable: true});
	r.stdout.emit('resize');
}

/** Renders with a theme (colour and Unicode by default) at a terminal size (80x24 by default). */
export async function renderAt(node: ReactNode, size: {columns: number; rows: number} = {columns: 80, rows: 24}, theme: ThemeOptions = {color: true, unicode: true}): Promise<Rendered> {
	const r = render(<ThemeContext.Provider value={makeTheme(theme)}>{node}</ThemeContext.Provider>);
	resize(r, size.columns, size.rows);
	await flush();
	return r;
}

/** Presses keys: flush, write, flush. */
export async function press(r: Rendered, ...keys: string[]): Promise<void> {
	for (const key of keys) {
		await flush();
		r.stdin.write(key);
		await flush();
	}
}

/** Key sequences as a terminal sends them. */
export const KEYS = {enter: '\r', escape: '\u001B', tab: '\t', up: '\u001B[A', down: '\u001B[B', pageDown: '\u001B[6~', backspace: '\u007F', space: ' '};

/** Width of the widest line of a frame. */
export function widest(frame: string): number {
	return Math.max(...frame.split('\n').map(line => [...line].length));
}

/**
 * Waits until `check` holds (polling), or fails with `what` after `timeoutMs`. The bound only turns a hang into a
 * failure: it is generous because a loaded CI machine can take seconds for a first render (10 s was once too short).
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
	const start = Date.now();
	while (!check()) {
		if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
