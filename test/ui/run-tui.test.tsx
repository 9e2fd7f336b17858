/**
 * runTui, the TUI's process-level driver: a hang-up that shows as the end of the terminal's input (before, or
 * without, SIGHUP) stops the run like SIGHUP does, and the run is closed before runTui returns.
 */
import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';
import {runTui} from '../../source/ui/run-tui.js';
import {makeTheme} from '../../source/ui/theme.js';
import {FakeEngine, makeView} from './fixtures.js';
import {waitFor} from './helpers.js';

/** A terminal's input: a TTY in raw mode, as Ink wants it. */
function terminalInput(): NodeJS.ReadStream {
	return Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined}) as unknown as NodeJS.ReadStream;
}

/** A terminal's output, 80x24, collecting what is written. */
function terminalOutput(): NodeJS.WriteStream & {text: () => string} {
	const stream = new PassThrough();
	let text = '';
	stream.on('data', chunk => (text += String(chunk)));
	return Object.assign(stream, {isTTY: true, columns: 80, rows: 24, text: () => text}) as unknown as NodeJS.WriteStream & {text: () => string};
}

/** Runs the TUI on a fake engine whose run closes with `close` (and opens after `openMs`); returns what the test needs. */
function start(close: () => Promise<void>, openMs = 0) {
	const engine = new FakeEngine(makeView());
	let running = false;
	const run = engine.run.bind(engine);
	engine.run = () => ((running = true), run());
	const stdin = terminalInput();
	const stdout = terminalOutput();
	const stderr = terminalOutput();
	const ended = runTui({
		launch: () => new Promise(resolve => setTimeout(() => resolve({engine, notes: [], close}), openMs)),
		start: {kind: 'resume', id: engine.session.id},
		picker: {sessions: () => [], examples: [], sessionsDir: 'sessions'},
		theme: makeTheme({color: false, unicode: true}),
		stdin,
		stdout,
		stderr,
		signals: ['SIGHUP'],
	});
	return {engine, stdin, stdout, stderr, ended, running: () => running};
}

test('the end of the terminal input stops the run like a hang-up; the run is closed before runTui returns', async () => {
	let closed = 0;
	const {engine, stdin, stderr, ended, running} = start(async () => void closed++);
	await waitFor(running, 'the session screen to run the engine');
	stdin.end();
	assert.equal(await ended, 130);
	assert.equal(engine.stopped, 'interrupted (SIGHUP)');
	assert.equal(closed, 1);
	assert.match(stderr.text(), new RegExp(`session ${engine.session.id} saved`));
	assert.doesNotMatch(stderr.text(), /waiting/, 'a quick close says nothing about waiting');
});

test('a close that takes long (the judges finishing their batch) is announced, unless the terminal hung up', async () => {
	const slowClose = () => new Promise<void>(resolve => setTimeout(resolve, 1300));
	const quit = start(slowClose);
	await waitFor(quit.running, 'the session screen to run the engine');
	quit.engine.stop('quit');
	assert.equal(await quit.ended, 0);
	assert.match(quit.stderr.text(), /^closing: waiting for the judges to finish what they are doing\nsession \S+ saved/);
	assert.ok(quit.stdout.text().endsWith(`current prompt of session ${quit.engine.session.id}:\n${makeView().prompt}\n`), 'the prompt is printed when the TUI is left');

	const hungUp = start(slowClose);
	await waitFor(hungUp.running, 'the session screen to run the engine');
	hungUp.stdin.end();
	assert.equal(await hungUp.ended, 130);
	assert.doesNotMatch(hungUp.stderr.text(), /waiting/, 'nobody is there to read it');
	assert.doesNotMatch(hungUp.stdout.text(), /current prompt of session/);
});

test('q while the run is still opening leaves at once; the run is closed when it is open, never started', async () => {
	let closed = 0;
	const opening = start(async () => void closed++, 500);
	await new Promise(resolve => setTimeout(resolve, 100));
	opening.stdin.write('q');
	assert.equal(await opening.ended, 0);
	assert.equal(opening.running(), false, 'the engine never ran');
	assert.equal(closed, 1, 'the run that finished opening after the quit was closed (its session lock released)');
	assert.match(opening.stderr.text(), new RegExp(`session ${opening.engine.session.id} saved`));
});
