import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {App, type AppOutcome} from '../../source/ui/app.js';
import type {PickerChoice, TuiRun} from '../../source/ui/engine-port.js';
import {FakeEngine, makeView} from './fixtures.js';
import {KEYS, lastFrameStripped, press, renderAt, waitFor} from './helpers.js';

const sessions = [
	{id: '20260101-120000-aaaaaa', dir: '/x', task: 'uppercase', rounds: 3, bestLoss: 1.2346, lastUpdate: '2026-01-01T12:30:00.000Z'},
	{id: '20250101-120000-bbbbbb', dir: '/y', error: 'events.jsonl: line 3: not JSON'},
];

function app(launch: (choice: PickerChoice) => Promise<TuiRun>, start?: PickerChoice) {
	const outcomes: AppOutcome[] = [];
	const node = (
		<App
			launch={launch}
			start={start}
			picker={{sessions: () => sessions, examples: ['examples/arithmetic.yaml'], sessionsDir: 'sessions'}}
			editPrompt={async () => undefined}
			onExit={o => outcomes.push(o)}
		/>
	);
	return {node, outcomes};
}

test('the picker lists saved sessions (unreadable ones with why), the demo, the examples and a task file to type', async () => {
	const chosen: PickerChoice[] = [];
	const {node} = app(async choice => {
		chosen.push(choice);
		return new Promise(() => {});
	});
	const r = await renderAt(node, {columns: 100, rows: 24});
	const f = lastFrameStripped(r);
	assert.match(f, /2 saved session\(s\) in sessions/);
	assert.match(f, /^› resume 20260101-120000-aaaaaa · uppercase · 3 round\(s\) · best 1\.235 · 2026-01-01 12:30$/m);
	assert.match(f, /resume 20250101-120000-bbbbbb · unreadable: events\.jsonl: line 3: not JSON/);
	assert.match(f, /start the bundled demo/);
	assert.match(f, /start from examples\/arithmetic\.yaml/);
	assert.match(f, /start from a task file\.\.\./);
	await press(r, KEYS.enter);
	assert.deepEqual(chosen, [{kind: 'resume', id: '20260101-120000-aaaaaa'}]);
	assert.match(lastFrameStripped(r), /opening session 20260101-120000-aaaaaa/);
});

test('a task file typed in the picker is opened; a bad one brings the picker back with its error line', async () => {
	const chosen: PickerChoice[] = [];
	const {node} = app(async choice => {
		chosen.push(choice);
		throw new UserError('no such file', {file: 'nope.yaml'});
	});
	const r = await renderAt(node);
	await press(r, 'j', 'j', 'j', 'j', KEYS.enter);
	assert.match(lastFrameStripped(r), /^task file:/m);
	await press(r, 'nope.yaml', KEYS.enter);
	await waitFor(() => /! nope\.yaml: no such file/.test(lastFrameStripped(r)), 'the error in the picker');
	assert.deepEqual(chosen, [{kind: 'task', file: 'nope.yaml'}]);
	// The picker keeps its place: two up from the task file is the demo.
	await press(r, 'k', 'k', KEYS.enter);
	assert.deepEqual(chosen.at(-1), {kind: 'demo'}, 'the picker is usable again');
});

test('started on a choice, the app opens it, runs the session and leaves on quit with the run to close', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const run: TuiRun = {engine, notes: ['using the offline generator'], close: async () => {}};
	const {node, outcomes} = app(async () => run, {kind: 'demo'});
	const r = await renderAt(node);
	await waitFor(() => /using the offline generator/.test(lastFrameStripped(r)), 'the run notes');
	engine.await(view);
	await press(r, 'q');
	await waitFor(() => outcomes.length === 1, 'the app to leave');
	assert.equal(outcomes[0].run, run);
	assert.deepEqual(engine.decisions, [{kind: 'quit'}]);
});
