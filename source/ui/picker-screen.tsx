/**
 * The session picker (`gmpo` with no arguments): saved sessions to resume, newest first, in a table; the bundled
 * demo; the example tasks; any task file by path. Enter opens the selection; d deletes the selected session (after
 * a yes), n names it.
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import {isUserError} from '../errors.js';
import type {SessionSummary} from '../sessions/store.js';
import {ConfirmLine} from './confirm-line.js';
import type {PickerChoice} from './engine-port.js';
import {Footer} from './footer.js';
import {formatLoss} from './format.js';
import {HelpOverlay} from './help-overlay.js';
import {DataTable, type TableColumn} from './ink-table.js';
import {actionFor} from './keys.js';
import {usableRows} from './layout.js';
import {windowStart} from './scroll.js';
import {TextInput} from './text-input.js';
import {useKeyQueue} from './use-key-queue.js';
import {useRefState} from './use-ref-state.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';
import {wrapLines} from './wrap.js';

/** What the picker can change in the sessions folder. */
export type SessionActions = {
	/** Deletes a session (a UserError when it is open elsewhere). */
	remove: (id: string) => void;
	/** Names a session; an empty name removes the name. */
	rename: (id: string, name: string) => void;
};

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
	/** Deletes and names sessions; the list is read again after. */
	actions?: SessionActions & {reload: () => void};
	/** Called on q. */
	onQuit: () => void;
};

type Item = {key: string; label: string; detail?: string; choice?: PickerChoice};

const COLUMNS: TableColumn[] = [{key: ' '}, {key: 'session'}, {key: 'name', flex: true}, {key: 'task', flex: true}, {key: 'rounds', right: true}, {key: 'best loss', right: true}, {key: 'last update'}];

function sessionRow(s: SessionSummary, selected: boolean, cursor: string): Record<string, string> {
	return {
		' ': selected ? cursor : ' ',
		session: s.id,
		name: s.name ?? '',
		task: s.error ? `unreadable: ${s.error}` : (s.task ?? ''),
		rounds: s.error ? '' : String(s.rounds ?? 0),
		'best loss': s.error ? '' : formatLoss(s.bestLoss),
		'last update': s.lastUpdate?.slice(0, 16).replace('T', ' ') ?? '',
	};
}

function otherItems(examples: readonly string[]): Item[] {
	const out: Item[] = [{key: 'demo', label: 'start the bundled demo', detail: 'bundled judges, offline generator unless one is configured', choice: {kind: 'demo'}}];
	for (const file of examples) out.push({key: `e:${file}`, label: `start from ${file}`, choice: {kind: 'task', file}});
	out.push({key: 'file', label: 'start from a task file...', detail: 'type its path'});
	return out;
}

type Prompt = {kind: 'file'; typed: string} | {kind: 'name'; id: string; initial: string; typed: string} | {kind: 'delete'; id: string};

/** Choose a session to resume or a task to start. */
export function PickerScreen({sessions, examples, sessionsDir, error, onChoose, actions, onQuit}: Props) {
	const {color, glyphs} = useTheme();
	const size = useTerminalSize();
	const [selected, getSelected, setSelected] = useRefState(0);
	// A question or a text field in place of the footer, and what the last action said.
	const [prompt, setPrompt] = useState<Prompt>();
	const [said, setSaid] = useState<{text: string; bad: boolean}>();
	const [help, setHelp] = useState(false);
	const others = otherItems(examples);
	const count = sessions.length + others.length;
	const width = size.columns;
	const rows = usableRows(size.rows);
	const heading = wrapLines(`gmpo${glyphs.sep}optimise a prompt with judges, one reviewed round at a time`, width);
	const where = wrapLines(sessions.length === 0 ? `no saved sessions in ${sessionsDir}` : `${sessions.length} saved session(s) in ${sessionsDir}`, width);
	const sessionAt = (i: number) => (i < sessions.length ? sessions[i] : undefined);
	const unreadable = sessionAt(selected)?.error;
	const errors = [
		...(error ? wrapLines(`! ${error}`, width) : []),
		...(said ? wrapLines(`${said.bad ? '! ' : ''}${said.text}`, width) : []),
		// The table cuts long cells: the selected session's whole reason is said here.
		...(unreadable && !said ? wrapLines(`! session ${sessionAt(selected)!.id} cannot be read: ${unreadable}`, width) : []),
	];
	const columns = sessions.some(s => s.name) ? COLUMNS : COLUMNS.filter(c => c.key !== 'name');
	// The table's heading takes a line when there are sessions.
	const room = Math.max(1, rows - heading.length - where.length - errors.length - 1 - (sessions.length > 0 ? 1 : 0) - 1);
	const act = (what: () => void, done: string) => {
		try {
			what();
			setSaid({text: done, bad: false});
			actions?.reload();
			setSelected(i => Math.max(0, Math.min(i, count - 2)));
		} catch (problem) {
			if (!isUserError(problem)) throw problem;
			setSaid({text: problem.line, bad: true});
		}
	};
	useKeyQueue(
		(input, key, takeRest) => {
			if (prompt?.kind === 'delete') {
				const answer = actionFor('confirm', input, key);
				if (answer === 'yes') {
					const id = prompt.id;
					setPrompt(undefined);
					act(() => actions!.remove(id), `deleted session ${id}`);
				} else if (answer === 'no') setPrompt(undefined);
				return;
			}
			const action = actionFor('picker', input, key);
			const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
			if (action) setSaid(undefined);
			if (action === 'up') setSelected(i => clamp(i - 1));
			else if (action === 'down') setSelected(i => clamp(i + 1));
			else if (action === 'page-up') setSelected(i => clamp(i - room));
			else if (action === 'page-down') setSelected(i => clamp(i + room));
			else if (action === 'top') setSelected(() => 0);
			else if (action === 'bottom') setSelected(() => count - 1);
			else if (action === 'help') setHelp(h => !h);
			else if (action === 'cancel') setHelp(false);
			else if (action === 'quit') onQuit();
			else if (action === 'delete' || action === 'rename') {
				const s = sessionAt(getSelected());
				if (!s || !actions) return setSaid({text: 'select a saved session first', bad: true});
				if (action === 'delete') setPrompt({kind: 'delete', id: s.id});
				else setPrompt({kind: 'name', id: s.id, initial: s.name ?? '', typed: takeRest()});
			} else if (action === 'pick') {
				const at = getSelected();
				const s = sessionAt(at);
				if (s) {
					if (s.error) setSaid({text: `session ${s.id} cannot be read: ${s.error}`, bad: true});
					else onChoose({kind: 'resume', id: s.id});
					return;
				}
				const item = others[at - sessions.length];
				if (item.key === 'file') setPrompt({kind: 'file', typed: takeRest()});
				else if (item.choice) onChoose(item.choice);
			}
		},
		prompt === undefined || prompt.kind === 'delete',
	);
	const start = windowStart(count, room, selected);
	const shownSessions = sessions.slice(start, Math.min(sessions.length, start + room));
	const shownOthers = others.slice(Math.max(0, start - sessions.length), Math.max(0, start + room - sessions.length));
	let bottom;
	if (prompt?.kind === 'file' || prompt?.kind === 'name') {
		const naming = prompt.kind === 'name';
		bottom = (
			<TextInput
				key={prompt.kind}
				label={naming ? `name of ${prompt.id} (empty removes it):` : 'task file:'}
				initial={naming ? prompt.initial : ''}
				typed={prompt.typed}
				width={width}
				onCancel={() => setPrompt(undefined)}
				onSubmit={text => {
					setPrompt(undefined);
					if (prompt.kind === 'name') act(() => actions!.rename(prompt.id, text), text.trim() ? `named ${prompt.id} "${text.trim()}"` : `removed the name of ${prompt.id}`);
					else if (text.trim() !== '') onChoose({kind: 'task', file: text.trim()});
				}}
			/>
		);
	} else if (prompt?.kind === 'delete') {
		bottom = <ConfirmLine question={`delete session ${prompt.id} and everything in it?`} width={width} />;
	} else {
		bottom = <Footer scope="picker" deciding busy={false} width={width} />;
	}
	return (
		<Box flexDirection="column" width={width} height={rows}>
			{heading.map((line, i) => (
				<Text key={`h${i}`} bold color={color.accent} wrap="truncate-end">
					{line}
				</Text>
			))}
			{where.map((line, i) => (
				<Text key={`w${i}`} color={color.muted} wrap="truncate-end">
					{line}
				</Text>
			))}
			{errors.map((line, i) => (
				<Text key={`e${i}`} color={said && !said.bad && !error ? color.good : color.bad} wrap="truncate-end">
					{line}
				</Text>
			))}
			<Text> </Text>
			{help ? (
				<HelpOverlay scope="picker" width={width} rows={room} />
			) : (
				<>
					{sessions.length > 0 ? (
						<DataTable columns={columns} rows={shownSessions.map((s, i) => sessionRow(s, start + i === selected, glyphs.cursor))} sizing={sessions.map(s => sessionRow(s, false, glyphs.cursor))} width={width} />
					) : null}
					{shownOthers.map(item => {
						const isSelected = sessions.length + others.indexOf(item) === selected;
						return (
							<Box key={item.key} width={width}>
								<Text wrap="truncate-end" inverse={isSelected}>
									{isSelected ? glyphs.cursor : ' '} <Text bold={isSelected}>{item.label}</Text>
									{item.detail ? (
										<Text color={color.muted}>
											{glyphs.sep}
											{item.detail}
										</Text>
									) : null}
								</Text>
							</Box>
						);
					})}
				</>
			)}
			<Box flexGrow={1} />
			{bottom}
		</Box>
	);
}
