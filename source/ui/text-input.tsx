/**
 * A one-line text input (inline segment edits, the task file path in the picker): printable keys insert, ←/→ move,
 * Home/End or Ctrl+A/Ctrl+E jump, Backspace/Delete erase, Ctrl+U clears, Enter submits, Esc cancels. The text
 * scrolls horizontally around the cursor when it is wider than the line.
 */
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import {useTheme} from './use-theme.js';

type Props = {
	/** Shown before the text. */
	label: string;
	/** The starting text. */
	initial: string;
	/** Called with the text on Enter. */
	onSubmit: (text: string) => void;
	/** Called on Esc. */
	onCancel: () => void;
	/** Width in cells. */
	width: number;
};

/** An editable line. */
export function TextInput({label, initial, onSubmit, onCancel, width}: Props) {
	const {color} = useTheme();
	const [text, setText] = useState(initial);
	const [cursor, setCursor] = useState(initial.length);
	useInput((input, key) => {
		if (key.escape) return onCancel();
		if (key.return) return onSubmit(text);
		if (key.leftArrow) return setCursor(c => Math.max(0, c - 1));
		if (key.rightArrow) return setCursor(c => Math.min(text.length, c + 1));
		if (key.home || (key.ctrl && input === 'a')) return setCursor(0);
		if (key.end || (key.ctrl && input === 'e')) return setCursor(text.length);
		if (key.ctrl && input === 'u') {
			setText('');
			return setCursor(0);
		}
		if (key.backspace || key.delete) {
			// Terminals send DEL (0x7f) for Backspace, which Ink reports as delete: both erase before the cursor.
			if (cursor === 0) return;
			setText(t => t.slice(0, cursor - 1) + t.slice(cursor));
			return setCursor(c => c - 1);
		}
		if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || input === '') return;
		const typed = input.replace(/[\r\n]+/g, ' ');
		setText(t => t.slice(0, cursor) + typed + t.slice(cursor));
		setCursor(c => c + typed.length);
	});
	const room = Math.max(4, width - label.length - 2);
	const start = Math.max(0, cursor - room + 1);
	const visible = text.slice(start, start + room);
	const at = cursor - start;
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
