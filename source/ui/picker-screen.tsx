/**
 * The session picker (`gmpo` with no arguments): saved sessions to resume, newest first; the bundled demo; the
 * example tasks; any task file by path. Enter opens the selection.
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import type {SessionSummary} from '../sessions/store.js';
import type {PickerChoice} from './engine-port.js';
import {Footer} from './footer.js';
import {formatLoss} from './format.js';
import {HelpOverlay} from './help-overlay.js';
import {actionFor} from './keys.js';
import {usableRows} from './layout.js';
import {windowStart} from './scroll.js';
import {TextInput} from './text-input.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useKeyQueue} from './use-key-queue.js';
import {useRefState} from './use-ref-state.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** Saved sessions, newest first. */
	sessions: readonly SessionSummary[];
	/** Example task files. */
	examples: readonly string[];
	/** Where sessions are kept (shown in the heading). */
	sessionsDir: string;
	/** The last attempt's error, shown above the list. */
	error?: string;
	/** Called with the choice. */
	onChoose: (choice: PickerChoice) => void;
	/** Called on q. */
	onQuit: () => void;
};

type Item = {key: string; label: string; detail?: string; choice?: PickerChoice; disabled?: boolean};

function items(sessions: readonly SessionSummary[], examples: readonly string[], sep: string): Item[] {
	const out: Item[] = sessions.map(s => ({
		key: `s:${s.id}`,
		label: `resume ${s.id}`,
		detail: s.error ? `unreadable: ${s.error}` : [s.task, `${s.rounds ?? 0} round(s)`, `best ${formatLoss(s.bestLoss)}`, s.lastUpdate?.slice(0, 16).replace('T', ' ') ?? ''].join(sep),
		choice: s.error ? undefined : {kind: 'resume', id: s.id},
		disabled: s.error !== undefined,
	}));
	out.push({key: 'demo', label: 'start the bundled demo', detail: 'bundled judges, offline generator unless one is configured', choice: {kind: 'demo'}});
	for (const file of examples) out.push({key: `e:${file}`, label: `start from ${file}`, choice: {kind: 'task', file}});
	out.push({key: 'file', label: 'start from a task file...', detail: 'type its path'});
	return out;
}

/** Choose a session to resume or a task to start. */
export function PickerScreen({sessions, examples, sessionsDir, error, onChoose, onQuit}: Props) {
	const {color, glyphs} = useTheme();
	const size = useTerminalSize();
	const [selected, getSelected, setSelected] = useRefState(0);
	// Typing a task file path; what was typed in the same read as the Enter that opened the field.
	const [typing, setTyping] = useState<{typed: string}>();
	const [help, setHelp] = useState(false);
	const list = items(sessions, examples, glyphs.sep);
	const rows = usableRows(size.rows);
	const room = Math.max(1, rows - 5 - (error ? 1 : 0));
	useKeyQueue(
		(input, key, takeRest) => {
			const action = actionFor('picker', input, key);
			const clamp = (i: number) => Math.max(0, Math.min(list.length - 1, i));
			if (action === 'up') setSelected(i => clamp(i - 1));
			else if (action === 'down') setSelected(i => clamp(i + 1));
			else if (action === 'page-up') setSelected(i => clamp(i - room));
			else if (action === 'page-down') setSelected(i => clamp(i + room));
			else if (action === 'help') setHelp(h => !h);
			else if (action === 'cancel') setHelp(false);
			else if (action === 'quit') onQuit();
			else if (action === 'pick') {
				const item = list[getSelected()];
				if (item.key === 'file') setTyping({typed: takeRest()});
				else if (item.choice) onChoose(item.choice);
			}
		},
		typing === undefined,
	);
	const start = windowStart(list.length, room, selected);
	return (
		<Box flexDirection="column" width={size.columns} height={rows}>
			<Text bold color={color.accent} wrap="truncate-end">
				gmpo{glyphs.sep}optimise a prompt with judges, one reviewed round at a time
			</Text>
			<Text color={color.muted} wrap="truncate-end">
				{sessions.length === 0 ? `no saved sessions in ${sessionsDir}` : `${sessions.length} saved session(s) in ${sessionsDir}`}
			</Text>
			{error ? (
				<Text color={color.bad} wrap="truncate-end">
					! {error}
				</Text>
			) : null}
			<Text> </Text>
			{help ? (
				<HelpOverlay scope="picker" width={size.columns} rows={room} />
			) : (
				list.slice(start, start + room).map((item, i) => {
					const isSelected = start + i === selected;
					return (
						<Box key={item.key} width={size.columns}>
							<Text wrap="truncate-end" inverse={isSelected}>
								{isSelected ? glyphs.cursor : ' '} <Text bold={isSelected}>{item.label}</Text>
								{item.detail ? <Text color={item.disabled ? color.bad : color.muted}>
									{glyphs.sep}
									{item.detail}
								</Text> : null}
							</Text>
						</Box>
					);
				})
			)}
			<Box flexGrow={1} />
			{typing ? (
				<TextInput
					label="task file:"
					initial=""
					typed={typing.typed}
					width={size.columns}
					onCancel={() => setTyping(undefined)}
					onSubmit={file => {
						setTyping(undefined);
						if (file.trim() !== '') onChoose({kind: 'task', file: file.trim()});
					}}
				/>
			) : (
				<Footer scope="picker" deciding busy={false} width={size.columns} />
			)}
		</Box>
	);
}
