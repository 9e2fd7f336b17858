import './force-color.js';
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {themeOptionsFromEnv} from '../../source/ui/theme.js';
import {FakeEngine, makeView} from './fixtures.js';
import {flush, lastFrameStripped, renderAt} from './helpers.js';

/** SGR colour codes (foreground, background; 16, 256 and true colour). Bold and inverse are not colour. */
const COLOUR = /\u001B\[(?:3[0-79]|4[0-79]|9[0-7]|10[0-7]|[34]8;[\d;]+)m/;

async function frameWith(env: NodeJS.ProcessEnv) {
	const view = makeView();
	const engine = new FakeEngine(view);
	const r = await renderAt(<SessionScreen engine={engine} editPrompt={async () => undefined} onExit={() => {}} />, {columns: 80, rows: 24}, themeOptionsFromEnv(env));
	engine.await(view);
	await flush();
	// Coloured spans keep trailing blanks that plain text drops; they are not what the user reads.
	return {raw: r.lastFrame() ?? '', text: lastFrameStripped(r).replace(/ +$/gm, '')};
}

test('NO_COLOR, TERM=dumb and a non-UTF-8 locale are read from the environment', () => {
	assert.deepEqual(themeOptionsFromEnv({LANG: 'en_US.UTF-8'}), {color: true, unicode: true});
	assert.deepEqual(themeOptionsFromEnv({NO_COLOR: '1', LANG: 'C.UTF-8'}), {color: false, unicode: true});
	assert.deepEqual(themeOptionsFromEnv({NO_COLOR: '', LC_ALL: 'C.utf8'}), {color: true, unicode: true}, 'an empty NO_COLOR does not count');
	assert.deepEqual(themeOptionsFromEnv({TERM: 'dumb'}), {color: false, unicode: false});
	assert.deepEqual(themeOptionsFromEnv({LANG: 'C'}), {color: true, unicode: false});
});

test('with NO_COLOR nothing is coloured, and signs and glyphs still say what helps, hurts and is chosen', async () => {
	const coloured = await frameWith({LANG: 'C.UTF-8'});
	assert.match(coloured.raw, COLOUR, 'colour is on by default (the check can see colour)');
	const plain = await frameWith({NO_COLOR: '1', LANG: 'C.UTF-8'});
	assert.doesNotMatch(plain.raw, COLOUR);
	assert.equal(plain.text, coloured.text, 'the same text with or without colour');
	assert.match(plain.text, /s1 {6}\+\+\+ +\+0\.50/);
	assert.match(plain.text, /s6 {6}--- +-0\.50/);
	assert.match(plain.text, /^› 1 +c1 .*-0\.0800 #1 .*✓$/m, 'a minus: a lower loss');
	assert.match(plain.text, /^ {2}4 +c4 .*\+0\.0400 #4/m, 'a plus: a higher loss');
});

test('without a UTF-8 locale the glyphs are ASCII and mean the same', async () => {
	const {text} = await frameWith({NO_COLOR: '1', LANG: 'C'});
	// Ink truncates long lines with "…" whatever the locale; everything the screens draw themselves is ASCII.
	assert.doesNotMatch(text, /[^\u0000-\u007F…]/, 'ASCII only');
	assert.match(text, /^> 1 +c1 .*-0\.0800 #1 .*=$/m, '">" marks the selection, "=" the agreed top pick');
	assert.match(text, /Candidates .* mean chg$/m, '"chg" stands for the change');
	assert.match(text, /s2 {2}E {3}- +-0\.17/, '"E" marks a segment chosen for editing');
	assert.match(text, /^-{80}$/m);
});
