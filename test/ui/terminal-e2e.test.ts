/**
 * End to end, in real terminals: the built CLI in tmux (the demo, a decision, the terminal killed, the picker,
 * resume), then the same over a real loopback SSH connection that is dropped mid-round. What must hold: a decision
 * the screen reported saved is on disk, a hang-up ends gmpo cleanly (the session lock released, nothing written to
 * stderr: no crash, no unhandled rejection, no abort at exit), and resuming shows the accepted edit. Skipped, with the reason, where tmux or sshd is missing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {lockHolder} from '../../source/sessions/lock.js';
import {loadSession} from '../../source/sessions/store.js';
import {tempDir} from '../engine/fakes.js';
import {alive, builtCli, cliCommand, judgeArgs, runs, shellQuote, sshdPath, startSshd, Tmux, type Sshd} from './terminal.js';

const noTmux = runs('tmux', ['-V']) ? false : 'tmux is not installed (.ci/run installs it)';
const noSsh = noTmux || (sshdPath() && runs('ssh', ['-V']) && runs('ssh-keygen', ['-?']) ? false : 'openssh-server or ssh is not installed (.ci/run installs them)');

/** Waits until `check` holds. */
async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const start = Date.now();
	while (!check()) {
		if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}

/** The pid of the gmpo holding the session: read before the hang-up (after it, gmpo may already be gone). */
function holderPid(lock: string): number {
	const holder = lockHolder(path.dirname(lock));
	assert.ok(holder, 'gmpo holds the session before the hang-up');
	return holder.pid;
}

/** After a hang-up: gmpo (pid) released the session's lock, then ended without a word on stderr. */
async function endedCleanly(lock: string, pid: number, stderr: string): Promise<void> {
	await until(() => !fs.existsSync(lock), 'gmpo to end and release the session');
	await until(() => !alive(pid), `gmpo (pid ${pid}) to end`);
	assert.equal(fs.readFileSync(stderr, 'utf8'), '', 'gmpo wrote nothing to stderr: no crash, no unhandled rejection, no abort at exit');
}

/** Decides round 1 with "a"; returns the session id and the accepted candidate, checked on disk. */
async function acceptRoundOne(tmux: Tmux, window: string, sessions: string): Promise<{id: string; candidate: string; lock: string}> {
	const screen = await tmux.waitFor(window, /round 1\/\d[\s\S]*a accept/, 'round 1 to await a decision', 120_000);
	const id = /session (\d{8}-\d{6}-[0-9a-f]+)/.exec(screen)?.[1];
	assert.ok(id, `a session id in the header:\n${screen}`);
	tmux.send(window, 'a');
	const after = await tmux.waitFor(window, /round 1: accepted the top pick (c\d+) \(saved\)/, 'the decision to be saved');
	const candidate = /accepted the top pick (c\d+)/.exec(after)![1];
	const state = loadSession(id, {dir: sessions}).state;
	assert.equal(state.accepted.length, 1, 'what the screen calls saved is on disk');
	assert.equal(state.accepted[0].candidate, candidate);
	return {id, candidate, lock: path.join(sessions, id, '.lock')};
}

/** Resumes in `window` (already started) and checks the history shows the accepted edit; then quits. */
async function checkResumed(tmux: Tmux, window: string, candidate: string): Promise<void> {
	await tmux.waitFor(window, /round 2\/\d[\s\S]*a accept/, 'round 2 of the resumed session', 120_000);
	tmux.send(window, 'h');
	let history = await tmux.waitFor(window, /Accepted changes \(1\)|Current prompt/, 'the history');
	// The list scrolls: j until the accepted change is on screen, each j waiting for the screen to follow.
	for (let n = 1; !/Accepted changes \(1\)\n {2}round 1 accepted/.test(history); n++) {
		assert.ok(n < 100, 'never reached the accepted changes');
		tmux.send(window, 'j');
		history = await tmux.waitFor(window, new RegExp(`↑ ${n} lines? above`), 'the history to scroll');
	}
	assert.match(history, new RegExp(`round 1 accepted ${candidate}: `));
	tmux.send(window, 'q');
	await until(() => tmux.pane(window).dead, 'gmpo to quit');
}

test('in tmux: the demo, accept a candidate, kill the terminal, start gmpo again, resume: the accepted edit is there', {skip: noTmux, timeout: 300_000}, async t => {
	const dir = tempDir('gmpo-e2e-');
	const sessions = path.join(dir, 'sessions');
	const cli = builtCli();
	const judges = judgeArgs(dir);
	if (judges.note) t.diagnostic(judges.note);
	const env = {GMPO_SESSIONS_DIR: sessions};
	const tmux = new Tmux();
	t.after(() => tmux.close());

	const stderr = path.join(dir, 'stderr');
	tmux.start('demo', cliCommand(cli, ['demo', ...judges.args], env, {stderr}));
	const {id, candidate, lock} = await acceptRoundOne(tmux, 'demo', sessions);
	await tmux.waitFor('demo', /round 2\/\d/, 'round 2 to start');
	const pid = holderPid(lock);
	tmux.kill('demo');
	await endedCleanly(lock, pid, stderr);

	tmux.start('again', cliCommand(cli, [], env));
	await tmux.waitFor('again', new RegExp(`^ › +${id} `, 'm'), 'the picker to list the session, selected');
	tmux.send('again', 'Enter');
	await checkResumed(tmux, 'again', candidate);
	const state = loadSession(id, {dir: sessions}).state;
	assert.equal(state.accepted.length, 1);
	assert.equal(state.roundsDone, 1);
	assert.equal(state.inProgress, 2, 'round 2 was left undecided, to be redone');
});

test('over SSH: the connection drops mid-round; gmpo ends cleanly and nothing accepted is lost', {skip: noSsh, timeout: 300_000}, async t => {
	const dir = tempDir('gmpo-e2e-ssh-');
	const sessions = path.join(dir, 'sessions');
	const cli = builtCli();
	const judges = judgeArgs(dir);
	if (judges.note) t.diagnostic(judges.note);
	let server: Sshd;
	try {
		server = await startSshd(dir);
	} catch (error) {
		t.skip(`sshd cannot run here: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
		return;
	}
	const tmux = new Tmux();
	t.after(() => {
		tmux.close();
		server.stop();
	});
	const env = {GMPO_SESSIONS_DIR: sessions};
	const over = (args: string[], options: {stderr?: string} = {}) => `exec ${[...server.ssh, cliCommand(cli, args, env, options)].map(shellQuote).join(' ')}`;

	const stderr = path.join(dir, 'stderr');
	tmux.start('ssh', over(['demo', ...judges.args], {stderr}));
	const {id, candidate, lock} = await acceptRoundOne(tmux, 'ssh', sessions);
	await tmux.waitFor('ssh', /round 2\/\d/, 'round 2 to start');
	// The connection drops: the client dies without a goodbye; sshd hangs up on gmpo.
	const pid = holderPid(lock);
	process.kill(tmux.pane('ssh').pid, 'SIGKILL');
	await endedCleanly(lock, pid, stderr);
	const state = loadSession(id, {dir: sessions}).state;
	assert.equal(state.accepted.length, 1, 'the accepted edit survived the dropped connection');
	assert.equal(state.rounds[0].decision?.candidate, candidate);
	assert.equal(state.inProgress, 2);

	tmux.start('back', over(['resume', id]));
	await checkResumed(tmux, 'back', candidate);
});
