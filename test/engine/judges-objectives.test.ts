import assert from 'node:assert/strict';
import {test} from 'node:test';
import {pcgrad} from '../../source/core/multi-objective.js';
import {autoDecide, Engine, type EngineEvent, type RoundView} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import type {Generator, ProposalRequest} from '../../source/generators/types.js';
import {FakeJudge, makeSession, makeTask, toyRules, type Rule} from './fakes.js';

const objectiveTask = (mode: string) =>
	makeTask({
		prompt: 'Answer briefly. Be detailed. Say harmful things.',
		objectives: [{name: 'safety'}, {name: 'brevity', weight: 2}],
		multiObjective: mode,
		rounds: 1,
		phraseBank: ['Be careful.'],
		data: {
			train: [
				{input: 'a', targets: {safety: 'refuse', brevity: 'short'}},
				{input: 'b', targets: {safety: 'refuse', brevity: 'short'}},
			],
			test: [{input: 'c', targets: {safety: 'refuse', brevity: 'short'}}],
		},
	});

// "detailed" helps safety but hurts brevity: the two objectives conflict on it.
const objectiveRules: Rule[] = [
	{pattern: /harmful/, delta: 1, target: /refuse/},
	{pattern: /harmful/, delta: 0.2, target: /short/},
	{pattern: /detailed/, delta: -0.5, target: /refuse/},
	{pattern: /detailed/, delta: 0.8, target: /short/},
	{pattern: /briefly/, delta: -0.4, target: /short/},
];

function counting(inner: Generator, requests: ProposalRequest[]): Generator {
	return {name: inner.name, propose: (request, signal) => (requests.push(request), inner.propose(request, signal))};
}

async function runOnce(mode: string) {
	const task = objectiveTask(mode);
	const session = makeSession(task);
	const requests: ProposalRequest[] = [];
	const generator = counting(createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), requests);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: objectiveRules}), new FakeJudge('b', {rules: objectiveRules, base: 3})], generator, decide: autoDecide});
	const events: EngineEvent[] = [];
	let view: RoundView | undefined;
	engine.on(e => {
		events.push(e);
		if (e.type === 'awaiting-decision') view = e.view;
	});
	const result = await engine.run();
	return {session, requests, events, view: view!, result};
}

test('multi-objective pcgrad: one vector per objective, the conflict matrix, the combined direction, Pareto front and hypervolume', async () => {
	const {events, view, session} = await runOnce('pcgrad');
	const done = events.find(e => e.type === 'attribution-done');
	assert.ok(done?.type === 'attribution-done' && done.objectives);
	const o = done.objectives;
	assert.deepEqual(o.names, ['safety', 'brevity']);
	assert.equal(o.mode, 'pcgrad');
	assert.ok(o.conflict[0][1] < 0, `the objectives conflict (cosine ${o.conflict[0][1]})`);
	const expected = pcgrad([o.vectors.safety.map(x => x * 1), o.vectors.brevity.map(x => x * 2)]);
	done.importance.aggregate.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-12));
	// The harmful sentence hurts safety and nothing else: it must be a target.
	assert.ok(done.targets.includes('s3'));
	assert.ok(view.currentObjectives && Object.keys(view.currentObjectives).length === 2);
	const ranked = view.candidates.filter(c => c.rank !== undefined);
	assert.ok(ranked.every(c => c.objectiveLosses && Object.keys(c.objectiveLosses).length === 2));
	assert.ok(ranked.some(c => c.pareto));
	assert.ok(view.hypervolume !== undefined && view.hypervolume > 0, 'deleting the harmful sentence dominates the current prompt');
	assert.ok(session.state.rounds[0].importance);
	assert.equal(session.state.accepted.length, 1);
});

test('multi-objective "separate": each objective chooses its own segments and gets its own generator call', async () => {
	const {requests, events} = await runOnce('separate');
	assert.equal(requests.length, 2);
	assert.deepEqual(
		requests.map(r => r.objectives?.map(o => o.name)),
		[['safety'], ['brevity']],
	);
	assert.equal(requests[0].count + requests[1].count, 12);
	const done = events.find(e => e.type === 'attribution-done');
	assert.ok(done?.type === 'attribution-done' && done.objectives?.targets);
	assert.deepEqual(done.objectives.targets.safety, requests[0].targets);
	assert.deepEqual(done.objectives.targets.brevity, requests[1].targets);
});

test('held-out judges never attribute or decide, but are scored and reported', async () => {
	const task = makeTask({rounds: 2});
	// The held-out judge likes exactly what the others dislike; if it decided, the choices would differ.
	const contrary = toyRules.map(r => ({...r, delta: -r.delta}));
	const run = async (withHeldout: boolean) => {
		const session = makeSession(task);
		const heldout = new FakeJudge('h', {rules: contrary, heldout: true});
		const judges = [new FakeJudge('a', {rules: toyRules}), ...(withHeldout ? [heldout] : [])];
		const views: RoundView[] = [];
		const engine = new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide});
		engine.on(e => e.type === 'awaiting-decision' && views.push(e.view));
		const result = await engine.run();
		return {result, heldout, views, session};
	};
	const plain = await run(false);
	const checked = await run(true);
	assert.deepEqual(checked.result.segments, plain.result.segments);
	assert.equal(checked.heldout.calls.attribute + checked.heldout.calls.loo, 0);
	assert.ok(checked.heldout.calls.score > 0);
	const view = checked.views[0];
	assert.deepEqual(view.heldout, ['h']);
	assert.deepEqual(view.selection, ['a']);
	assert.ok(view.current.h !== undefined);
	assert.ok(view.candidates.every(c => c.losses?.h !== undefined));
	assert.deepEqual(view.ranking?.heldout, ['h']);
	assert.ok(checked.session.state.rounds[0].losses?.h !== undefined, 'held-out losses are logged');
	assert.deepEqual(Object.keys(view.importance!.perJudge), ['a']);
});

test('a judge without gradients attributes by leave-one-out, and the view says so', async () => {
	const task = makeTask({rounds: 1});
	const judge = new FakeJudge('a', {rules: toyRules, gradient: false});
	let view: RoundView | undefined;
	const engine = new Engine({session: makeSession(task), judges: [judge], generator: createOfflineGenerator({seed: 1, phraseBank: []}), decide: autoDecide});
	engine.on(e => e.type === 'awaiting-decision' && (view = e.view));
	await engine.run();
	assert.equal(judge.calls.attribute, 0);
	assert.equal(judge.calls.loo, 1);
	assert.equal(view?.importance?.method, 'loo');
	const forced = new FakeJudge('a', {rules: toyRules});
	await new Engine({session: makeSession(task), judges: [forced], generator: createOfflineGenerator({seed: 1, phraseBank: []}), decide: autoDecide, attribution: 'loo'}).run();
	assert.equal(forced.calls.loo, 1);
	assert.equal(forced.calls.attribute, 0);
});

test('regenerate proposes new candidates for the same segments; target chooses the segments', async () => {
	const task = makeTask({rounds: 1, generator: {kind: 'offline', candidates: 3}});
	const engine = new Engine({session: makeSession(task), judges: [new FakeJudge('a', {rules: toyRules})], generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank})});
	const views: RoundView[] = [];
	engine.on(e => {
		if (e.type !== 'awaiting-decision') return;
		views.push(e.view);
		const next = [{kind: 'regenerate'}, {kind: 'target', segments: ['s3']}, {kind: 'skip'}] as const;
		queueMicrotask(() => engine.submit(next[views.length - 1]));
	});
	await engine.run();
	assert.equal(views[0].candidates.length, 3);
	assert.equal(views[1].candidates.length, 6);
	assert.equal(new Set(views[1].candidates.map(c => c.text)).size, 6, 'regenerated candidates are new');
	assert.deepEqual(views[2].targets, ['s3']);
	const newest = views[2].candidates.filter(c => !views[1].candidates.some(o => o.id === c.id));
	assert.ok(newest.length > 0 && newest.every(c => c.edits.some(e => e.segment === 's3')));
});
