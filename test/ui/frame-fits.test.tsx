import assert from 'node:assert/strict';
import {test} from 'node:test';
import {stripVTControlCharacters} from 'node:util';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {cellWidth} from '../../source/ui/wrap.js';
import {FakeEngine, makeView} from './fixtures.js';
import {flush, KEYS, press, renderAt} from './helpers.js';

// A frame wider than the terminal wraps there, and one as tall as it scrolls it: either way the next frame's erase
// misses a line and stale text stays on the screen. Every frame after every key must fit: no line wider than the
// terminal, and at most one line fewer than its height.
for (const [columns, rows] of [
	[72, 20],
	[80, 24],
	[100, 30],
	[120, 40],
] as const) {
	test(`every frame fits a ${columns}x${rows} terminal, whatever the keys show`, async () => {
		const view = makeView({segments: 12, candidates: 6, heldout: ['c']});
		// Wide characters in a segment, and a candidate racing dropped (the detail pane's longest lines).
		view.segments[3] = {...view.segments[3]!, text: '回答は簡潔に、丁寧に書いてください。😀 '};
		const last = view.candidates.at(-1)!;
		view.candidates[view.candidates.length - 1] = {...last, losses: undefined, change: undefined, relative: undefined, aggregate: undefined, rank: undefined, judgeRanks: undefined, dropped: {rung: 3, examples: 12, aggregate: -0.0512}};
		const engine = new FakeEngine(view);
		const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />, {columns, rows});
		engine.await(view);
		await flush();
		const keys = ['j', 'j', 'j', 'j', 'j', ']', ']', ']', ']', '[', 'k', 'G', ']', ']', 'g', KEYS.tab, 'j', 'j', 'j', ']', ']', 'v', 'v', '?', KEYS.escape, 'h', 'j', KEYS.escape, 'x', KEYS.escape];
		const bad = new Set<string>();
		for (const key of keys) {
			const seen = r.frames.length;
			await press(r, key);
			for (const frame of r.frames.slice(seen)) {
				const lines = stripVTControlCharacters(frame).split('\n');
				const wide = lines.filter(l => cellWidth(l) > columns);
				if (lines.length > rows - 1) bad.add(`after ${JSON.stringify(key)}: ${lines.length} lines`);
				for (const line of wide) bad.add(`after ${JSON.stringify(key)}: a line of ${cellWidth(line)} cells: ${line}`);
			}
		}
		r.unmount();
		assert.deepEqual([...bad], []);
	});
}
