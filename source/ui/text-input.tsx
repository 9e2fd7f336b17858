/**
 * A one-line text input (inline segment edits, the task file path in the picker): printable keys insert, ←/→ move,
 * Home/End or Ctrl+A/Ctrl+E jump, Backspace/Delete erase, Ctrl+U clears, Enter submits, Esc cancels. The text
 * scrolls horizontally around the cursor when it is wider than the line.
 */
import {Box, Text, useInput, type Key} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {splitKeys} from './split-keys.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** Shown before the text. */
	label: string;
	/** The starting text. */
	initial: string;
	/** Keys typed before the field opened (in the same read as the key that opened it). */
	typed?: string;
	/** Called with the text on Enter. */
	onSubmit: (text: string) => void;
	/** Called on Esc. */
	onCancel: () => void;
	/** Width in cells. */
	width: number;
};

/** A line being edited. */
export type Line = {
	/** The text. */
	text: string;
	/** Cursor position (0..text.length). */
	cursor: number;
};

/** The line after a key (Enter and Esc are the caller's). */
export function editLine(line: Line, input: string, key: Key): Line {
	const {text, cursor} = line;
	if (key.leftArrow) return {text, cursor: Math.max(0, cursor - 1)};
	if (key.rightArrow) return {text, cursor: Math.min(text.length, cursor + 1)};
	if (key.home || (key.ctrl && input === 'a')) return {text, cursor: 0};
	if (key.end || (key.ctrl && input === 'e')) return {text, cursor: text.length};
	if (key.ctrl && input === 'u') return {text: '', cursor: 0};
	// Terminals send DEL (0x7f) for Backspace, which Ink reports as delete: both erase before the cursor.
	if (key.backspace || key.delete) return cursor === 0 ? line : {text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1};
	if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || input === '') return line;
	const typed = input.replace(/[\r\n]+/g, ' ');
	return {text: text.slice(0, cursor) + typed + text.slice(cursor), cursor: cursor + typed.length};
}

/** An editable line. */
export function TextInput({label, initial, typed, onSubmit, onCancel, width}: Props) {
	const {color} = useTheme();
	const [line, setLine] = useState<Line>({text: initial, cursor: initial.length});
	// Keys typed faster than Ink re-subscribes its handler must still see every earlier key.
	const current = useRef(line);
	const done = useRef(false);
	const apply = (input: string, key: Key) => {
		for (const event of splitKeys(input, key, {runs: true})) {
			if (done.current) return;
			if (event.key.escape) {
				done.current = true;
				return onCancel();
			}
			if (event.key.return) {
				done.current = true;
				return onSubmit(current.current.text);
			}
			current.current = editLine(current.current, event.input, event.key);
		}
		setLine(current.current);
	};
	useInput(apply);
	useEffect(() => {
		if (typed) apply(typed, {} as Key);
		// Only what was typed before the field opened; later keys come through useInput.
	}, []);
	const room = Math.max(4, width - label.length - 2);
	const start = Math.max(0, line.cursor - room + 1);
	const visible = line.text.slice(start, start + room);
	const at = line.cursor - start;
	return (
		<Box width={width}>
			<Text bold color={color.accent}>
				{label}{' '}
			</Text>
			<Text wrap="truncate-end">
				{visible.slice(0, at)}
				<Text inverse>{visible[at] ?? ' '}</Text>
				{visible.slice(at + 1)}
			</Text>
		</Box>
	);
}
