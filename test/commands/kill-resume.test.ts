/**
 * Durability: a headless run (the real CLI, a real ONNX judge) killed with SIGKILL in the middle, then resumed, has
 * lost no decision it reported as accepted, and the resumed run carries on from there.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import type {RunSummary} from '../../source/commands/headless.js';
import {loadSession} from '../../source/sessions/store.js';
import {tempDir} from '../engine/fakes.js';
import {writeTinyJudge} from '../helpers/tiny-judge.js';
import {runCli, startCli} from './helpers.js';

test('SIGKILL mid-run, then resume: every reported acceptance is in the session, and the run goes on', async () => {
	const dir = tempDir('gmpo-kill-');
	const env = {GMPO_SESSIONS_DIR: path.join(dir, 'sessions'), GMPO_CONFIG_DIR: path.join(dir, 'config')};
	const judge = writeTinyJudge({family: 'gpt2', name: 'tiny'});
	const child = startCli(['optimize', 'examples/sentiment.yaml', '--auto', '--rounds', '40', '--judges', judge], env);
	let stderr = '';
	let id: string | undefined;
	const accepted: {round: number; candidate: string}[] = [];
	let decisions = 0;
	child.stderr!.on('data', chunk => {
		stderr += chunk;
		const lines = stderr.split('\n');
		stderr = lines.pop()!;
		for (const line of lines) {
			id ??= /^session (\S+):/.exec(line)?.[1];
			const a = /^round (\d+)\/40: accepted (c\d+)/.exec(line);
			if (a) accepted.push({round: Number(a[1]), candidate: a[2]});
			if (/^round \d+\/40: (accepted|skipped)/.test(line)) decisions++;
			// Kill right after a decision was reported: the next round is under way.
			if ((accepted.length >= 2 || decisions >= 6) && !child.killed) child.kill('SIGKILL');
		}
	});
	const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])));
	assert.equal(signal, 'SIGKILL', `the run was killed (exit ${code})`);
	assert.ok(id, 'the session id was reported');
	assert.ok(accepted.length >= 1, 'at least one acceptance was reported before the kill');

	const killed = loadSession(id, {dir: env.GMPO_SESSIONS_DIR}).state;
	for (const a of accepted) {
		assert.ok(
			killed.accepted.some(s => s.round === a.round && s.candidate === a.candidate),
			`round ${a.round}'s acceptance of ${a.candidate} survived the kill`,
		);
	}
	const kept = killed.accepted.map(s => ({round: s.round, candidate: s.candidate, after: s.after}));

	const target = killed.roundsDone + 2;
	// --rounds 2: two more rounds.
	const resumed = await runCli(['resume', id, '--auto', '--rounds', '2', '--json'], env);
	assert.equal(resumed.code, 0, resumed.stderr);
	const summary = JSON.parse(resumed.stdout) as RunSummary;
	assert.equal(summary.session, id);
	assert.equal(summary.rounds, target);
	const final = loadSession(id, {dir: env.GMPO_SESSIONS_DIR}).state;
	assert.deepEqual(
		final.accepted.slice(0, kept.length).map(s => ({round: s.round, candidate: s.candidate, after: s.after})),
		kept,
		'the resumed run kept every earlier decision',
	);
	assert.equal(final.inProgress, undefined);
});
