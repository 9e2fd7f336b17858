import assert from 'node:assert/strict';
import {test} from 'node:test';
import {progressReporter} from '../../source/commands/progress.js';
import type {EngineEvent} from '../../source/engine/types.js';
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
