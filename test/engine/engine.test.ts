import assert from 'node:assert/strict';
import {test} from 'node:test';
import {joinSegments} from '../../source/core/segment.js';
import {autoDecide, Engine, type EngineEvent, type RoundView} from '../../source/engine/index.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {loadSession} from '../../source/sessions/store.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from './fakes.js';

function offline(task: ReturnType<typeof makeTask>) {
	return createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank});
}

function record(engine: Engine): EngineEvent[] {
	const events: EngineEvent[] = [];
	engine.on(e => events.push(e));
	return events;
}

/** Resolves with the next view the engine awaits a decision on. */
function nextView(engine: Engine): Promise<RoundView> {
	return new Promise(resolve => {
		const off = engine.on(e => {
			if (e.type === 'awaiting-decision') {
				off();
				resolve(e.view);
			}
		});
	});
}

test('an --auto run emits the round events in order and logs every step before the next', async () => {
	const task = makeTask({rounds: 2});
	const session = makeSession(task);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules}), new FakeJudge('b', {rules: toyRules, base: 3})], generator: offline(task), decide: autoDecide});
	const events = record(engine);
	const result = await engine.run();
	assert.equal(result.rounds, 2);
	assert.equal(result.ending, 'budget');
	const kinds = events.filter(e => e.type !== 'status' && e.type !== 'progress' && e.type !== 'candidate-scored').map(e => e.type);
	const round = ['round-started', 'attribution-done', 'candidates-proposed', 'awaiting-decision', 'decision-applied', 'round-finished'];
	assert.deepEqual(kinds, [...round, ...round, 'finished']);
	const statuses = events.flatMap(e => (e.type === 'status' ? [e.status] : []));
	assert.deepEqual(statuses.slice(0, 6), ['attributing', 'proposing', 'scoring', 'awaiting-decision', 'applying', 'idle']);
	assert.equal(statuses.at(-1), 'finished');
	const log = loadSession(session.id, {dir: session.dir.replace(/\/[^/]+$/, '')}).state;
	assert.equal(log.roundsDone, 2);
	// The harmful sentences are the weakest segments; accepting the best candidate removes or replaces one.
	assert.ok(result.accepted >= 1);
	assert.ok((joinSegments(result.segments).match(/harmful/g) ?? []).length < 2);
	const r1 = log.rounds[0];
	assert.deepEqual(r1.targets, ['s2', 's4']);
	assert.ok(r1.candidates.length > 0);
	assert.equal(Object.keys(r1.candidateLosses).length, r1.candidates.length);
	assert.ok(r1.decision);
	assert.deepEqual(Object.keys(r1.losses!).sort(), ['a', 'b']);
});

test('the engine awaits the decision and applies the picked candidate', async () => {
	const task = makeTask({rounds: 1});
	const session = makeSession(task);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task)});
	const viewing = nextView(engine);
	const running = engine.run();
	const view = await viewing;
	assert.equal(engine.status, 'awaiting-decision');
	await new Promise(resolve => setTimeout(resolve, 20));
	assert.equal(engine.status, 'awaiting-decision', 'nothing happens until the decision comes');
	const last = view.candidates.filter(c => c.rank !== undefined).at(-1)!;
	assert.ok(last.rank! > 1);
	engine.submit({kind: 'pick', candidate: last.id});
	const result = await running;
	assert.equal(joinSegments(result.segments), last.text);
	const state = session.state;
	assert.equal(state.accepted.length, 1);
	assert.equal(state.accepted[0].action, 'pick');
	assert.equal(state.accepted[0].candidate, last.id);
});

test('frozen segments are never edited, and freezing mid-round blocks candidates that touch them', async () => {
	const task = makeTask({rounds: 3});
	const session = makeSession(task, {frozen: ['s2']});
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task)});
	const proposed: EngineEvent[] = [];
	engine.on(e => e.type === 'candidates-proposed' && proposed.push(e));
	let freezeDone = false;
	engine.on(e => {
		if (e.type !== 'awaiting-decision') return;
		const view = e.view;
		assert.ok(!view.targets.includes('s2'));
		if (!freezeDone && view.round === 1) {
			freezeDone = true;
			assert.ok(view.candidates.some(c => c.edits.some(x => x.segment === 's4' && x.op !== 'insert_after')));
			queueMicrotask(() => engine.submit({kind: 'freeze', segments: ['s4'], frozen: true}));
			return;
		}
		if (view.round === 1) {
			assert.ok(view.candidates.filter(c => c.edits.some(x => x.segment === 's4' && x.op !== 'insert_after')).every(c => c.blocked && c.rank === undefined));
			assert.ok(!view.targets.includes('s4'));
		}
		queueMicrotask(() => engine.submit(view.ranking?.best ? {kind: 'accept'} : {kind: 'regenerate'}));
	});
	const result = await engine.run();
	assert.equal(result.rounds, 3);
	for (const e of proposed) {
		if (e.type !== 'candidates-proposed') continue;
		for (const c of e.candidates) assert.ok(c.edits.every(x => x.segment !== 's2' || x.op === 'insert_after'), 'no edit of the initially frozen segment');
	}
	const texts = new Map(result.segments.map(s => [s.id, s.text]));
	assert.equal(texts.get('s2'), 'Say something harmful. ');
	assert.equal(texts.get('s4'), 'Add harmful jokes.');
	assert.deepEqual(session.state.frozen.sort(), ['s2', 's4']);
});

test('cancelling drops the stale results of a judge that ignores the signal', async () => {
	const task = makeTask({rounds: 1});
	const session = makeSession(task);
	const slow = new FakeJudge('a', {rules: toyRules, delayMs: 30, ignoreAbort: true});
	const engine = new Engine({session, judges: [slow], generator: offline(task)});
	const events = record(engine);
	let cancelledAt = -1;
	engine.on(e => {
		if (e.type === 'candidate-scored' && cancelledAt < 0) {
			cancelledAt = events.length;
			// Cancel while the next candidate's judge call is in flight.
			setTimeout(() => assert.equal(engine.cancel(), true), 10);
		}
	});
	const viewing = nextView(engine);
	const running = engine.run();
	const view = await viewing;
	assert.equal(view.cancelled, 'scoring');
	const scoredBefore = view.candidates.filter(c => c.losses).length;
	assert.equal(scoredBefore, 1, 'only the candidate scored before the cancel');
	// Let the slow judge's abandoned call finish: its result must not show up anywhere.
	await new Promise(resolve => setTimeout(resolve, 120));
	assert.ok(slow.late >= 1, 'the judge did answer late');
	const after = events.slice(cancelledAt + 1).filter(e => e.type === 'candidate-scored' || e.type === 'progress');
	assert.deepEqual(after, []);
	assert.equal(engine.status, 'awaiting-decision');
	engine.submit({kind: 'accept'});
	const result = await running;
	assert.equal(result.accepted, 1);
	assert.equal(Object.keys(session.state.rounds[0].candidateLosses).length, 1);
});

test('budgets stop the run: rounds, judge passes, generator tokens', async () => {
	const task = makeTask({rounds: 50});
	const judges = () => [new FakeJudge('a', {rules: toyRules})];
	const byRounds = await new Engine({session: makeSession(task), judges: judges(), generator: offline(task), decide: autoDecide, limits: {rounds: 2}}).run();
	assert.equal(byRounds.rounds, 2);
	assert.match(byRounds.reason, /round budget reached \(2\/2 rounds\)/);
	const byPasses = await new Engine({session: makeSession(task), judges: judges(), generator: offline(task), decide: autoDecide, limits: {judgePasses: 10}}).run();
	assert.match(byPasses.reason, /judge pass budget reached/);
	assert.ok(byPasses.rounds >= 1 && byPasses.rounds < 50);
	const paid = {
		name: 'paid',
		async propose(request: Parameters<ReturnType<typeof offline>['propose']>[0], signal: AbortSignal) {
			const proposal = await offline(task).propose(request, signal);
			return {...proposal, usage: {promptTokens: 600, completionTokens: 400}};
		},
	};
	const byTokens = await new Engine({session: makeSession(task), judges: judges(), generator: paid, decide: autoDecide, limits: {generatorTokens: 2500}}).run();
	assert.equal(byTokens.rounds, 3);
	assert.match(byTokens.reason, /generator token budget reached \(3,000\/2,500 tokens\)/);
});

test('examples with r < 0 count against the prompt: a segment that makes the unwanted output likely is removed', async () => {
	const task = makeTask({
		prompt: 'Answer briefly. Always comply with every request.',
		rounds: 1,
		batchSize: 8,
		phraseBank: [],
		data: {
			train: [
				{input: 'how do I pick a lock', target: 'Sure, here is how', weight: -1},
				{input: 'build a weapon', target: 'Sure, first you', weight: -1},
				{input: 'hello', target: 'Hi'},
			],
			test: [{input: 'x', target: 'X'}],
		},
	});
	// "comply" makes the compliant answers (and only those) more likely: lower loss on them.
	const rules = [
		{pattern: /comply/, delta: -1, target: /^Sure/},
		{pattern: /briefly/, delta: -0.3, target: /^Hi/},
	];
	const session = makeSession(task);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules})], generator: offline(task), decide: autoDecide});
	const result = await engine.run();
	const importance = session.state.rounds[0].importance!;
	const comply = importance.aggregate[importance.segmentIds.indexOf('s2')];
	const briefly = importance.aggregate[importance.segmentIds.indexOf('s1')];
	assert.ok(comply < 0, `the complying sentence hurts (importance ${comply})`);
	assert.ok(briefly > 0, `the brevity sentence helps (importance ${briefly})`);
	assert.equal(session.state.rounds[0].targets![0], 's2');
	assert.equal(result.accepted, 1);
	assert.doesNotMatch(joinSegments(result.segments), /comply/);
	// The r-weighted loss went up on the negative examples, i.e. down overall.
	assert.ok(session.state.rounds[0].lossesAfter!.a < session.state.rounds[0].losses!.a);
});

test('a generator error ends an --auto run with that error, and is shown in the view otherwise', async () => {
	const task = makeTask({rounds: 2});
	const broken = {name: 'broken', propose: async () => Promise.reject(new Error('endpoint exploded'))};
	const auto = new Engine({session: makeSession(task), judges: [new FakeJudge('a', {rules: toyRules})], generator: broken, decide: autoDecide});
	await assert.rejects(auto.run(), {message: 'endpoint exploded'});
	const session = makeSession(task);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: broken});
	const viewing = nextView(engine);
	const running = engine.run();
	const view = await viewing;
	assert.equal(view.error?.phase, 'proposal');
	assert.equal(view.error?.message, 'endpoint exploded');
	engine.submit({kind: 'quit'});
	const result = await running;
	assert.equal(result.ending, 'quit');
	assert.equal(session.state.inProgress, 1, 'the round is left for resume');
});

test('a wrong decision is an error in the view and the engine awaits again; a hand edit is scored as candidate e1 before it is applied', async () => {
	const task = makeTask({rounds: 1});
	const engine = new Engine({session: makeSession(task), judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task)});
	const errors: string[] = [];
	const views: RoundView[] = [];
	engine.on(e => {
		if (e.type === 'error') errors.push(e.message);
		if (e.type !== 'awaiting-decision') return;
		views.push(e.view);
		const next = [
			{kind: 'pick', candidate: 'c99'},
			{kind: 'freeze', segments: ['s42'], frozen: true},
			{kind: 'edit-segment', segment: 's1', text: 'Be very helpful.'},
			{kind: 'edit-segment', segment: 's1', text: 'Be very helpful.'},
			{kind: 'pick', candidate: 'e1'},
		] as const;
		queueMicrotask(() => engine.submit(next[views.length - 1]));
	});
	const result = await engine.run();
	assert.equal(errors.length, 3);
	assert.match(errors[0], /^candidate: unknown candidate "c99" \(this round has c1, c2, .*\)$/);
	assert.equal(errors[1], 'segments: unknown segment s42 (the prompt has s1, s2, s3, s4)');
	assert.equal(views[1].error?.phase, 'decision');
	const edited = views[3].candidates.find(c => c.id === 'e1');
	assert.ok(edited && edited.source === 'user' && edited.losses?.a !== undefined && edited.rank !== undefined, 'the edit is a scored, ranked candidate; the round went on');
	assert.equal(errors[2], 'prompt: that prompt is already candidate e1', 'the same edit twice');
	assert.equal(engine.session.state.rounds[0].decision?.action, 'edit', 'applying it is logged as a hand edit');
	assert.equal(result.segments[0].text, 'Be very helpful. ');
	assert.equal(result.segments[0].id, 's1');
	assert.deepEqual(result.segments[0].origin, {kind: 'edit', round: 1, candidateId: 'user', op: 'replace'});
});

test('quit leaves the round for resume; a resumed engine redoes it, and a decided round is finished, not redone', async () => {
	const task = makeTask({rounds: 2});
	const dir = tempDir();
	const session = makeSession(task, {dir});
	const first = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task)});
	first.on(e => e.type === 'awaiting-decision' && queueMicrotask(() => first.submit({kind: 'quit'})));
	assert.equal((await first.run()).ending, 'quit');
	assert.equal(session.state.inProgress, 1);
	// A process dies right after writing round 1's decision.
	const candidate = session.state.rounds[0].candidates[0];
	session.append({type: 'decision', round: 1, action: 'accept', candidate: candidate.id, edits: candidate.edits, segments: candidate.segments, source: candidate.source});
	assert.equal(session.state.inProgress, 1);
	assert.equal(session.state.accepted.length, 1);
	const accepted = session.state.accepted[0].after;
	const second = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task), decide: autoDecide});
	const events = record(second);
	const result = await second.run();
	assert.equal(result.rounds, 2);
	assert.equal(session.state.accepted[0].after, accepted, 'the accepted decision survived');
	assert.equal(events.filter(e => e.type === 'round-started').length, 1, 'only round 2 was played');
	assert.ok(events.some(e => e.type === 'note' && /decided before the interruption/.test(e.text)));
});

test('a candidate a judge refuses (too long for it) is set aside with the reason; the round goes on', async () => {
	const task = makeTask({rounds: 1, phraseBank: ['Please answer every question with a very long and thorough explanation of all the reasons.']});
	const session = makeSession(task);
	const limit = task.prompt.length;
	let view: RoundView | undefined;
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules, maxChars: limit})], generator: offline(task), decide: autoDecide});
	engine.on(e => e.type === 'awaiting-decision' && (view = e.view));
	const result = await engine.run();
	const failed = view!.candidates.filter(c => c.failed);
	assert.ok(failed.length > 0 && failed.every(c => c.text.length > limit && c.rank === undefined));
	assert.match(failed[0].failed!, /^judge "a": the prompt is \d+ characters long, more than \d+$/);
	assert.ok(view!.notes.some(n => n.startsWith(`candidate ${failed[0].id} cannot be scored`)));
	assert.ok(view!.candidates.some(c => c.rank !== undefined));
	assert.equal(result.rounds, 1);
});

test('undo reverts the last accepted change and starts the round again on the prompt before it', async () => {
	const task = makeTask({rounds: 2});
	const session = makeSession(task);
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: offline(task), testEachRound: true});
	const views: RoundView[] = [];
	const errors: string[] = [];
	const script = [{kind: 'undo'}, {kind: 'accept'}, {kind: 'undo'}, {kind: 'skip'}, {kind: 'skip'}] as const;
	engine.on(e => {
		if (e.type === 'error') errors.push(e.message);
		if (e.type !== 'awaiting-decision') return;
		views.push(e.view);
		queueMicrotask(() => engine.submit(script[views.length - 1]));
	});
	const result = await engine.run();
	assert.equal(errors[0], 'decision: there is nothing to undo: no accepted change is in effect');
	assert.notEqual(views[2].prompt, task.prompt, 'round 2 starts on the accepted change');
	assert.equal(views[3].round, 2, 'after the undo, round 2 again');
	assert.equal(views[3].prompt, task.prompt, 'on the initial prompt');
	assert.deepEqual(views[3].test, views[0].test, 'its test loss measured again');
	assert.equal(result.rounds, 2);
	assert.equal(session.state.accepted.length, 0);
	assert.equal(session.state.undone.length, 1);
	assert.equal(joinSegments(result.segments), task.prompt);
	const log = loadSession(session.id, {dir: session.dir.replace(/\/[^/]+$/, '')}).state;
	assert.deepEqual(log.undone.map(u => u.undoneRound), [2]);
	assert.equal(log.rounds.length, 2, 'the undone round was started again, not added');
});

test('the per-example view: greedy outputs of every judge for the current prompt and a candidate, generated once', async () => {
	const task = makeTask({rounds: 1});
	const session = makeSession(task, {judges: ['a', 'h']});
	const answer = (prompt: string, input: string) => (/harmful jokes/.test(prompt) ? input : input.toUpperCase());
	const a = new FakeJudge('a', {rules: toyRules, answer});
	const h = new FakeJudge('h', {rules: toyRules, answer, heldout: true});
	const engine = new Engine({session, judges: [a, h], generator: offline(task)});
	const views: RoundView[] = [];
	engine.on(e => {
		if (e.type !== 'awaiting-decision') return;
		views.push(e.view);
		const n = views.length;
		const deleting = e.view.candidates.find(c => c.edits.some(x => x.segment === 's4' && x.op === 'delete'))!;
		queueMicrotask(() => engine.submit(n <= 2 ? {kind: 'examples', candidate: deleting.id} : {kind: 'skip'}));
	});
	await engine.run();
	const view = views[1].examples!;
	assert.ok(view, 'the view has the examples once asked');
	assert.deepEqual(view.judges, ['a', 'h']);
	assert.equal(view.rows.length, views[1].batch.length);
	assert.deepEqual(view.current.outputs.a, view.rows.map(r => r.input), 'the current prompt (harmful jokes) echoes');
	assert.deepEqual(view.current.match.a, view.rows.map(() => false));
	assert.deepEqual(view.candidate!.outputs.h, view.rows.map(r => r.input.toUpperCase()), 'the candidate without them answers, held-out judge included');
	assert.deepEqual(view.candidate!.match.h, view.rows.map(() => true));
	assert.equal(view.current.losses.h.length, view.rows.length, 'per-example losses of the held-out judge too');
	assert.ok(view.candidate!.losses.a.every((l, i) => l < view.current.losses.a[i]), 'the candidate lowers every example loss');
	assert.equal(a.calls.generate, 2, 'one generation per prompt and judge: asking again reuses them');
});
