import assert from 'node:assert/strict';
import {test} from 'node:test';
import {progressReporter} from '../../source/commands/progress.js';
import type {EngineEvent} from '../../source/engine/types.js';
import {makeView} from '../ui/fixtures.js';
import {capture} from './helpers.js';

const events: EngineEvent[] = [
	{type: 'round-started', round: 1, batch: [0, 1]},
	{type: 'progress', round: 1, phase: 'attribution', done: 1, total: 2},
	{type: 'candidate-scored', round: 1, candidate: 'c1', losses: {a: 1}, done: 1, total: 4},
	{type: 'decision-applied', round: 1, decision: {kind: 'skip'}, segments: []},
	{type: 'round-finished', round: 1, changed: false, losses: {a: 1.5}},
	{type: 'finished', reason: 'round budget reached (1/1 rounds)', rounds: 1, accepted: 0},
];

test('headless progress: plain lines without a terminal, a bar redrawn in place on one', () => {
	const plain = capture(false);
	const p = progressReporter(plain, 1);
	events.forEach(p.listener);
	assert.equal(
		plain.text,
		['round 1/1: started (2 examples)', 'round 1/1: skipped', 'round 1/1: loss a 1.500', 'finished: round budget reached (1/1 rounds); 1 round(s), 0 accepted', ''].join('\n'),
	);
	const tty = capture(true);
	const t = progressReporter(tty, 1);
	events.forEach(t.listener);
	assert.match(tty.text, /\r\u001B\[2Kround 1\/1 \[#{12}\.{12}\] attribution 1\/2/);
	assert.match(tty.text, /\r\u001B\[2Kround 1\/1 \[#{6}\.{18}\] scoring 1\/4/);
	assert.match(tty.text, /\r\u001B\[2Kround 1\/1: skipped\n/, 'the bar is cleared before a line');
	assert.doesNotMatch(tty.text, /started/, 'steps are not listed on a terminal');
});

test('headless progress states a change in loss in nats/token, with a percentage only where the loss is well away from zero', () => {
	const view = makeView({judges: ['a', 'b'], heldout: ['c'], candidates: 1});
	const c = view.candidates[0];
	Object.assign(c, {id: 'c5', change: {a: 0.039, b: -0.1, c: 0.01}, relative: {b: -0.05, c: 0.005}, aggregate: -0.0305});
	view.current = {a: 0.045, b: 2, c: 2};
	const out = capture(false);
	const p = progressReporter(out, 1);
	p.listener({type: 'round-started', round: 1, batch: [0]});
	p.listener({type: 'awaiting-decision', round: 1, view});
	p.listener({type: 'decision-applied', round: 1, decision: {kind: 'accept'}, segments: [], candidate: 'c5'});
	assert.match(out.text, /^round 1\/1: accepted c5 \(mean change -0\.0305 nats\/token; a \+0\.0390, b -0\.100 \(-5\.0%\), c \(held out\) \+0\.0100 \(\+0\.5%\)\)$/m);
	assert.doesNotMatch(out.text, /a \+0\.0390 \(/, 'no percentage for a loss of 0.045');
});
