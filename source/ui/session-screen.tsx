/**
 * A running session: follows the engine (useEngineRun), keeps the user's place (selection, marks, lens, screen),
 * binds the keys (useRoundKeys) and shows the round or the history. When the run ends by quitting or a stop it
 * reports the end at once; when the budget is spent it shows the history with a banner until the user quits.
 */
import {useEffect, useMemo, useState} from 'react';
import type {TuiEngine} from './engine-port.js';
import {historyListLength, HistoryScreen} from './history-screen.js';
import {detailContent, detailHeight} from './detail-content.js';
import {helpMaxOffset} from './help-overlay.js';
import {usableRows} from './layout.js';
import {roundFrame} from './round-frame.js';
import {initialCursor, updateCursor, withDefaults, type RoundCursor} from './round-cursor.js';
import {RoundScreen} from './round-screen.js';
import {clampOffset} from './scroll-pane.js';
import {TextInput} from './text-input.js';
import {useEngineRun, type RunEnd} from './use-engine-run.js';
import {useLatest} from './use-latest.js';
import {useRefState} from './use-ref-state.js';
import {useRoundKeys, type SessionMode} from './use-round-keys.js';
import {useSpinner} from './use-spinner.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';

type Props = {
	/** The engine, not yet running. */
	engine: TuiEngine;
	/** Remarks to show first. */
	notes?: string[];
	/** Opens text in $EDITOR; the new text, or undefined when unchanged or aborted. */
	editPrompt: (text: string) => Promise<string | undefined>;
	/** Called once the user leaves (the run has ended by then). */
	onExit: (end: RunEnd) => void;
};

/** How the run's end reads in the banner. */
function endBanner(end: RunEnd, session: string): string {
	if ('error' in end) return `the run stopped on an error: ${end.error instanceof Error ? end.error.message : String(end.error)}`;
	return `the run ended: ${end.result.reason}. q quits; continue later with: gmpo resume ${session} --rounds N`;
}

/** The round and history screens of one session. */
export function SessionScreen({engine, notes = [], editPrompt, onExit}: Props) {
	const {state, end} = useEngineRun(engine);
	const size = useTerminalSize();
	const [cursor, getCursor, setCursor] = useRefState<RoundCursor>(initialCursor);
	const [mode, getMode, setMode] = useRefState<SessionMode>({screen: 'round', help: false});
	const [historyScroll, setHistoryScroll] = useState(0);
	const [detailScroll, setDetailScroll] = useState<{key: string; offset: number}>({key: '', offset: 0});
	const {glyphs} = useTheme();
	const [notice, setNotice] = useState<string | undefined>(notes.join('; ') || undefined);
	const busy = state.progress !== undefined;
	const spin = useSpinner(busy);
	const session = engine.session;
	useEffect(() => {
		if (!end) return;
		// Quit and stops leave at once; a spent budget or an error stays on screen until the user quits.
		if ('result' in end && end.result.ending !== 'budget') onExit(end);
		else setMode(m => ({...m, screen: 'history', edit: undefined}));
	}, [end, onExit, setMode]);
	const view = state.view;
	const latestView = useLatest(view);
	const segments = view?.segments;
	// Kept as the same array while nothing changes, so the heatmap is not redrawn for every key.
	const defaulted = withDefaults(cursor, view);
	const marked = useMemo(() => defaulted.marked.filter(id => segments?.some(s => s.id === id)), [defaulted.marked, segments]);
	const shown: RoundCursor = {...defaulted, marked};
	const stateWithNotice = useMemo(() => (notice ? {...state, messages: [...state.messages, {level: 'info' as const, text: notice}]} : state), [state, notice]);
	const frame = roundFrame(stateWithNotice, {
		task: session.state.task.name,
		session: session.id,
		size,
		lens: shown.lens,
		focused: shown.pane === 'segments',
		selectedSegment: shown.segment,
		editing: mode.edit !== undefined,
		glyphs,
	});
	const {layout} = frame;
	const detailKey = `${shown.pane}:${shown.pane === 'candidates' ? shown.candidate : shown.segment}`;
	const detail = useMemo(
		() =>
			detailContent(
				{
					kind: shown.pane === 'candidates' ? 'candidate' : 'segment',
					candidate: view?.candidates.find(c => c.id === shown.candidate),
					segment: view?.segments.find(s => s.id === shown.segment),
					segments: view?.segments ?? [],
					importance: view?.importance,
					current: view?.current ?? {},
					selection: view?.selection ?? [],
					heldout: view?.heldout ?? [],
					aggregation: view?.aggregation,
					sep: glyphs.sep,
					delta: glyphs.delta,
				},
				size.columns,
			),
		[view, shown.pane, shown.candidate, shown.segment, size.columns, glyphs],
	);
	const detailRows = Math.max(0, layout.detail - 1);
	const detailMax = clampOffset(Number.MAX_SAFE_INTEGER, detail.reduce((n, l) => n + detailHeight(l), 0), detailRows);
	// The scroll belongs to what is selected: another selection starts at its top.
	const detailOffset = detailScroll.key === detailKey ? Math.min(detailScroll.offset, detailMax) : 0;
	useRoundKeys({
		engine,
		state,
		cursor: () => withDefaults(getCursor(), latestView.current),
		setCursor: update => setCursor(c => updateCursor(c, latestView.current, update)),
		mode: getMode,
		setMode,
		scrollHistory: delta => setHistoryScroll(s => Math.max(0, Math.min(historyListLength(session.state) - 1, s + delta))),
		scrollDetail: delta => setDetailScroll({key: detailKey, offset: Math.max(0, Math.min(detailMax, detailOffset + delta))}),
		helpMax: helpMaxOffset(mode.screen, size.columns, usableRows(size.rows) - 2, glyphs),
		page: Math.max(1, mode.screen === 'history' ? size.rows - 10 : shown.pane === 'candidates' ? layout.candidates - 1 : layout.segments - 1),
		notify: setNotice,
		editPrompt,
		exit: () => end && onExit(end),
		ended: end !== undefined,
		active: mode.edit === undefined,
	});
	if (mode.screen === 'history') {
		return <HistoryScreen state={session.state} scroll={historyScroll} help={mode.help} banner={end ? endBanner(end, session.id) : undefined} size={size} />;
	}
	const edit = mode.edit;
	const prompt = edit ? (
		<TextInput
			key={edit.segment}
			label={`edit ${edit.segment} (Enter saves, Esc cancels, empty deletes):`}
			initial={edit.text}
			typed={edit.typed}
			width={size.columns}
			onCancel={() => setMode(m => ({...m, edit: undefined}))}
			onSubmit={text => {
				setMode(m => ({...m, edit: undefined}));
				if (!engine.submit({kind: 'edit-segment', segment: edit.segment, text})) setNotice('the round is no longer awaiting a decision; the edit was not applied');
			}}
		/>
	) : undefined;
	return (
		<RoundScreen
			state={stateWithNotice}
			frame={frame}
			cursor={shown}
			help={mode.help ? {offset: mode.helpOffset ?? 0} : undefined}
			prompt={prompt}
			size={size}
			detail={detail}
			detailOffset={detailOffset}
			spin={spin}
			now={Date.now()}
		/>
	);
}

