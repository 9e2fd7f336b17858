import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {FakeEngine, makeView} from './fixtures.js';
import {flush, KEYS, lastFrameStripped, press, renderAt, resize, widest} from './helpers.js';

async function session(view = makeView(), size?: {columns: number; rows: number}) {
	const engine = new FakeEngine(view);
	const exits: unknown[] = [];
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={end => exits.push(end)} />, size);
	engine.await(view);
	await flush();
	return {engine, r, exits, frame: () => lastFrameStripped(r)};
}

test('the round screen shows header, heatmap, ranked candidates, the diff and the keys in 80x24', async () => {
	const {frame} = await session();
	const f = frame();
	assert.match(f, /^gmpo · toy · round 1\/5 +session session-1$/m);
	assert.match(f, /^batch loss {2}a 2\.000 {2}b 2\.000 {2}\(this round's batch\) {2}budget 0\/5 rounds · 1m05s$/m, 'no test loss measured: the batch loss, said so');
	assert.match(f, /^ {2}Prompt {2}aggregate \(v, gradient\) {2}agreement tau 0\.80 {2}\+helps -hurts ·negligible$/m);
	assert.match(f, /^your decision: a accepts the top pick, Enter the selected one, \? lists every key$/m);
	assert.match(f, /Candidates +a +b +mean Δ$/m);
	assert.match(f, /^› 1 +c1 ~s2 Candidate text 1\. +-0\.0800 #1 +-0\.0800 #1 +-0\.0800 ✓$/m, 'changes in loss, nats/token');
	assert.doesNotMatch(f, /%/, 'no percentage in the table');
	assert.match(f, /^c1 · offline · rank 1 · mean Δ -0\.0800 nats\/token over a, b \(not normalised;$/m, 'the aggregation is stated');
	assert.match(f, /^- s2 +Say something harmful 2\.$/m, 'the diff shows what goes');
	assert.match(f, /^\+ s2 +Candidate text 1\.$/m, 'and what comes');
	assert.match(f, /^why: rationale of c1$/m);
	assert.match(f, /^↓ 3 more lines \(\[ \] scrolls\)$/m, 'what the pane cannot show is announced');
	assert.match(f, /a accept {2}Enter pick .*\? help {2}q quit/);
	assert.ok(f.split('\n').length <= 23, `at most 23 lines, got ${f.split('\n').length}`);
	assert.ok(widest(f) <= 80);
});

test('the detail pane scrolls to the per-judge scores: loss, change in nats/token, percentage and rank', async () => {
	const {r, frame} = await session(makeView({heldout: ['c']}));
	const seen: string[] = [];
	for (let i = 0; i < 20 && (i === 0 || /^↓ \d+ more/m.test(frame())); i++) {
		await press(r, ']');
		seen.push(frame());
	}
	const f = seen.join('\n');
	assert.match(f, /^↑ \d+ lines? above \(\[ \] scrolls\)$/m);
	assert.match(f, /^ judge +current +c1 +Δ nats\/token +Δ % +rank$/m);
	assert.match(f, /^ a +2\.000 +1\.920 +-0\.0800 +-4\.0% +#1$/m);
	assert.match(f, /^ \(h\) c +2\.000 +1\.920 +-0\.0800 +-4\.0% +#1$/m, 'the held-out judge is marked');
	await press(r, 'j');
	assert.match(frame(), /^c2 · offline · rank 2/m, 'another selection starts at the top of its detail');
});

test('the headline is the test-split loss per judge, with its change since round 0 and the held-out judge marked', async () => {
	const view = {...makeView({heldout: ['c'], round: 3}), test: {a: 1.5, b: 1.75, c: 2.25}, testInitial: {a: 1.6, b: 1.7, c: 2}};
	const {frame} = await session(view);
	const f = frame();
	assert.match(f, /^test loss {2}a 1\.500 \(-0\.100\) {2}b 1\.750 \(\+0\.0500\) {2}\(h\) c 2\.250 \(\+0\.250\)$/m);
	assert.match(f, /^\(change since round 0\) {2}\(h\) held out: never chooses/m);
	assert.doesNotMatch(f, /batch loss/);
});

test('heatmap rows carry the sign and strength of each importance, and v cycles the lens through the judges', async () => {
	const {r, frame} = await session();
	const row = (id: string) => frame().split('\n').find(l => l.includes(` ${id} `))!;
	assert.match(row('s1'), /s1 {6}\+\+\+ +\+0\.50 Be helpful 1\./, 'the strongest helper: +++');
	assert.match(row('s2'), /s2 {2}✎ {3}- +-0\.17 Say something harmful 2\./, 'a weak hurter, chosen for editing: -');
	assert.match(row('s6'), /s6 {6}--- +-0\.50 Think first 6\./, 'the strongest hurter: ---');
	await press(r, 'v');
	assert.match(frame(), /Prompt {2}a \(v, gradient\)/);
	await press(r, 'v');
	assert.match(frame(), /Prompt {2}b \(v, gradient\)/);
	await press(r, 'v');
	assert.match(frame(), /Prompt {2}aggregate \(v, gradient\)/);
});

test('decisions go to the engine: accept, pick another, freeze, mark and target, regenerate, skip, quit', async () => {
	const check = async (keys: string[], expected: unknown) => {
		const {engine, r} = await session();
		await press(r, ...keys);
		assert.deepEqual(engine.decisions, [expected], `keys ${JSON.stringify(keys)}`);
	};
	await check(['a'], {kind: 'accept'});
	await check([KEYS.enter], {kind: 'accept'});
	await check(['j', 'j', KEYS.enter], {kind: 'pick', candidate: 'c3'});
	await check([KEYS.tab, 'f'], {kind: 'freeze', segments: ['s2'], frozen: true});
	await check([KEYS.tab, KEYS.space, 'j', 'j', KEYS.space, 't'], {kind: 'target', segments: ['s2', 's4']});
	await check([KEYS.tab, 'k', 't'], {kind: 'target', segments: ['s1']});
	await check(['r'], {kind: 'regenerate'});
	await check(['s'], {kind: 'skip'});
	await check(['q'], {kind: 'quit'});
});

test('an inline edit replaces the selected segment; Esc abandons it', async () => {
	const {engine, r, frame} = await session();
	await press(r, KEYS.tab, 'e');
	assert.match(frame(), /^Enter scores your edit as a candidate \(nothing is applied yet\); Esc cancels; an\nempty text deletes the segment\nedit s2: Say something harmful 2\./m);
	await press(r, KEYS.escape);
	assert.deepEqual(engine.decisions, []);
	await press(r, 'e', '\u0015', 'Be kind.', KEYS.enter);
	assert.deepEqual(engine.decisions, [{kind: 'edit-segment', segment: 's2', text: 'Be kind.'}]);
});

test('while the judges score: a bar with counts and time left, a moving spinner, decisions refused, Esc cancels', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />);
	engine.emit({type: 'round-started', round: 1, batch: [0, 1]});
	engine.emit({type: 'status', status: 'scoring'});
	engine.emit({type: 'candidate-scored', round: 1, losses: {a: 2, b: 2}, done: 3, total: 12});
	await flush();
	const first = lastFrameStripped(r);
	assert.match(first, /scoring [█░]+ 3\/12 · \S+ · ~\S+ left · Esc cancels/);
	await new Promise(resolve => setTimeout(resolve, 350));
	const later = lastFrameStripped(r);
	const spinner = (f: string) => f.split('\n').find(l => / scoring /.test(l))![0];
	assert.notEqual(spinner(first), spinner(later), 'the spinner moved');
	await press(r, 'a');
	assert.deepEqual(engine.decisions, [], 'no decision while the engine works');
	assert.match(lastFrameStripped(r), /Esc cancel/);
	await press(r, KEYS.escape);
	assert.equal(engine.cancels, 1);
	engine.emit({type: 'cancelled', round: 1, phase: 'scoring'});
	engine.emit({type: 'status', status: 'awaiting-decision'});
	engine.emit({type: 'awaiting-decision', round: 1, view: {...view, cancelled: 'scoring'}});
	await flush();
	assert.match(lastFrameStripped(r), /scoring was cancelled: r redoes the missing work/);
});

test('candidates fill in as they are proposed and scored, before the engine ranks them', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />);
	engine.emit({type: 'round-started', round: 1, batch: [0]});
	engine.emit({type: 'attribution-done', round: 1, importance: view.importance!, targets: ['s2']});
	engine.emit({type: 'candidates-proposed', round: 1, candidates: view.candidates.slice(0, 2).map(({id, edits, segments, source}) => ({id, edits, segments, source})), rejected: [], notes: [], usage: {promptTokens: 0, completionTokens: 0}});
	engine.emit({type: 'status', status: 'scoring'});
	engine.emit({type: 'candidate-scored', round: 1, candidate: 'c2', losses: {a: 1.5, b: 2.5}, done: 1, total: 2});
	await flush();
	const f = lastFrameStripped(r);
	assert.match(f, /c1 ~s2 Candidate text 1\. +… +…/);
	assert.match(f, /c2 ~s2 Candidate text 2\. +1\.500 +2\.500/);
	assert.match(f, /s6 {6}--- +-0\.50/, 'the heatmap is there as soon as attribution is done');
});

test('the screen adapts to the terminal size', async () => {
	const view = makeView({segments: 12, candidates: 16});
	const {r, frame} = await session(view);
	const rows = () => frame().split('\n').filter(l => /^[› ] {1,2}\d+ +c\d+ /.test(l)).length;
	const small = rows();
	assert.ok(frame().split('\n').length <= 23);
	resize(r, 120, 40);
	await flush();
	assert.ok(rows() > small, `more candidates at 120x40 (${rows()}) than at 80x24 (${small})`);
	assert.ok(frame().split('\n').length <= 39);
	resize(r, 60, 20);
	await flush();
	assert.ok(widest(frame()) <= 60, 'nothing wider than 60 columns');
	assert.ok(frame().split('\n').length <= 19);
	assert.match(frame(), /\? help {2}q quit/);
	// Scrolling keeps the selection in view.
	resize(r, 80, 24);
	await press(r, ...Array.from({length: 15}, () => 'j'));
	assert.match(frame(), /^› 16 +c16 /m);
});

test('keys that arrive together (fast typing, SSH) act one by one, and text typed after e goes into the edit', async () => {
	const one = async (chunk: string) => {
		const {engine, r} = await session();
		await press(r, chunk);
		await flush();
		return engine.decisions;
	};
	assert.deepEqual(await one(`${KEYS.tab}f`), [{kind: 'freeze', segments: ['s2'], frozen: true}]);
	assert.deepEqual(await one(`jj${KEYS.enter}`), [{kind: 'pick', candidate: 'c3'}]);
	assert.deepEqual(await one(`${KEYS.tab}e\u0015Be kind, r and s stay text.${KEYS.enter}`), [{kind: 'edit-segment', segment: 's2', text: 'Be kind, r and s stay text.'}]);
});

test('E hands the whole prompt to the editor and submits what comes back; an unchanged prompt submits nothing', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const asked: string[] = [];
	let answer: string | undefined = 'A new prompt.';
	const r = await renderAt(
		<SessionScreen
			engine={engine}
			editPrompt={async text => {
				asked.push(text);
				return answer;
			}}
			onExit={() => {}}
		/>,
	);
	engine.await(view);
	await press(r, 'E');
	assert.deepEqual(asked, [view.prompt]);
	assert.deepEqual(engine.decisions, [{kind: 'edit-prompt', prompt: 'A new prompt.'}]);
	engine.await(view);
	answer = undefined;
	await press(r, 'E');
	assert.equal(engine.decisions.length, 1);
	assert.match(lastFrameStripped(r), /prompt unchanged/);
});

test('every new round starts on its top pick: a selection made in the round before is not carried over', async () => {
	const {engine, r, frame} = await session(makeView({candidates: 12}));
	await press(r, 'j', 'j', 'j', KEYS.tab, KEYS.space);
	assert.match(frame(), /^› 4 +c4 /m, 'c4 selected in round 1');
	assert.match(frame(), /●/, 'a segment marked in round 1');
	engine.await(makeView({candidates: 12, round: 2}));
	await flush();
	await press(r, KEYS.tab);
	assert.match(frame(), /^› 1 +c1 /m, 'round 2 opens on its top pick');
	assert.doesNotMatch(frame(), /●/, 'marks of round 1 are gone');
	await press(r, 'a');
	assert.deepEqual(engine.decisions.at(-1), {kind: 'accept'});
});

test('a Tab pressed while candidates are scored does not pin the first one: the top pick is selected once ranked', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />);
	engine.emit({type: 'round-started', round: 1, batch: [0]});
	const unranked = [...view.candidates].reverse().map(({id, edits, segments, source}) => ({id, edits, segments, source}));
	engine.emit({type: 'candidates-proposed', round: 1, candidates: unranked, rejected: [], notes: [], usage: {promptTokens: 0, completionTokens: 0}});
	await flush();
	await press(r, KEYS.tab, KEYS.tab);
	engine.emit({type: 'status', status: 'awaiting-decision'});
	engine.emit({type: 'awaiting-decision', round: 1, view});
	await flush();
	assert.match(lastFrameStripped(r), /^› 1 +c1 /m);
});
