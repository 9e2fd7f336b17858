import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {SessionState} from '../../source/sessions/replay.js';
import {plotChart} from '../../source/ui/chart.js';
import {HistoryScreen} from '../../source/ui/history-screen.js';
import {makeState, makeView} from './fixtures.js';
import {lastFrameStripped, renderAt, widest} from './helpers.js';

function history(): SessionState {
	const view = makeView({round: 4});
	const round = (n: number, a: number, b: number, decision: 'accept' | 'skip' | 'edit') => ({
		round: n,
		started: '',
		finished: 'x',
		candidates: [],
		candidateLosses: {},
		aggregates: {},
		decision: {action: decision},
		testLosses: {a, b},
	});
	return makeState(view, {
		roundsDone: 3,
		rounds: [round(1, 2.4, 2.6, 'accept'), round(2, 2.2, 2.5, 'skip'), round(3, 2.0, 2.3, 'edit')],
		accepted: [
			{round: 1, seq: 5, time: '', action: 'accept', candidate: 'c3', source: 'offline', edits: [{segment: 's2', op: 'replace', text: 'Be kind.'}], before: '', after: ''},
			{round: 3, seq: 9, time: '', action: 'edit', source: 'user', edits: [{segment: 's4', op: 'delete'}], before: '', after: ''},
		],
		segments: [
			{id: 's1', text: 'Be helpful. '},
			{id: 's7', text: 'Be kind. ', origin: {kind: 'edit', round: 1, candidateId: 'c3', op: 'replace'}},
			{id: 's3', text: 'Answer briefly.', frozen: true},
		],
	});
}

test('the history shows the loss per judge over rounds, the accepted edits and where each segment came from', async () => {
	const r = await renderAt(<HistoryScreen state={history()} scroll={0} help={false} size={{columns: 80, rows: 24}} />);
	const f = lastFrameStripped(r);
	assert.match(f, /history · 3 round\(s\) done · 2 accepted/);
	assert.match(f, /Loss per judge by round \(test split; 0 = the initial prompt; lower is better\)/);
	assert.match(f, /^2\.600 │.*○/m, 'b starts highest');
	assert.match(f, /^2\.000 │.*●/m, 'a ends lowest');
	assert.match(f, /^ {7}1 +2 +3$/m, 'rounds on the x axis');
	assert.match(f, /● a {2}○ b/);
	assert.match(f, /round 1 accepted c3: ~s2 Be kind\./);
	assert.match(f, /round 3 by hand: -s4/);
	assert.match(f, /s1 +initial +Be helpful\./);
	assert.match(f, /s7 +r1 c3 +Be kind\./);
	assert.match(f, /s3 +initial +❄ Answer briefly\./);
	assert.ok(f.split('\n').length <= 23 && widest(f) <= 80);
});

test('the chart marks series with their own glyphs and a shared point with *', () => {
	const chart = plotChart(
		[
			{name: 'a', values: [1, 2]},
			{name: 'b', values: [1, 3]},
		],
		['1', '2'],
		3,
		20,
		{axisY: '|', axisX: '-', markers: ['o', 'x']},
	);
	assert.deepEqual(chart.markers, ['o', 'x']);
	assert.equal(chart.lines[0], '3.000 |            x');
	assert.equal(chart.lines[1], '      |            o');
	assert.equal(chart.lines[2], '1.000 |*            ');
	assert.equal(chart.lines[4], '       1           2');
});
