import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {SessionState} from '../../source/sessions/replay.js';
import {plotChart} from '../../source/ui/chart.js';
import {HistoryScreen} from '../../source/ui/history-screen.js';
import {makeState, makeView} from './fixtures.js';
import {makeTheme, ThemeContext} from '../../source/ui/theme.js';
import {flush, lastFrameStripped, renderAt, widest} from './helpers.js';

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
			{round: 1, seq: 5, time: '', action: 'accept', candidate: 'c3', source: 'offline', edits: [{segment: 's2', op: 'replace', text: 'Be kind.'}], before: '', after: '', segmentsBefore: []},
			{round: 3, seq: 9, time: '', action: 'edit', source: 'user', edits: [{segment: 's4', op: 'delete'}], before: '', after: '', segmentsBefore: []},
		],
		segments: [
			{id: 's1', text: 'Be helpful. '},
			{id: 's7', text: 'Be kind. ', origin: {kind: 'edit', round: 1, candidateId: 'c3', op: 'replace'}},
			{id: 's3', text: 'Answer briefly.', frozen: true},
		],
	});
}

test('the history shows the loss per judge over rounds, the prompt and its changes, the accepted edits and where each segment came from', async () => {
	const r = await renderAt(<HistoryScreen state={history()} scroll={0} size={{columns: 80, rows: 50}} />, {columns: 80, rows: 50});
	const f = lastFrameStripped(r);
	assert.match(f, /^Current prompt \(3 segments\)\n {2}Be helpful\. Be kind\. Answer briefly\.$/m);
	assert.match(f, /^Changes since the initial prompt/m);
	assert.match(f, /^ {2}- s2 +Say something harmful 2\.\n {2}\+ s7 +Be kind\.$/m, 'a diff of the initial prompt against the current one');
	assert.match(f, /^Prompt lineage \(ids are never reused: a gap is a deleted segment or an id a\ncandidate took\)$/m, 'gaps in segment ids are explained, wrapped rather than cut');
	assert.match(f, /not in the prompt any more: s4 deleted in round 3/);
	assert.match(f, /\* = judges on the same point/, 'the chart legend explains *');
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
	assert.match(f, /s3 +initial +\(frozen\) Answer briefly\./);
	assert.ok(f.split('\n').length <= 49 && widest(f) <= 80);
	// At 80x24 the list scrolls, and says so.
	const small = await renderAt(<HistoryScreen state={history()} scroll={0} size={{columns: 80, rows: 24}} />);
	const s = lastFrameStripped(small);
	assert.match(s, /^↓ \d+ more lines \(↑ ↓ scrolls\)$/m);
	assert.ok(s.split('\n').length <= 23 && widest(s) <= 80);
	small.rerender(<ThemeContext.Provider value={makeTheme({color: true, unicode: true})}><HistoryScreen state={history()} scroll={100} size={{columns: 80, rows: 24}} /></ThemeContext.Provider>);
	await flush();
	assert.match(lastFrameStripped(small), /^↑ \d+ lines above \(↑ ↓ scrolls\)$/m);
	assert.match(lastFrameStripped(small), /s3 +initial +\(frozen\) Answer briefly\.$/m, 'scrolled to the end');
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
