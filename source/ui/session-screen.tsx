/**
 * A running session: follows the engine (useEngineRun), keeps the user's place (selection, marks, lens, screen,
 * filter, scroll positions), binds the keys (useRoundKeys) and shows the round, the history or the per-example view.
 * When the run ends by quitting or a stop it reports the end at once; when the budget is spent (a finished session
 * resumed, too) it shows the history, with the final prompt, and a banner until the user quits.
 */
import {Box, Text} from 'ink';
import {useEffect, useMemo, useState} from 'react';
import type {RoundView} from '../engine/index.js';
import {detailContent, detailHeight} from './detail-content.js';
import type {TuiEngine} from './engine-port.js';
import {examplesContent} from './examples-content.js';
import {examplesRows, ExamplesScreen} from './examples-screen.js';
import {helpMaxOffset} from './help-overlay.js';
import {historyContent} from './history-content.js';
import {historyLayout, HistoryScreen} from './history-screen.js';
import {usableRows} from './layout.js';
import {initialCursor, updateCursor, withDefaults, type RoundCursor} from './round-cursor.js';
import {roundFrame} from './round-frame.js';
import {RoundScreen} from './round-screen.js';
import {clampOffset} from './scroll-pane.js';
import {TextInput} from './text-input.js';
import {ConfirmLine, confirmText} from './confirm-line.js';
import {wrapLines} from './wrap.js';
import {useEngineRun, type RunEnd} from './use-engine-run.js';
import {useLatest} from './use-latest.js';
import {useRefState} from './use-ref-state.js';
import {useRoundKeys, type SessionMode} from './use-round-keys.js';
import {useSpinner} from './use-spinner.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useTheme} from './use-theme.js';
import {examplesMessage} from './round-frame.js';

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
	return `the run ended: ${end.result.reason}. q quits; go on later with: gmpo resume ${session} --rounds N (N more rounds)`;
}

/** Whether a candidate matches the filter (its id, edits or rationale contain the text, ignoring case). */
function matches(c: RoundView['candidates'][number], query: string): boolean {
	const q = query.trim().toLowerCase();
	if (q === '') return true;
	return [c.id, c.source, ...c.edits.flatMap(e => [e.segment, e.op, e.text ?? '', e.rationale ?? ''])].some(s => s.toLowerCase().includes(q));
}

/** What an inline edit does, said above the field. */
const EDIT_HINT = 'Enter scores your edit as a candidate (nothing is applied yet); Esc cancels; an empty text deletes the segment';

/** Each judge's context, shown until the first candidates arrive: what fits is the first thing a long prompt hits. */
function contextText(engine: TuiEngine): string {
	const judges = [...engine.selection, ...engine.heldout].map(j => `${j.info.heldout ? '(h) ' : ''}${j.info.name} ${j.info.contextLength ?? '?'}`);
	return `context (tokens for prompt, input and target): ${judges.join(', ')}`;
}

type Scrolls = {history: number; examples: number; detail: {key: string; offset: number}};

/** The round, history and examples screens of one session. */
export function SessionScreen({engine, notes = [], editPrompt, onExit}: Props) {
	const {state, end} = useEngineRun(engine);
	const size = useTerminalSize();
	const {glyphs, color} = useTheme();
	const [cursor, getCursor, setCursor] = useRefState<RoundCursor>(initialCursor);
	const [mode, getMode, setMode] = useRefState<SessionMode>({screen: 'round', help: false});
	const [scrolls, setScrolls] = useState<Scrolls>({history: 0, examples: 0, detail: {key: '', offset: 0}});
	const [notice, setNotice] = useState<string | undefined>(notes.join('; ') || undefined);
	const spin = useSpinner(state.progress !== undefined);
	const session = engine.session;
	useEffect(() => {
		if (!end) return;
		// Quit and stops leave at once; a spent budget or an error stays on screen until the user quits.
		if ('result' in end && end.result.ending !== 'budget') onExit(end);
		else setMode(m => ({...m, screen: 'history', edit: undefined, filter: undefined, confirm: undefined}));
	}, [end, onExit, setMode]);
	// The user's own edit joins the candidates: select it, so Enter applies it once it is scored.
	useEffect(() => {
		if (state.select) setCursor(c => ({...c, pane: 'candidates', candidate: state.select!.candidate, epoch: state.epoch}));
	}, [state.select?.seq]);
	const filter = mode.filter;
	const view = useMemo(() => (state.view && filter?.query ? {...state.view, candidates: state.view.candidates.filter(c => matches(c, filter.query))} : state.view), [state.view, filter?.query]);
	const latestView = useLatest(view);
	const latestEpoch = useLatest(state.epoch);
	const defaulted = withDefaults(cursor, view, state.epoch);
	const segments = view?.segments;
	// Kept as the same array while nothing changes, so the heatmap is not redrawn for every key.
	const marked = useMemo(() => defaulted.marked.filter(id => segments?.some(s => s.id === id)), [defaulted.marked, segments]);
	const shown: RoundCursor = {...defaulted, marked};
	const stateShown = useMemo(() => {
		const withNotice = notice ? {...state, messages: [...state.messages, {level: 'info' as const, text: notice}]} : state;
		return view === state.view ? withNotice : {...withNotice, view};
	}, [state, notice, view]);
	const replaced = mode.confirm
		? wrapLines(confirmText(mode.confirm.question), size.columns).length
		: mode.edit
			? 1 + wrapLines(EDIT_HINT, size.columns).length
			: mode.filter?.typing
				? 1
				: undefined;
	const starting = view && view.candidates.length > 0 ? undefined : contextText(engine);
	// Measured once per change of what it depends on: moving the candidate selection does not re-measure it.
	const frame = useMemo(
		() =>
			roundFrame(stateShown, {
				task: session.state.task.name,
				session: session.id,
				size,
				lens: shown.lens,
				focused: shown.pane === 'segments',
				selectedSegment: shown.segment,
				starting,
				replaced,
				glyphs,
			}),
		[stateShown, session, size, shown.lens, shown.pane, shown.segment, starting, replaced, glyphs],
	);
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
					objectives: view?.objectives,
					hypervolume: view?.hypervolume,
					sep: glyphs.sep,
					delta: glyphs.delta,
				},
				size.columns,
			),
		[view, shown.pane, shown.candidate, shown.segment, size.columns, glyphs],
	);
	const detailMax = clampOffset(Number.MAX_SAFE_INTEGER, detail.reduce((n, l) => n + detailHeight(l), 0), Math.max(0, layout.detail - 1));
	// The scroll belongs to what is selected: another selection starts at its top.
	const detailOffset = scrolls.detail.key === detailKey ? Math.min(scrolls.detail.offset, detailMax) : 0;
	const ended = end !== undefined;
	const banner = end ? endBanner(end, session.id) : undefined;
	const history = useMemo(() => (mode.screen === 'history' ? historyContent(session.state, size.columns, ended) : []), [mode.screen, session.state, session.state.lastSeq, size.columns, ended]);
	// Scroll limits are worked out when a key asks, not on every frame.
	const historyMax = () => clampOffset(Number.MAX_SAFE_INTEGER, history.length, historyLayout(session.state, size, banner, glyphs, notice).listRows);
	const examples = useMemo(() => (view?.examples ? examplesContent(view.examples, size.columns, glyphs, view.heldout) : undefined), [view?.examples, view?.heldout, size.columns, glyphs]);
	const examplesTitle = ['gmpo', session.state.task.name, state.round === undefined ? 'starting' : `round ${state.round}`, 'examples (x goes back)'].join(glyphs.sep);
	const message = examplesMessage(stateShown);
	const examplesMax = () => clampOffset(Number.MAX_SAFE_INTEGER, (examples ?? []).reduce((n, l) => n + detailHeight(l), 0), examplesRows(examplesTitle, state.progress, message, size));
	useRoundKeys({
		engine,
		state,
		cursor: () => withDefaults(getCursor(), latestView.current, latestEpoch.current),
		setCursor: update => setCursor(c => updateCursor(c, latestView.current, latestEpoch.current, update)),
		candidateIds: () => (latestView.current?.candidates ?? []).map(c => c.id),
		mode: getMode,
		setMode,
		scroll: (list, delta) =>
			setScrolls(s => {
				if (list === 'detail') return {...s, detail: {key: detailKey, offset: Math.max(0, Math.min(detailMax, detailOffset + delta))}};
				const max = list === 'history' ? historyMax() : examplesMax();
				return {...s, [list]: Math.max(0, Math.min(max, Math.min(s[list], max) + delta))};
			}),
		helpMax: () => helpMaxOffset(mode.screen, size.columns, usableRows(size.rows) - 2, glyphs),
		page: Math.max(1, mode.screen !== 'round' ? size.rows - 10 : shown.pane === 'candidates' ? layout.candidates - 1 : layout.segments - 1),
		notify: setNotice,
		editPrompt,
		exit: () => end && onExit(end),
		ended,
		active: mode.edit === undefined && !mode.filter?.typing,
	});
	const help = mode.help ? {offset: mode.helpOffset ?? 0} : undefined;
	if (mode.screen === 'history') {
		return <HistoryScreen state={session.state} scroll={Math.min(scrolls.history, historyMax())} help={help} banner={banner} notice={notice} ended={ended} size={size} lines={history} />;
	}
	if (mode.screen === 'examples') {
		return <ExamplesScreen title={examplesTitle} lines={examples} offset={Math.min(scrolls.examples, examplesMax())} progress={state.progress} message={message} spin={spin} now={Date.now()} help={help} size={size} />;
	}
	let prompt;
	if (mode.confirm) prompt = <ConfirmLine question={mode.confirm.question} width={size.columns} />;
	else if (mode.edit) {
		const edit = mode.edit;
		prompt = (
			<Box flexDirection="column">
				{wrapLines(EDIT_HINT, size.columns).map((line, i) => (
					<Text key={i} color={color.muted} wrap="truncate-end">
						{line}
					</Text>
				))}
			<TextInput
				key={edit.segment}
				label={`edit ${edit.segment}:`}
				initial={edit.text}
				typed={edit.typed}
				width={size.columns}
				onCancel={() => setMode(m => ({...m, edit: undefined}))}
				onSubmit={text => {
					setMode(m => ({...m, edit: undefined}));
					if (!engine.submit({kind: 'edit-segment', segment: edit.segment, text})) setNotice('the round is no longer awaiting a decision; the edit was not applied');
				}}
			/>
			</Box>
		);
	} else if (filter?.typing) {
		prompt = (
			<TextInput
				key="filter"
				label="filter candidates (Enter keeps it, Esc clears it):"
				initial={filter.query}
				typed={filter.typed}
				width={size.columns}
				onCancel={() => setMode(m => ({...m, filter: undefined}))}
				onSubmit={query => setMode(m => ({...m, filter: query.trim() === '' ? undefined : {query, typing: false}}))}
			/>
		);
	}
	return (
		<RoundScreen
			state={stateShown}
			frame={frame}
			cursor={shown}
			help={help}
			prompt={prompt}
			filter={filter && !filter.typing ? {query: filter.query, shown: view?.candidates.length ?? 0, of: state.view?.candidates.length ?? 0} : undefined}
			size={size}
			detail={detail}
			detailOffset={detailOffset}
			spin={spin}
			now={Date.now()}
		/>
	);
}
