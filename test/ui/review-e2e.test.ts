/**
 * The review screen end to end, in a real terminal (the built CLI in tmux, 80x24, the bundled judges or random ones):
 * a new round starts on its top pick whatever was selected before (item 1 of issue 16), what the screen cannot show
 * it says and scrolls to (item 4), the per-example view fills in with each judge's greedy output (item 9), and a
 * finished session opens on its history with the final prompt, which is printed on quit (item 5). Every wait is for
 * screen content; the time limits only end a test that is stuck.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import {tempDir} from '../engine/fakes.js';
import {builtCli, cliCommand, judgeArgs, runs, Tmux} from './terminal.js';
import {runCli} from '../commands/helpers.js';

const noTmux = runs('tmux', ['-V']) ? false : 'tmux is not installed (.ci/run installs it)';

/** Every line of a screen fits 80 columns. */
function fits(screen: string): void {
	for (const line of screen.split('\n')) assert.ok([...line].length <= 80, `a line wider than 80 columns: ${line}`);
}

/** Presses j until `done` matches, waiting each time for the "n lines above" marker to count one more. */
async function scrollUntil(tmux: Tmux, window: string, done: RegExp, what: string): Promise<string> {
	let screen = tmux.capture(window);
	for (let n = 1; !done.test(screen); n++) {
		assert.ok(n < 200, `never reached ${what}`);
		tmux.send(window, 'j');
		screen = await tmux.waitFor(window, new RegExp(`↑ ${n} lines? above|${done.source}`, 'm'), `scrolling to ${what}`);
	}
	return screen;
}

test('in tmux: the examples view, every round on its top pick, nothing cut without a word', {skip: noTmux, timeout: 600_000}, async t => {
	const dir = tempDir('gmpo-e2e-review-');
	const cli = builtCli();
	const judges = judgeArgs(dir);
	if (judges.note) t.diagnostic(judges.note);
	const tmux = new Tmux();
	t.after(() => tmux.close());
	// Racing off: every candidate is ranked on the whole batch, so the fourth row has its number (with racing, rows
	// dropped at a rung show a dot instead).
	tmux.start('demo', cliCommand(cli, ['demo', '--racing', 'off', ...judges.args], {GMPO_SESSIONS_DIR: path.join(dir, 'sessions')}));
	const round1 = await tmux.waitFor('demo', /round 1\/\d[\s\S]*a accept/, 'round 1 to await a decision', 240_000);
	fits(round1);
	assert.match(round1, /^› 1 /m, 'round 1 starts on its top pick');
	assert.match(round1, /^[↓v] \d+ more lines? \(\[ \] scrolls\)$/m, 'the detail pane says what it cannot show');

	// Item 9: the fourth candidate's per-example view.
	tmux.send('demo', 'j', 'j', 'j');
	await tmux.waitFor('demo', /^› 4 /m, 'the fourth candidate selected');
	tmux.send('demo', 'x');
	const examples = await tmux.waitFor('demo', /exact match \(current -> c\d+\): \S+ \d+\/\d+ -> \d+\/\d+/, 'greedy outputs of the current prompt and the candidate', 240_000);
	fits(examples);
	assert.match(examples, /examples \(x goes back\)/);
	assert.match(examples, /^#1 \(train \d+\) input: \S+/m);
	assert.match(examples, /^ {3}reference: \S+/m);
	assert.match(examples, /^ judge +current output +loss +c\d+ output +c\d+ loss +Δ$/m);
	assert.match(examples, /^ \S+ +[✓✗] \S* +-?\d+\.\d{3} +[✓✗] \S* +-?\d+\.\d{3} +[-+]\d+\.\d+$/m, 'a judge: both outputs marked, both losses, the change');
	assert.match(examples, /^[↓v] \d+ more lines \(↑ ↓ scrolls\)$/m);
	await scrollUntil(tmux, 'demo', /^#8 \(train/m, 'the last example');
	tmux.send('demo', 'x');
	await tmux.waitFor('demo', /^› 4 /m, 'back on the round, the selection kept');

	// Item 4: the help is taller than 80x24; it says so and scrolls to its end.
	tmux.send('demo', '?');
	const help = await tmux.waitFor('demo', /^Keys ─── \? or Esc closes/m, 'the help');
	fits(help);
	assert.match(help, /^[↓v] \d+ more lines \(↑ ↓ scrolls\)$/m);
	tmux.send('demo', 'G');
	const end = await tmux.waitFor('demo', /^[↑^] \d+ lines above/m, 'the end of the help');
	assert.match(end, /header: the test-split loss of the current prompt per judge/, 'the last line of the legend');
	assert.doesNotMatch(end, /more lines/);
	tmux.send('demo', 'Escape');
	await tmux.waitFor('demo', /^› 4 /m, 'the round again');

	// Item 1: accept the top pick with the fourth row selected; round 2 opens on its own top pick.
	tmux.send('demo', 'a');
	const round2 = await tmux.waitFor('demo', /round 2\/\d[\s\S]*a accept/, 'round 2 to await a decision', 240_000);
	fits(round2);
	assert.match(round2, /^› 1 /m, 'round 2 starts on its top pick');
	assert.doesNotMatch(round2, /^› 4 /m);
	tmux.send('demo', 'q');
	await tmux.waitFor('demo', /current prompt of session \S+:/, 'the prompt printed on quit');
});

test('in tmux: a finished session opens on its history with the final prompt; h stays there; q prints it', {skip: noTmux, timeout: 600_000}, async t => {
	const dir = tempDir('gmpo-e2e-finished-');
	const sessions = path.join(dir, 'sessions');
	const cli = builtCli();
	const judges = judgeArgs(dir);
	if (judges.note) t.diagnostic(judges.note);
	const headless = await runCli(['demo', '--auto', '--rounds', '1', '--json', ...judges.args], {GMPO_SESSIONS_DIR: sessions});
	assert.equal(headless.code, 0, headless.stderr);
	const summary = JSON.parse(headless.stdout) as {session: string; prompt: string};
	const tmux = new Tmux();
	t.after(() => tmux.close());
	tmux.start('done', cliCommand(cli, ['resume', summary.session], {GMPO_SESSIONS_DIR: sessions}));
	const history = await tmux.waitFor('done', /^Final prompt \(\d+ segments\)$/m, 'the history of the finished session', 240_000);
	fits(history);
	assert.match(history, /history · 1 round\(s\) done/);
	assert.match(history, /^! the run ended: round budget reached \(1\/1 rounds\)\. q quits; go on later with:$/m, 'the banner wraps');
	assert.match(history, new RegExp(`^gmpo resume ${summary.session} --rounds N \\(N more rounds\\)$`, 'm'));
	const firstWords = summary.prompt.split(/\s+/).slice(0, 4).join(' ');
	assert.ok(history.includes(firstWords), `the final prompt is on screen: "${firstWords}"`);
	assert.doesNotMatch(history, /not attributed yet|starting/);
	tmux.send('done', 'h');
	await tmux.waitFor('done', /there is no round to go back to: the run has ended \(q quits\)/, 'h explained');
	await scrollUntil(tmux, 'done', /^Prompt lineage/m, 'the lineage');
	tmux.send('done', 'q');
	await tmux.waitFor('done', new RegExp(`current prompt of session ${summary.session}:`), 'the prompt printed on quit');
});
