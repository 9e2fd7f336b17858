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
	assert.match(f, /^ {4}session +task +rounds +best loss +last update$/m, 'the sessions are a table');
	assert.match(f, /^ › +20260101-120000-aaaaaa +uppercase +3 +1\.235 +2026-01-01 12:30$/m);
	assert.match(f, /^ {4}20250101-120000-bbbbbb +unreadable: events\.jsonl: line 3:…$/m, "cut in the table, with an ellipsis");
	await press(r, 'j');
	assert.match(lastFrameStripped(r), /^! session 20250101-120000-bbbbbb cannot be read: events\.jsonl: line 3: not JSON$/m, 'the whole reason, for the selected one');
	await press(r, 'k');
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
	await press(r, 'G', KEYS.enter);
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

test('d deletes the selected session after a yes, n names it; a refusal is one line', async () => {
	let list = [...sessions];
	const calls: string[] = [];
	const outcomes: AppOutcome[] = [];
	const node = (
		<App
			launch={async () => new Promise(() => {})}
			picker={{
				sessions: () => list,
				examples: [],
				sessionsDir: 'sessions',
				actions: {
					remove: id => {
						calls.push(`remove ${id}`);
						if (id.endsWith('bbbbbb')) throw new UserError('session is open in another gmpo (pid 42)', {field: 'session'});
						list = list.filter(s => s.id !== id);
					},
					rename: (id, name) => {
						calls.push(`rename ${id} ${name}`);
						list = list.map(s => (s.id === id ? {...s, name} : s));
					},
				},
			}}
			editPrompt={async () => undefined}
			onExit={o => outcomes.push(o)}
		/>
	);
	const r = await renderAt(node, {columns: 100, rows: 24});
	await press(r, 'n', 'first try', KEYS.enter);
	assert.deepEqual(calls, ['rename 20260101-120000-aaaaaa first try']);
	assert.match(lastFrameStripped(r), /^ › +20260101-120000-aaaaaa +first try +uppercase/m);
	await press(r, 'd');
	assert.match(lastFrameStripped(r), /^\? delete session 20260101-120000-aaaaaa and everything in it\? \(y yes \/ n no\)$/m);
	await press(r, 'n');
	assert.equal(calls.length, 1, 'n keeps it');
	await press(r, 'd', 'y');
	assert.deepEqual(calls.at(-1), 'remove 20260101-120000-aaaaaa');
	assert.doesNotMatch(lastFrameStripped(r), /aaaaaa  /, 'gone from the list');
	assert.match(lastFrameStripped(r), /deleted session 20260101-120000-aaaaaa/);
	await press(r, 'd', 'y');
	assert.match(lastFrameStripped(r), /^! session: session is open in another gmpo \(pid 42\)$/m);
	assert.equal(outcomes.length, 0);
});
