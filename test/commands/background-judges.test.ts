import assert from 'node:assert/strict';
import path from 'node:path';
import {test} from 'node:test';
import {runFlags} from '../../source/commands/flags.js';
import {launcher} from '../../source/commands/interactive.js';
import {createOptimizeCommand, createResumeCommand} from '../../source/commands/optimize.js';
import type {OpenJudgesOptions} from '../../source/judges/judge-set.js';
import {listSessions} from '../../source/sessions/store.js';
import {tempDir} from '../helpers/temp.js';
import {fakeJudges, toyTaskFile, world} from './helpers.js';

/** Fake judges that record whether each opening asked for background priority. */
function recording(): {open: ReturnType<typeof fakeJudges>; background: Array<boolean | undefined>} {
	const background: Array<boolean | undefined> = [];
	const fake = fakeJudges();
	const open = Object.assign(async (names: string[] | undefined, options: OpenJudgesOptions) => {
		background.push(options.background);
		return fake(names, options);
	}, {opened: fake.opened});
	return {open, background};
}

test('judges opened for the TUI run in the background; headless runs keep normal priority', async () => {
	const dir = tempDir('gmpo-background-');
	const sessions = path.join(dir, 'sessions');
	const file = toyTaskFile(dir);

	const headless = recording();
	assert.equal(await createOptimizeCommand(world(sessions, {openJudges: headless.open})).run([file], {auto: true}), 0);
	const [saved] = listSessions({dir: sessions});
	assert.equal(await createResumeCommand(world(sessions, {openJudges: headless.open})).run([saved!.id], {auto: true, rounds: '1'}), 0);
	assert.deepEqual(headless.background, [false, false], 'optimize and resume without a screen');

	const tui = recording();
	const open = launcher(runFlags({}), world(sessions, {openJudges: tui.open}));
	const opening = {signal: new AbortController().signal, onProgress: () => {}};
	const fresh = await open({kind: 'task', file}, opening);
	await fresh.close();
	const resumed = await open({kind: 'resume', id: saved!.id}, opening);
	await resumed.close();
	assert.deepEqual(tui.background, [true, true], 'a new run and a resumed one, opened from the TUI');
});
