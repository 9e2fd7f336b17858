import './force-color.js';
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {installFastOutput, loadInkOutput, makeFastGet} from '../../source/ui/ink-output.js';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {FakeEngine, makeState, makeView} from './fixtures.js';
import {flush, KEYS, press, renderAt, resize} from './helpers.js';

// Every frame Ink assembles in this file goes through both Ink's own Output.get and the fast one; the test fails on
// the first frame where they differ by a byte. Ink's result is what is drawn, so the screens behave as without it.
type Get = (this: unknown) => {output: string; height: number};
const mismatches: Array<{ink: string; fast: string; height: [number, number]}> = [];
let compared = 0;
let Output: {prototype: {get: Get}};
let original: Get;
let fast: Get;

before(async () => {
	const loaded = await loadInkOutput();
	Output = loaded.Output as unknown as typeof Output;
	original = Output.prototype.get;
	fast = makeFastGet(loaded.helpers) as Get;
	Output.prototype.get = function (this: unknown) {
		const ink = original.call(this);
		const ours = fast.call(this);
		compared++;
		if (ink.output !== ours.output || ink.height !== ours.height) mismatches.push({ink: ink.output, fast: ours.output, height: [ink.height, ours.height]});
		return ink;
	};
});

after(() => {
	Output.prototype.get = original;
});

/** Fails with the first differing line of the first mismatch. */
function assertSame(what: string): void {
	const m = mismatches[0];
	if (!m) return;
	const a = m.ink.split('\n');
	const b = m.fast.split('\n');
	const line = a.findIndex((l, i) => l !== b[i]);
	assert.fail(`${what}: ${mismatches.length} frame(s) differ; first at line ${line} (heights ${m.height.join(' vs ')}):\nink:  ${JSON.stringify(a[line])}\nfast: ${JSON.stringify(b[line])}`);
}

/** A new Output of Ink's, with the given operations. */
function output(width: number, height: number, operations: unknown[]): unknown {
	const o = new (Output as unknown as new (size: {width: number; height: number}) => {operations: unknown[]})({width, height});
	o.operations.push(...operations);
	return o;
}

const write = (x: number, y: number, text: string, transformers: Array<(l: string, i: number) => string> = []) => ({type: 'write', x, y, text, transformers});
const clip = (c: {x1?: number; x2?: number; y1?: number; y2?: number}) => ({type: 'clip', clip: c});
const unclip = {type: 'unclip'};

test('hand-made frames: styles, wide characters, overlaps, clips, transformers, rows and columns out of range', () => {
	const red = (s: string) => `\u001B[31m${s}\u001B[39m`;
	const bold = (s: string) => `\u001B[1m${s}\u001B[22m`;
	const bg = (s: string) => `\u001B[42m${s}\u001B[49m`;
	const cases: Array<[string, number, number, unknown[]]> = [
		['empty', 10, 3, []],
		['plain lines', 12, 4, [write(0, 0, 'hello'), write(2, 2, 'two\nlines')]],
		['styles and a styled trailing space', 20, 2, [write(0, 0, `${red('red')} ${bold(red('both'))}${bg(' ')}`), write(3, 1, `${bg('  ')}  `)]],
		['a written space after a styled cell, then blanks', 12, 1, [write(0, 0, `${red('x')} `)]],
		['wide characters and emoji', 12, 3, [write(0, 0, '漢字テスト'), write(1, 1, 'a😀b'), write(0, 2, '🇩🇪 flag')]],
		['overlapping writes, the later wins', 10, 2, [write(0, 0, red('abcdefgh')), write(2, 0, bold('XY')), write(1, 1, '漢字'), write(2, 1, 'z')]],
		['horizontal and vertical clips, nested', 16, 6, [clip({x1: 2, x2: 8, y1: 1, y2: 4}), write(0, 0, 'aaaaaaaaaaaa\nbbbbbbbbbbbb\ncccccccccccc\ndddddddddddd\neeeeeeeeeeee'), clip({x1: 3, x2: 5}), write(0, 2, red('0123456789')), unclip, write(20, 1, 'outside'), write(0, 9, 'below'), unclip, write(0, 5, 'after')]],
		['a clip cutting a wide character', 10, 1, [clip({x1: 1, x2: 4, y1: 0, y2: 1}), write(0, 0, '漢字テ')]],
		['transformers, given the line index', 10, 3, [write(0, 0, 'ab\ncd\nef', [(l, i) => `${i}${l.toUpperCase()}`, l => red(l)])]],
		['writes past the width and left of 0', 6, 2, [write(4, 0, 'abcdef'), write(-2, 1, 'xyz')]],
		['rows out of range and a missing row holding the rest back', 6, 3, [write(0, -1, 'up\nno'), write(0, 2, 'last\ngone'), write(0, 1.5, 'half')]],
		['an empty text', 4, 1, [write(0, 0, '')]],
	];
	for (const [what, w, h, ops] of cases) {
		const o = output(w, h, ops);
		assert.deepEqual(fast.call(o), original.call(o), what);
	}
});

test('every screen, at three sizes, through keys that change selection, panes, views and overlays', async () => {
	const view = makeView({segments: 64, candidates: 16, judges: ['llama-a', 'gpt2-b'], heldout: ['llama-c']});
	// Wide characters in the prompt and the candidates.
	view.segments[2] = {...view.segments[2]!, text: '回答は簡潔に。😀 '};
	for (const size of [
		{columns: 80, rows: 24},
		{columns: 120, rows: 50},
		{columns: 200, rows: 100},
	]) {
		const engine = new FakeEngine(view, makeState(view));
		const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />, size);
		engine.await(view);
		await flush();
		await press(r, 'j', 'j', 'k', ']', ']', KEYS.tab, 'j', KEYS.tab, 'v', 'v', '?');
		await press(r, KEYS.escape, 'h', 'j', KEYS.escape, 'x');
		resize(r, size.columns - 7, size.rows - 3);
		await flush();
		await press(r, KEYS.escape, 'G', 'g');
		r.unmount();
		assertSame(`${size.columns}x${size.rows}`);
	}
	assert.ok(compared > 50, `frames compared: ${compared}`);
});

test('it installs on the Ink this project pins (on another version, Ink keeps its own and this test says to check)', async () => {
	assert.equal(await installFastOutput(), true, 'not installed: a new Ink version? Compare its output.js with ink-output.ts, run this file, and update INK_VERSION');
	assert.notEqual(Output.prototype.get, original);
});
