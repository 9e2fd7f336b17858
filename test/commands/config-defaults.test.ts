/**
 * The run defaults of `gmpo config` are read: `defaults.rounds` and `defaults.candidates` apply to a task file that
 * does not set them. Precedence: flags, then the task file, then the settings, then the built-in defaults. And
 * `config list` says where the settings are kept.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {createConfigCommands} from '../../source/commands/config.js';
import type {RunSummary} from '../../source/commands/headless.js';
import {createOptimizeCommand} from '../../source/commands/optimize.js';
import {setSetting} from '../../source/config.js';
import {loadSession} from '../../source/sessions/store.js';
import {world} from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-config-defaults-'));
const saved = process.env.GMPO_CONFIG_DIR;
before(() => {
	// The commands read the settings where a user's gmpo would: GMPO_CONFIG_DIR.
	process.env.GMPO_CONFIG_DIR = path.join(dir, 'config');
	setSetting('defaults.rounds', '1');
	setSetting('defaults.candidates', '3');
});
after(() => {
	if (saved === undefined) delete process.env.GMPO_CONFIG_DIR;
	else process.env.GMPO_CONFIG_DIR = saved;
	fs.rmSync(dir, {recursive: true, force: true});
});

/** A task file; `extra` is YAML appended (rounds, generator). */
function taskFile(name: string, extra = ''): string {
	const file = path.join(dir, `${name}.yaml`);
	const examples = ['a', 'b', 'c', 'd'].map(x => `    - {input: ${x}, target: ${x.toUpperCase()}}`).join('\n');
	fs.writeFileSync(file, `name: ${name}\nprompt: Be helpful. Say something harmful. Answer briefly. Add harmful jokes.\nphraseBank: [Be kind., Answer in one word., Be brief., Use capitals.]\n${extra}data:\n  train:\n${examples}\n  test:\n${examples}\n`);
	return file;
}

/** Runs optimize headless on fake judges; returns the session's task as saved and the summary. */
async function optimize(file: string, flags: Record<string, unknown> = {}) {
	const deps = world(path.join(dir, 'sessions'));
	assert.equal(await createOptimizeCommand(deps).run([file], {auto: true, json: true, ...flags}), 0, deps.stderr.text);
	const summary = JSON.parse(deps.stdout.text) as RunSummary;
	const {state} = loadSession(summary.session, {dir: deps.sessionsDir});
	return {summary, task: state.task, candidates: state.rounds.map(r => r.candidates.length)};
}

test('a task file without rounds or candidates takes them from the settings', async () => {
	const {summary, task, candidates} = await optimize(taskFile('bare'));
	assert.equal(task.rounds, 1);
	assert.equal(task.generator.candidates, 3);
	assert.equal(summary.rounds, 1);
	assert.ok(candidates.every(n => n <= 3), `at most 3 candidates per round, got ${candidates}`);
});

test('the task file overrides the settings', async () => {
	const {task, summary} = await optimize(taskFile('set', 'rounds: 2\ngenerator:\n  candidates: 2\n'));
	assert.equal(task.rounds, 2);
	assert.equal(task.generator.candidates, 2);
	assert.equal(summary.rounds, 2);
});

test('flags override the task file', async () => {
	const {task} = await optimize(taskFile('flags', 'rounds: 2\ngenerator:\n  candidates: 2\n'), {rounds: '1', candidates: '4'});
	assert.equal(task.rounds, 1);
	assert.equal(task.generator.candidates, 4);
});

test('--candidates out of range is one line naming the flag', async () => {
	const deps = world(path.join(dir, 'sessions'));
	await assert.rejects(createOptimizeCommand(deps).run([taskFile('bad')], {auto: true, candidates: '65'}), {
		name: 'UserError',
		message: 'expected a whole number from 1 to 64, got "65"',
		field: '--candidates',
	});
});

test('config list shows the settings file, as text and as JSON', async () => {
	const text = world(dir);
	await createConfigCommands(text).list.run([], {});
	const file = path.join(dir, 'config', 'config.json');
	assert.match(text.stdout.text, /^defaults\.rounds\s+1\s+set\s/m);
	assert.ok(text.stdout.text.endsWith(`settings file: ${file}\n`), text.stdout.text);
	const json = world(dir);
	await createConfigCommands(json).list.run([], {json: true});
	assert.equal((JSON.parse(json.stdout.text) as {file: string}).file, file);
});
