/**
 * The TUI: the session picker, then (while the run is opened) a spinner, then the session's screens. What a choice
 * opens is the launcher's business (commands/tui.ts); the app only shows and hands over. A launch that fails with
 * a user mistake (a bad task file, a locked session) returns to the picker with the message.
 */
import {useApp} from 'ink';
import {useCallback, useEffect, useState} from 'react';
import {isUserError} from '../errors.js';
import type {SessionSummary} from '../sessions/store.js';
import type {Launcher, PickerChoice, TuiRun} from './engine-port.js';
import {LoadingScreen} from './loading-screen.js';
import {PickerScreen, type SessionActions} from './picker-screen.js';
import {SessionScreen} from './session-screen.js';
import type {RunEnd} from './use-engine-run.js';

/** How the app was left: the run it drove (to close) and how that run ended. */
export type AppOutcome = {
	/** The run, if one was opened. */
	run?: TuiRun;
	/** How it ended. */
	end?: RunEnd;
	/** The launch error, when the app was started on a choice that could not be opened. */
	error?: unknown;
};

/** What the picker lists. */
export type PickerSource = {
	/** Saved sessions, newest first (read when the picker shows). */
	sessions: () => SessionSummary[];
	/** Example task files. */
	examples: string[];
	/** The sessions folder. */
	sessionsDir: string;
	/** Deletes and names sessions (absent: the picker cannot). */
	actions?: SessionActions;
};

type Props = {
	/** Opens a run for a choice. */
	launch: Launcher;
	/** Open this at once instead of showing the picker. */
	start?: PickerChoice;
	/** What the picker lists. */
	picker: PickerSource;
	/** Opens text in $EDITOR. */
	editPrompt: (text: string) => Promise<string | undefined>;
	/** Called once, when the app is left. */
	onExit: (outcome: AppOutcome) => void;
};

type Phase = {kind: 'picker'; error?: string} | {kind: 'loading'; choice: PickerChoice; cancel: () => void} | {kind: 'running'; run: TuiRun};

function describe(choice: PickerChoice): string {
	return choice.kind === 'resume' ? `session ${choice.id}` : choice.kind === 'demo' ? 'the demo' : choice.file;
}

/** Picker, loading, session. */
export function App({launch, start, picker, editPrompt, onExit}: Props) {
	const {exit} = useApp();
	const [phase, setPhase] = useState<Phase>(() => (start ? {kind: 'loading', choice: start, cancel: () => {}} : {kind: 'picker'}));
	const leave = useCallback(
		(outcome: AppOutcome) => {
			onExit(outcome);
			exit();
		},
		[onExit, exit],
	);
	const [note, setNote] = useState<string>();
	const open = useCallback(
		(choice: PickerChoice) => {
			const controller = new AbortController();
			setPhase({kind: 'loading', choice, cancel: () => controller.abort()});
			launch(choice, {signal: controller.signal, onProgress: setNote}).then(
				run => setPhase({kind: 'running', run}),
				(error: unknown) => {
					// Left while opening: the cancelled opening's error is not news.
					if (controller.signal.aborted) return;
					// Started on a choice (gmpo demo, optimize, resume): there is no picker to go back to.
					if (start || !isUserError(error)) return leave({error});
					setPhase({kind: 'picker', error: error.line});
				},
			);
		},
		[launch, leave, start],
	);
	useEffect(() => {
		if (start) open(start);
		// Only the choice the app was started on: later choices come from the picker.
	}, []);
	const [sessions, setSessions] = useState(() => (start ? [] : picker.sessions()));
	if (phase.kind === 'picker') {
		const actions = picker.actions && {...picker.actions, reload: () => setSessions(picker.sessions())};
		return <PickerScreen sessions={sessions} examples={picker.examples} sessionsDir={picker.sessionsDir} error={phase.error} onChoose={open} actions={actions} onQuit={() => leave({})} />;
	}
	if (phase.kind === 'loading') {
		const quit = () => {
			phase.cancel();
			leave({});
		};
		return <LoadingScreen what={describe(phase.choice)} note={note} onQuit={quit} />;
	}
	const {run} = phase;
	return <SessionScreen engine={run.engine} notes={run.notes} editPrompt={editPrompt} onExit={end => leave({run, end})} />;
}
