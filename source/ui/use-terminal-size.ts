/**
 * The terminal's size, read through Ink's stdout and kept current on resize. Without a size (a pipe, a test
 * stream) it falls back to 80x24, the smallest terminal the screens are laid out for.
 */
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

/** Columns and rows. */
export type TerminalSize = {
	/** Width in cells. */
	columns: number;
	/** Height in lines. */
	rows: number;
};

function read(stdout: NodeJS.WriteStream): TerminalSize {
	return {columns: stdout.columns || 80, rows: stdout.rows || 24};
}

/** The terminal's size; re-renders on resize. */
export function useTerminalSize(): TerminalSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => read(stdout));
	useEffect(() => {
		const onResize = () => setSize(read(stdout));
		stdout.on('resize', onResize);
		onResize();
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}
