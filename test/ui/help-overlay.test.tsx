import assert from 'node:assert/strict';
import {test} from 'node:test';
import {bindingsFor, KEY_MAP} from '../../source/ui/keys.js';
import {footerKeys} from '../../source/ui/footer.js';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {FakeEngine, makeView} from './fixtures.js';
import {KEYS, lastFrameStripped, press, renderAt, widest} from './helpers.js';

test('? opens a help overlay listing every key of the round screen from the key map; Esc closes it', async () => {
	const view = makeView();
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />);
	engine.await(view);
	await press(r, '?');
	// At 80x24 the help is taller than the screen: it says so, and scrolls to the end.
	assert.match(lastFrameStripped(r), /^↓ \d+ more lines \(↑ ↓ scrolls\)$/m);
	const seen: string[] = [];
	for (let i = 0; i < 60; i++) {
		const help = lastFrameStripped(r);
		assert.ok(help.split('\n').length <= 23 && widest(help) <= 80, 'the help fits 80x24');
		seen.push(...help.split('\n').filter(l => !/^[↑↓] \d+/.test(l)));
		if (!/more lines? \(/.test(help)) break;
		await press(r, 'j');
	}
	const text = seen.join('\n');
	for (const b of bindingsFor('round')) {
		const line = seen.find(l => l.startsWith(b.label) || l.includes(` ${b.label} `));
		assert.ok(line, `help lists ${b.action}`);
		assert.ok(text.replace(/\s+/g, ' ').includes(b.help.split(' ').slice(0, 4).join(' ')) || text.includes(`/ ${b.short}`), `help explains ${b.action}`);
	}
	const flat = text.replace(/\n/g, ' ').replace(/ +/g, ' ');
	assert.match(flat, /\(deciding\) = only while the round awaits your decision/, 'the (deciding) mark is explained');
	assert.match(flat, /heatmap: \+ helps, - hurts/);
	assert.match(flat, /· negligible: under 5% of the largest importance in view/);
	assert.match(flat, /segment ids are never reused: a gap/, 'gaps in segment ids are explained');
	assert.match(flat, /\(h\) = held-out judge: its loss is reported, never used to choose; ✓ = every selection judge ranks it first \(held-out judges are not counted\)/);
	assert.match(flat, /Δ = the candidate's loss minus the current prompt's/);
	await press(r, KEYS.escape);
	assert.doesNotMatch(lastFrameStripped(r), /Keys ─── \? or Esc closes/);
	assert.equal(engine.cancels, 0, 'Esc closed the overlay, it did not cancel anything');
	assert.deepEqual(engine.decisions, []);
});

test('every key is bound once per screen, and the footer always keeps help and quit', () => {
	for (const scope of ['round', 'history', 'examples', 'picker', 'loading', 'confirm'] as const) {
		const seen = new Set<string>();
		for (const b of bindingsFor(scope)) {
			for (const k of b.keys) {
				const id = JSON.stringify(k);
				assert.ok(!seen.has(id), `${id} is bound twice on ${scope}`);
				seen.add(id);
			}
		}
	}
	assert.ok(KEY_MAP.every(b => b.help.length > 0 && b.short.length > 0));
	for (const width of [40, 60, 80, 120]) {
		const keys = footerKeys('round', true, false, width, 'candidates');
		assert.deepEqual(keys.slice(-2).map(k => k.short), ['help', 'quit']);
		const text = keys.map(k => `${k.label} ${k.short}`).join('  ');
		assert.ok(text.length <= width, `${text.length} > ${width}`);
	}
	assert.ok(footerKeys('round', true, false, 80, 'candidates').some(k => k.short === 'accept'));
	assert.ok(!footerKeys('round', false, true, 80, 'candidates').some(k => k.short === 'accept'), 'no decision keys while the engine works');
	assert.equal(footerKeys('round', false, true, 80)[0].short, 'cancel');
});

test('keys on the history screen scroll it and h goes back to the round', async () => {
	const view = makeView({segments: 30});
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />);
	engine.await(view);
	await press(r, 'h');
	assert.match(lastFrameStripped(r), /^Current prompt \(30 segments\)$/m);
	await press(r, ...Array.from({length: 10}, () => 'j'));
	assert.doesNotMatch(lastFrameStripped(r), /^Current prompt/m, 'scrolled down');
	assert.match(lastFrameStripped(r), /^↑ 10 lines above/m);
	await press(r, 'G');
	assert.match(lastFrameStripped(r), /^ {2}s30 +initial +Think first 30.$/m, 'G reaches the end');
	assert.doesNotMatch(lastFrameStripped(r), /more lines/);
	await press(r, 'g');
	assert.match(lastFrameStripped(r), /^Current prompt \(30 segments\)$/m, 'g goes back to the top');
	await press(r, 'h');
	assert.match(lastFrameStripped(r), /Candidates/);
});
