import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {createAttributeCommand} from '../../source/commands/attribute.js';
import {importanceEffect, importanceWord, NEGLIGIBLE_SHARE} from '../../source/engine/importance-level.js';
import {heatOf} from '../../source/ui/heat.js';
import {world} from '../commands/helpers.js';
import {FakeJudge, tempDir} from './fakes.js';

test('one threshold: a segment under 5% of the largest importance is negligible in the heatmap and in gmpo attribute', () => {
	assert.equal(NEGLIGIBLE_SHARE, 0.05);
	assert.equal(importanceWord(0.0037, 0.1), 'negligible', 'the case of the issue: +0.0037 next to 0.1');
	assert.equal(heatOf(0.0037, 0.1).sign, 0, 'the heatmap agrees');
	assert.equal(importanceWord(0.006, 0.1), 'helps');
	assert.equal(heatOf(0.006, 0.1).sign, 1);
	assert.equal(importanceWord(-0.006, 0.1), 'hurts');
	assert.equal(importanceEffect(Number.NaN, 1), 0);
	assert.equal(importanceEffect(1, 0), 0, 'nothing to compare with');
});

test('gmpo attribute labels each segment with the same threshold as the TUI', async () => {
	const dir = tempDir();
	const file = path.join(dir, 'toy.yaml');
	// "tiny" shifts the loss by 1% of "harmful": negligible.
	fs.writeFileSync(
		file,
		['name: toy', 'prompt: "Be tiny. Say something harmful. Answer briefly."', 'data:', '  train: [{input: a, target: A}, {input: b, target: B}]', '  test: [{input: x, target: X}]'].join('\n'),
	);
	const deps = world(path.join(dir, 'sessions'), {
		openJudges: async () => ({
			judges: [new FakeJudge('a', {rules: [{pattern: /harmful/, delta: 1}, {pattern: /tiny/, delta: -0.01}, {pattern: /briefly/, delta: -0.4}]})],
			close: async () => {},
		}),
	});
	assert.equal(await createAttributeCommand(deps).run([file], {judges: 'a'}), 0);
	const out = deps.stdout.text;
	assert.match(out, /^s1 .* negligible +Be tiny\.$/m);
	assert.match(out, /^s2 .* hurts +Say something harmful\.$/m);
	assert.match(out, /^s3 .* helps +Answer briefly\.$/m);
	assert.match(out, /negligible under 5% of the largest aggregate, as in the TUI/);
});
