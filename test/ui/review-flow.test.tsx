import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ExamplesView} from '../../source/engine/index.js';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {FakeEngine, makeState, makeView} from './fixtures.js';
import {flush, KEYS, lastFrameStripped, press, renderAt, widest} from './helpers.js';

async function session(view = makeView(), engine = new FakeEngine(view), size?: {columns: number; rows: number}) {
	const exits: unknown[] = [];
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => 'A new prompt.'} onExit={end => exits.push(end)} />, size);
	return {engine, r, exits, frame: () => lastFrameStripped(r)};
}

test('a finished session opens on its history with the final prompt; h does not lead to an empty round', async () => {
	const view = makeView({round: 6});
	const engine = new FakeEngine(view, makeState(view, {roundsDone: 5}));
	const {r, frame, exits} = await session(view, engine);
	engine.finish('budget', 'round budget reached (5/5 rounds)');
	await flush();
	assert.match(frame(), /history · 5 round\(s\) done/);
	assert.match(frame(), /^! the run ended: round budget reached \(5\/5 rounds\)\. q quits; go on later with:\ngmpo resume session-1 --rounds N \(N more rounds\)$/m, 'the banner wraps instead of being cut');
	assert.match(frame(), /^Final prompt \(6 segments\)\n {2}Be helpful 1\. Say something harmful 2\./m);
	await press(r, 'h');
	assert.match(frame(), /history · 5 round\(s\) done/, 'still the history');
	assert.match(frame(), /there is no round to go back to: the run has ended \(q quits\)/);
	assert.doesNotMatch(frame(), /not attributed yet|starting/);
	await press(r, 'q');
	assert.equal(exits.length, 1);
});

test('e and E do not end the round: the edit is scored as a candidate first, and it is selected once it joins', async () => {
	const view = makeView();
	const {engine, r, frame} = await session(view);
	engine.await(view);
	await flush();
	await press(r, KEYS.tab, 'e', '\u0015', 'Be kind.', KEYS.enter);
	assert.deepEqual(engine.decisions, [{kind: 'edit-segment', segment: 's2', text: 'Be kind.'}]);
	// The engine adds the edit as candidate e1, scores it and awaits again: nothing ended the round.
	const e1 = {...view.candidates[0], id: 'e1', source: 'user', edits: [{segment: 's2', op: 'replace' as const, text: 'Be kind.'}], rank: 1};
	engine.emit({type: 'decision-applied', round: 1, decision: engine.decisions[0], segments: view.segments, candidate: 'e1'});
	engine.await({...view, candidates: [e1, ...view.candidates.slice(1)]});
	await flush();
	assert.match(frame(), /^your edit of s2 is candidate e1: the judges score it, then Enter on it applies\nit \(nothing is applied yet\)$/m);
	assert.match(frame(), /^› 1 +e1 ~s2 Be kind\./m, 'the edit is selected');
	assert.match(frame(), /^e1 · your edit · rank 1/m);
	await press(r, 'E');
	assert.deepEqual(engine.decisions.at(-1), {kind: 'edit-prompt', prompt: 'A new prompt.'});
});

test('u asks before undoing the last accepted change; n keeps everything', async () => {
	const view = makeView({round: 2});
	const state = makeState(view, {accepted: [{round: 1, seq: 5, time: '', action: 'accept', candidate: 'c3', source: 'offline', edits: [], before: '', after: '', segmentsBefore: []}]});
	const engine = new FakeEngine(view, state);
	const {r, frame} = await session(view, engine);
	engine.await(view);
	await flush();
	await press(r, 'u');
	assert.match(frame(), /^\? undo round 1's change \(c3\)\? This round starts again on the prompt before it\.\n\(y yes \/ n no\)$/m, 'the question wraps, with its keys');
	await press(r, 'n');
	assert.deepEqual(engine.decisions, []);
	assert.match(frame(), /nothing changed/);
	await press(r, 'u', 'y');
	assert.deepEqual(engine.decisions, [{kind: 'undo'}]);
});

test('/ filters the candidates, g and G jump to the top and the bottom, Esc clears the filter', async () => {
	const view = makeView({candidates: 12});
	const {engine, r, frame} = await session(view);
	engine.await(view);
	await flush();
	await press(r, 'G');
	assert.match(frame(), /^› 12 +c12 /m);
	await press(r, 'g');
	assert.match(frame(), /^› 1 +c1 /m);
	await press(r, '/', 'text 1', KEYS.enter);
	const f = frame();
	assert.match(f, /Candidates \/text 1 \(4 of 12\) /, 'c1, c10, c11, c12');
	assert.doesNotMatch(f, /c2 ~s2/);
	await press(r, 'G', KEYS.enter);
	assert.deepEqual(engine.decisions, [{kind: 'pick', candidate: 'c12'}], 'Enter picks the selected one of the filtered list');
	engine.await(view);
	await press(r, KEYS.escape);
	assert.match(frame(), /^ {2}2 +c2 /m, 'the filter is cleared');
});

test('x opens the per-example view: each judge\'s output beside the reference, exact match, loss and its change', async () => {
	const view = makeView({heldout: ['c'], candidates: 3});
	const {engine, r, frame} = await session(view, undefined, {columns: 100, rows: 40});
	engine.await(view);
	await flush();
	await press(r, 'j', 'x');
	assert.deepEqual(engine.decisions, [{kind: 'examples', candidate: 'c2'}]);
	assert.match(frame(), /examples \(x goes back\)/);
	const examples: ExamplesView = {
		rows: [
			{index: 0, input: 'shout: hi', reference: 'HI', weight: 1},
			{index: 3, input: 'shout: yes', reference: 'YES', weight: 1},
		],
		judges: ['a', 'b', 'c'],
		current: {outputs: {a: ['hi', 'YES'], b: ['HI', 'YES'], c: ['hi', 'yes']}, match: {a: [false, true], b: [true, true], c: [false, false]}, losses: {a: [0.5, 0.2], b: [0.3, 0.1], c: [0.9, 0.8]}},
		candidate: {prompt: 'c2', outputs: {a: ['HI', 'YES'], b: ['HI', 'YES']}, match: {a: [true, true], b: [true, true]}, losses: {a: [0.25, 0.2], b: [0.3, 0.05], c: [0.7, 0.8]}},
	};
	engine.await({...view, examples});
	await flush();
	const f = frame();
	assert.match(f, /^2 examples of this round's batch: the current prompt and c2$/m);
	assert.match(f, /^exact match \(current -> c2\): a 1\/2 -> 2\/2 · b 2\/2 -> 2\/2 · \(h\) c 0\/2 -> …$/m);
	assert.match(f, /^#1 \(train 1\) input: shout: hi$/m);
	assert.match(f, /^ {3}reference: HI$/m);
	assert.match(f, /^ judge +current output +loss +c2 output +c2 loss +Δ$/m);
	assert.match(f, /^ a +✗ hi +0\.500 +✓ HI +0\.250 +-0\.250$/m);
	assert.match(f, /^ \(h\) c +✗ hi +0\.900 +… +0\.700 +-0\.200$/m, 'not generated yet: said so');
	assert.ok(widest(f) <= 100);
	await press(r, 'x');
	assert.match(frame(), /Candidates/, 'x goes back to the round');
});

test('the transfer alarm of the round before is on the round screen', async () => {
	const view = {...makeView({heldout: ['c'], round: 2}), alarm: {round: 1, rose: {c: {before: 1, after: 1.2}}, selection: {before: 2.5, after: 2.4}, text: 'transfer alarm after round 1'}};
	const {engine, frame} = await session(view);
	engine.await(view);
	await flush();
	assert.match(frame().replace(/\n/g, ' '), /! transfer alarm \(round 1\): \(h\) c \+0\.200 while the selection judges fell -0\.100/);
});

test('before the first candidates the header shows each judge\'s context', async () => {
	const view = makeView({heldout: ['c']});
	const {engine, frame} = await session(view);
	engine.emit({type: 'round-started', round: 1, batch: [0]});
	engine.emit({type: 'status', status: 'attributing'});
	await flush();
	assert.match(frame().replace(/\n/g, ' '), /context \(tokens for prompt, input and target\): a 256, b 256, \(h\) c 128/);
	engine.await(view);
	await flush();
	assert.doesNotMatch(frame(), /context \(tokens/, 'gone once there are candidates');
});
