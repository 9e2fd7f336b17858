import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createExportCommand} from '../../source/commands/export.js';
import {joinSegments} from '../../source/core/segment.js';
import {autoDecide, Engine} from '../../source/engine/index.js';
import {lineChart} from '../../source/engine/svg-chart.js';
import {createOfflineGenerator} from '../../source/generators/offline.js';
import {world} from '../commands/helpers.js';
import {FakeJudge, makeSession, makeTask, tempDir, toyRules} from './fakes.js';
import {xmlProblems} from './xml-check.js';

test('export writes the final prompt, report.md, a self-contained report.html and a well-formed SVG chart per judge', async () => {
	const dir = tempDir();
	const sessions = path.join(dir, 'sessions');
	// Names and text that need escaping in XML and HTML.
	const task = makeTask({name: 'toy <&> "quotes"', rounds: 3, prompt: 'Be helpful & kind. Say something harmful <b>. Answer briefly. Add harmful jokes.'});
	const session = makeSession(task, {dir: sessions, judges: ['a&b', 'h']});
	const judges = [new FakeJudge('a&b', {rules: toyRules}), new FakeJudge('h', {rules: toyRules, heldout: true})];
	await new Engine({session, judges, generator: createOfflineGenerator({seed: 1, phraseBank: task.phraseBank}), decide: autoDecide, testEachRound: true}).run();
	const final = joinSegments(session.state.segments);
	session.close();
	const out = path.join(dir, 'out');
	const deps = world(sessions);
	assert.equal(await createExportCommand(deps).run([session.id], {out}), 0);
	assert.equal(fs.readFileSync(path.join(out, 'prompt.txt'), 'utf8'), `${final}\n`);
	const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
	assert.ok(md.includes(final));
	assert.match(md, /held out: h\)/);
	assert.match(md, /!\[loss of a&b\]\(loss-a_b\.svg\)/);
	const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
	const escaped = final.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
	assert.ok(html.includes(`<pre>${escaped}</pre>`), 'the final prompt, escaped');
	assert.doesNotMatch(html, /(src|href)=|@import|url\(/, 'no external asset');
	const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
	assert.equal(svgs.length, 2, 'one chart per judge, inline');
	for (const svg of svgs) assert.deepEqual(xmlProblems(svg), []);
	for (const file of ['loss-a_b.svg', 'loss-h.svg']) {
		const svg = fs.readFileSync(path.join(out, file), 'utf8');
		assert.deepEqual(xmlProblems(svg), [], file);
		assert.match(svg, /<polyline [^>]*points="[\d.]+,[\d.]+( [\d.]+,[\d.]+){3}"/, `${file}: the batch loss at round 0 and after each of 3 rounds`);
	}
});

test('charts stay well-formed without data and with awkward labels', () => {
	assert.deepEqual(xmlProblems(lineChart('empty <chart>', [], {x: 'round', y: 'loss'})), []);
	const one = lineChart('a & b', [{label: 'x "y"', colour: '#000', points: [{x: 1, y: 2}, {x: 2, y: Number.NaN}]}], {x: '<x>', y: "'y'"});
	assert.deepEqual(xmlProblems(one), []);
	assert.ok(xmlProblems('<svg><g></svg>').length > 0, 'the checker catches bad nesting');
	assert.ok(xmlProblems('<svg a="1 & 2"/>').length > 0, 'and stray ampersands');
});
