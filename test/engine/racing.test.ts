import assert from 'node:assert/strict';
import {test} from 'node:test';
import {autoDecide, Engine, type RoundView} from '../../source/engine/index.js';
import {scorePrompt, taskObjectives} from '../../source/engine/measure.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {FakeJudge, makeSession, makeTask, type Rule} from './fakes.js';

const letters = 'abcdefgh'.split('');
// Examples a-d favour "kind", e-h favour "brief": a candidate can lead on the first rungs and lose on the batch.
const rules: Rule[] = [
	{pattern: /harmful/, delta: 1},
	{pattern: /kind/, delta: -0.6, target: /^[A-D]$/},
	{pattern: /kind/, delta: 0.5, target: /^[E-H]$/},
	{pattern: /brief/, delta: -0.4},
];

const racingTask = (fields: Record<string, unknown> = {}) =>
	makeTask({
		rounds: 1,
		batchSize: 8,
		racing: true,
		generator: {kind: 'offline', candidates: 8},
		phraseBank: ['Be kind.', 'Be brief.', 'Be kind and brief.', 'Say hello.', 'Be harmful.'],
		data: {train: letters.map(x => ({input: x, target: x.toUpperCase()})), test: [{input: 'x', target: 'X'}]},
		...fields,
	});

async function race(judges: FakeJudge[], fields: Record<string, unknown> = {}) {
	const task = racingTask(fields);
	const session = makeSession(task, {judges: judges.map(j => j.info.name)});
	const views: RoundView[] = [];
	const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide});
	engine.on(e => e.type === 'awaiting-decision' && views.push(e.view));
	const result = await engine.run();
	return {task, engine, view: views[0]!, result, session};
}

test('racing drops the weaker half at each rung; the survivors get full-batch scores, and only they are ranked', async () => {
	const a = new FakeJudge('a', {rules});
	const h = new FakeJudge('h', {rules, heldout: true});
	const {task, engine, view} = await race([a, h]);
	assert.equal(view.candidates.length, 8);
	const dropped = view.candidates.filter(c => c.dropped);
	assert.deepEqual(dropped.map(c => [c.dropped!.rung, c.dropped!.examples]).sort(), [[1, 2], [1, 2], [1, 2], [1, 2], [2, 4], [2, 4]]);
	assert.ok(dropped.every(c => c.losses === undefined && c.rank === undefined));
	const ranked = view.candidates.filter(c => c.rank !== undefined);
	assert.equal(ranked.length, 2);
	// Full-batch scores: exactly what scoring the survivor on the whole batch gives, held-out judge included.
	const batch = view.batch.map(i => task.data.train[i]!);
	for (const c of ranked) {
		const direct = await scorePrompt({judges: [a, h], segments: c.segments.map(s => s.text), examples: batch, objectives: taskObjectives(task), signal: new AbortController().signal});
		assert.deepEqual(c.losses, direct.losses);
	}
	assert.match(view.notes.join('\n'), /racing: 8 candidates on 2, 4, 8 of 8 examples; dropped c\d+(, c\d+){3} after rung 1 \(2 examples\); c\d+, c\d+ after rung 2 \(4 examples\)/);
	// Passes over n of the 8 examples count n/8: attribution 1; rungs 8 x 2/8 + 4 x 2/8; the survivors' rest
	// 2 x 4/8; the held-out judge on the current prompt and the 2 survivors, 1 each.
	assert.equal(engine.budget.spent().judgePasses, 1 + 2 + 1 + 1 + 3);
});

test('held-out judges never score a candidate racing drops, and never decide who is dropped', async () => {
	const a = new FakeJudge('a', {rules});
	const contrary = rules.map(r => ({...r, delta: -r.delta}));
	const h = new FakeJudge('h', {rules: contrary, heldout: true});
	const plain = await race([new FakeJudge('a', {rules})]);
	const checked = await race([a, h]);
	assert.equal(h.calls.score, 3, 'the current prompt and the two survivors');
	assert.deepEqual(
		checked.view.candidates.map(c => [c.id, c.dropped?.rung]),
		plain.view.candidates.map(c => [c.id, c.dropped?.rung]),
	);
	assert.deepEqual(checked.result.segments, plain.result.segments);
});

test('a candidate racing dropped can still be picked: it is scored on the batch when the round ends', async () => {
	const task = racingTask();
	const session = makeSession(task, {judges: ['a']});
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules})], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank})});
	engine.on(e => {
		if (e.type !== 'awaiting-decision') return;
		const out = e.view.candidates.find(c => c.dropped)!;
		engine.submit({kind: 'pick', candidate: out.id});
	});
	await engine.run();
	const round = session.state.rounds[0]!;
	assert.equal(round.decision?.action, 'pick');
	assert.ok(round.losses?.a !== undefined, 'the picked candidate\'s losses are logged');
});

test('racing with several objectives: survivors\' per-objective losses are those of the whole batch', async () => {
	const fields = {
		objectives: [{name: 'upper'}, {name: 'lower', weight: 2}],
		data: {train: letters.map(x => ({input: x, targets: {upper: x.toUpperCase(), lower: x}})), test: [{input: 'x', targets: {upper: 'X', lower: 'x'}}]},
	};
	const a = new FakeJudge('a', {rules: [...rules, {pattern: /hello/, delta: -0.3, target: /^[a-h]$/}]});
	const {task, view} = await race([a], fields);
	const ranked = view.candidates.filter(c => c.rank !== undefined);
	assert.equal(ranked.length, 2);
	const batch = view.batch.map(i => task.data.train[i]!);
	for (const c of ranked) {
		const direct = await scorePrompt({judges: [a], segments: c.segments.map(s => s.text), examples: batch, objectives: taskObjectives(task), signal: new AbortController().signal});
		assert.deepEqual(c.losses, direct.losses);
		assert.deepEqual(c.objectiveLosses, direct.objectiveLosses.a);
	}
});

test('racing off scores every candidate on the whole batch', async () => {
	const {view} = await race([new FakeJudge('a', {rules})], {racing: false});
	assert.ok(view.candidates.every(c => c.dropped === undefined && c.rank !== undefined));
});
