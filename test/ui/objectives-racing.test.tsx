import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SessionScreen} from '../../source/ui/session-screen.js';
import type {RoundView} from '../../source/engine/types.js';
import {FakeEngine, makeView} from './fixtures.js';
import {flush, KEYS, lastFrameStripped, press, renderAt, widest} from './helpers.js';

/** A two-objective round: c1 and c2 on the Pareto front, c4 dropped by racing at rung 1. */
function multiView(): RoundView {
	const view = makeView();
	const ids = view.segments.map(s => s.id);
	view.objectives = {
		names: ['upper', 'lower'],
		weights: [1, 1],
		mode: 'pcgrad',
		vectors: {upper: ids.map((_, k) => (k % 2 === 0 ? 0.4 : -0.1)), lower: ids.map((_, k) => (k % 2 === 0 ? -0.3 : 0.2))},
		conflict: [
			[1, -0.82],
			[-0.82, 1],
		],
		combination: [1, 1],
	};
	view.hypervolume = 0.125;
	view.candidates = view.candidates.map((c, i) => ({...c, objectiveLosses: {upper: 1 + i / 10, lower: 2 - i / 10}, pareto: i < 2}));
	const last = view.candidates.at(-1)!;
	view.candidates[view.candidates.length - 1] = {...last, losses: undefined, change: undefined, relative: undefined, aggregate: undefined, rank: undefined, judgeRanks: undefined, objectiveLosses: undefined, pareto: undefined, dropped: {rung: 1, examples: 1, aggregate: -0.05}};
	return view;
}

async function screen(view: RoundView) {
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />, {columns: 100, rows: 30});
	engine.await(view);
	await flush();
	return {r, frame: () => lastFrameStripped(r)};
}

test('the candidates table marks the Pareto front and the candidates racing dropped, with their rung', async () => {
	const {frame} = await screen(multiView());
	const f = frame();
	assert.match(f, /\[pareto\] c1 /);
	assert.match(f, /\[pareto\] c2 /);
	assert.doesNotMatch(f, /\[pareto\] c3 /);
	assert.match(f, /\[out r1\] c4 /);
	assert.ok(widest(f) <= 100);
});

test('the detail pane shows a candidate\'s objective losses, the front and the hypervolume, or where racing dropped it', async () => {
	const {r, frame} = await screen(multiView());
	assert.match(frame(), /objective losses: upper 1\.000 · lower 2\.000 · on the Pareto front · round hypervolume 0\.125/);
	await press(r, 'j', 'j', 'j');
	assert.match(frame(), /dropped by racing at rung 1 \(1 example, aggregate change \+0\.0500 nats\/token\)/);
});

test('for a selected segment the detail pane shows its importance per objective and the conflict matrix', async () => {
	const {r, frame} = await screen(multiView());
	await press(r, KEYS.tab);
	const f = frame();
	assert.match(f, /importance by objective \(pcgrad\): upper .+ · lower .+/);
	assert.match(f, /conflict \(cosine; negative: the objectives pull this prompt apart\): upper\/lower -0\.82/);
});
