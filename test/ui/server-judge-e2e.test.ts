/**
 * End to end in a real terminal: the built CLI in tmux runs a session that mixes a bundled local judge and a judge
 * on an inference server (the loopback server of test/judges/judge-server.ts). Round 1 shows both judges, a
 * decision is saved, and quitting during round 2 leaves the session with both judges' scores on disk. Skipped where
 * tmux is missing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import {OrtPool} from '../../source/judges/pool.js';
import {loadSession} from '../../source/sessions/store.js';
import {tempDir} from '../engine/fakes.js';
import {startJudgeServer} from '../judges/judge-server.js';
import {MIRRORED, mirroredDir, writeServerJudge} from '../judges/server-fixtures.js';
import {builtCli, cliCommand, runs, Tmux} from './terminal.js';

const noTmux = runs('tmux', ['-V']) ? false : 'tmux is not installed (.ci/run installs it)';

test('in tmux: a session with a bundled judge and a server judge; round 1 shows both, a decision is saved, q quits during round 2', {skip: noTmux, timeout: 300_000}, async t => {
	const dir = tempDir('gmpo-e2e-server-');
	const sessions = path.join(dir, 'sessions');
	const cache = path.join(dir, 'cache');
	process.env.GMPO_CACHE_DIR = cache;
	const pool = new OrtPool({workers: 1});
	const server = await startJudgeServer({judgeDir: mirroredDir(), pool});
	const tmux = new Tmux();
	t.after(async () => {
		tmux.close();
		await server.close();
		await pool.close();
	});
	const served = writeServerJudge({url: server.url, engine: 'sglang'});
	const cli = builtCli();
	// Racing off: the server judge scores every candidate on the whole batch (checked at the end).
	const args = ['optimize', 'examples/uppercase.yaml', '--judges', `${MIRRORED},${served}`, '--generator', 'offline', '--rounds', '2', '--racing', 'off'];
	tmux.start('mixed', cliCommand(cli, args, {GMPO_SESSIONS_DIR: sessions, GMPO_CACHE_DIR: cache}), {columns: 120, rows: 40});

	const screen = await tmux.waitFor('mixed', /round 1\/2[\s\S]*a accept/, 'round 1 to await a decision', 180_000);
	assert.match(screen, /served/, `the server judge is on the screen:\n${screen}`);
	assert.match(screen, new RegExp(MIRRORED));
	const id = /session (\d{8}-\d{6}-[0-9a-f]+)/.exec(screen)?.[1];
	assert.ok(id, `a session id in the header:\n${screen}`);
	tmux.send('mixed', 'a');
	// Round 2 starts once the decision is saved (the log read below has it). The status line that says so is not
	// waited for: on a loaded machine round 2's progress had replaced it before a capture saw it.
	await tmux.waitFor('mixed', /round 2\/2/, 'round 2 to start', 60_000);
	// Quitting while round 2 is at work stops the server judge's requests with it.
	tmux.send('mixed', 'q');
	const deadline = Date.now() + 30_000;
	while (!tmux.pane('mixed').dead) {
		if (Date.now() > deadline) throw new Error(`gmpo did not quit:\n${tmux.capture('mixed')}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}

	const state = loadSession(id, {dir: sessions}).state;
	assert.equal(state.accepted.length, 1);
	assert.deepEqual([...state.judges].sort(), [MIRRORED, 'served']);
	const round = state.rounds[0]!;
	assert.ok(Number.isFinite(round.losses?.served) && Number.isFinite(round.losses?.[MIRRORED]), 'both judges scored the prompt');
	assert.ok(Object.values(round.candidateLosses).every(l => Number.isFinite(l.served)), 'the server judge scored every candidate');
	assert.ok(server.sequences > 0);
});
