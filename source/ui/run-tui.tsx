/**
 * Renders the TUI and waits until it is left: then closes the run (session lock, judge workers) and says how to
 * continue. A hang-up (the SSH connection dropped), SIGTERM or SIGINT stops the engine like a quit: every decision
 * is already on disk, the round in progress is redone on resume.
 */
import {render} from 'ink';
import type {AppOutcome, PickerSource} from './app.js';
import {App} from './app.js';
import {editInEditor} from './editor.js';
import {installFastOutput} from './ink-output.js';
import type {Launcher, PickerChoice, TuiRun} from './engine-port.js';
import {ThemeContext, type Theme} from './theme.js';

/**
 * How Ink renders the TUI: Ctrl+C is a key like the others (it quits through the key map). Frames are throttled to
 * one per ~4 ms, which only merges bursts: Ink's default (30 a second) holds a key's frame back until its window
 * ends, and a key pressed just after a spinner frame waited up to 33 ms for nothing. The screen changes only on
 * keys, engine events and the spinner (10 a second), so this does not flood an SSH link. Ink 6's incrementalRendering
 * (only changed lines written) stays off: in tmux it left a stale line and lost the title when a screen's status line
 * changed height (BENCHMARKS.md has its timings). Shared with the benchmark.
 */
export const INK_OPTIONS = {exitOnCtrlC: false, maxFps: 240, incrementalRendering: false} as const;

/** After this long closing the run, the user is told what it waits for. */
const CLOSE_NOTICE_MS = 1000;

/** How to run the TUI. */
export type TuiOptions = {
	/** Opens a run for a choice. */
	launch: Launcher;
	/** Open this at once instead of showing the picker. */
	start?: PickerChoice;
	/** What the picker lists. */
	picker: PickerSource;
	/** Colours and glyphs. */
	theme: Theme;
	/** The terminal's input (default: the process's). */
	stdin?: NodeJS.ReadStream;
	/** The terminal's output (default: the process's). */
	stdout?: NodeJS.WriteStream;
	/** Where the closing line goes (default: the process's stderr). */
	stderr?: NodeJS.WriteStream;
	/** Environment (for $EDITOR). */
	env?: NodeJS.ProcessEnv;
	/** Signals that stop the run (default SIGHUP, SIGTERM, SIGINT). */
	signals?: NodeJS.Signals[];
};

/**
 * Ends the process after a hang-up, once the session is saved and closed, the way an unhandled SIGHUP ends it.
 * There is no terminal left to tell anything to, and a normal exit would not be clean: Node 20 restores the
 * terminal's settings at exit and aborts when the terminal is gone (nodejs/node#51519, fixed in later releases).
 */
function hungUp(): never {
	// Without listeners (ours are removed; the one Ink's cursor restore left has no terminal to restore), SIGHUP has
	// its default action again, and a signal a process sends itself is delivered before kill() returns.
	process.removeAllListeners('SIGHUP');
	process.kill(process.pid, 'SIGHUP');
	throw new Error('SIGHUP did not end the process');
}

/** Runs the TUI until the user leaves; returns the exit code. A launch's user error is thrown for the command. */
export async function runTui(options: TuiOptions): Promise<number> {
	const stdin = options.stdin ?? process.stdin;
	const stdout = options.stdout ?? process.stdout;
	const stderr = options.stderr ?? process.stderr;
	const signals = options.signals ?? ['SIGHUP', 'SIGTERM', 'SIGINT'];
	let active: TuiRun | undefined;
	let outcome: AppOutcome = {};
	let signalled: NodeJS.Signals | undefined;
	// A run still opening when the app is left (quit or a signal on the loading screen) is closed once it is open.
	let opening: Promise<unknown> | undefined;
	// A signal while a run opens cancels the opening (a judge's first build stops, and nothing half-built is kept).
	let cancelOpening: (() => void) | undefined;
	const launch: Launcher = (choice, how) => {
		const controller = new AbortController();
		how.signal.addEventListener('abort', () => controller.abort(), {once: true});
		cancelOpening = () => controller.abort();
		const run = options.launch(choice, {...how, signal: controller.signal}).then(r => (active = r));
		opening = run.catch(() => undefined);
		return run;
	};
	// Frames at large terminal sizes cost about a sixth of Ink's own assembly with this (ink-output.ts says why).
	await installFastOutput();
	const instance = render(
		<ThemeContext.Provider value={options.theme}>
			<App
				launch={launch}
				start={options.start}
				picker={options.picker}
				editPrompt={text => editInEditor(text, {stdin, env: options.env ?? process.env})}
				onExit={o => (outcome = o)}
			/>
		</ThemeContext.Provider>,
		{stdin, stdout, stderr, ...INK_OPTIONS},
	);
	// After a hang-up the terminal is gone: writes fail, and that must not turn a clean stop into a crash.
	const ignore = () => {};
	stdout.on('error', ignore);
	const onSignal = (signal: NodeJS.Signals) => {
		signalled ??= signal;
		if (active) active.engine.stop(`interrupted (${signal})`);
		else {
			cancelOpening?.();
			instance.unmount();
		}
	};
	// A hang-up can show as the end of the terminal's input before SIGHUP is handled (or without it): then nothing
	// would keep the process alive, and it would end before the run is closed. Both mean the same.
	const onInputEnd = () => onSignal('SIGHUP');
	if (signals.includes('SIGHUP')) stdin.on('end', onInputEnd).on('error', onInputEnd);
	for (const s of signals) process.on(s, onSignal);
	try {
		await instance.waitUntilExit();
	} finally {
		// Handlers stay until the run is closed: a second signal must not end the process half-way through.
		// Closing waits for a run still opening, and for the judges' runs in flight (one batch each); say so when that
		// is long enough to notice.
		const slow = setTimeout(() => {
			if (signalled !== 'SIGHUP') stderr.write('closing: waiting for the judges to finish what they are doing\n');
		}, CLOSE_NOTICE_MS);
		try {
			await opening;
			await active?.close();
		} finally {
			clearTimeout(slow);
			for (const s of signals) process.off(s, onSignal);
			stdin.off('end', onInputEnd).off('error', onInputEnd);
			stdout.off('error', ignore);
		}
	}
	if (signalled === 'SIGHUP' && !options.signals) hungUp();
	if (outcome.error) throw outcome.error;
	const end = outcome.end;
	if (end && 'error' in end) throw end.error;
	if (active && active.saved?.() !== false) {
		const id = active.engine.session.id;
		stderr.write(`session ${id} saved; continue with: gmpo resume ${id}\n`);
		// What the user came for stays on the terminal once the screen is gone.
		if (signalled !== 'SIGHUP') stdout.write(`current prompt of session ${id}:\n${active.engine.segments.map(s => s.text).join('')}\n`);
	}
	return signalled ? 130 : 0;
}
