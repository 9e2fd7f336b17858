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
	const help = lastFrameStripped(r);
	const lines = help.split('\n');
	for (const b of bindingsFor('round')) {
		const line = lines.find(l => l.includes(b.label) && (l.includes(b.help.slice(0, 40)) || l.includes(`/ ${b.short}`)));
		assert.ok(line, `help lists ${b.action}`);
	}
	assert.match(help, /heatmap: \+ helps, - hurts/);
	assert.ok(help.split('\n').length <= 23 && widest(help) <= 80, 'the help fits 80x24');
	await press(r, KEYS.escape);
	assert.doesNotMatch(lastFrameStripped(r), /Keys ─── \? or Esc closes/);
	assert.equal(engine.cancels, 0, 'Esc closed the overlay, it did not cancel anything');
	assert.deepEqual(engine.decisions, []);
});

test('every key is bound once per screen, and the footer always keeps help and quit', () => {
	for (const scope of ['round', 'history', 'picker'] as const) {
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
	assert.match(lastFrameStripped(r), /Accepted edits \(0\)/);
	await press(r, ...Array.from({length: 10}, () => 'j'));
	assert.doesNotMatch(lastFrameStripped(r), /Accepted edits/, 'scrolled down the lineage');
	assert.match(lastFrameStripped(r), /^ {2}s8 +initial/m);
	await press(r, KEYS.pageDown);
	assert.match(lastFrameStripped(r), /^ {2}s30 +initial +Think first 30.$/m, 'a page down reaches the end');
	await press(r, 'h');
	assert.match(lastFrameStripped(r), /Candidates/);
});
