/**
 * A generator retry reaches the drivers: the engine says it as a note (the headless lines, the TUI's messages) and
 * as progress with the attempt count (the TUI's status line).
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {autoDecide, Engine, type EngineEvent} from '../../source/engine/index.js';
import type {ChatClient} from '../../source/generators/chat.js';
import {createChatGenerator} from '../../source/generators/direct.js';
import {initialTuiState, reduceTui} from '../../source/ui/tui-state.js';
import {FakeJudge, makeSession, makeTask, toyRules} from './fakes.js';

/** A chat client whose first request is "retried" once, as the OpenAI client does after a 503; it deletes a target. */
function retryingClient(): ChatClient {
	return {
		model: 'fake',
		async complete(request) {
			request.onRetry?.({attempt: 2, of: 3, reason: 'HTTP 503: busy', delayMs: 1000});
			const items = (request.json!.schema as {properties: {edits: {items: {properties: {segment: {enum: string[]}}}}}}).properties.edits.items;
			const target = items.properties.segment.enum[0];
			return {content: JSON.stringify({edits: [{segment: target, op: 'delete', text: '', rationale: 'x'}]}), usage: {promptTokens: 1, completionTokens: 1}};
		},
	};
}

test('a generator retry becomes a note and a progress event with the attempt count; the TUI state keeps it', async () => {
	const task = makeTask({rounds: 1});
	const session = makeSession(task);
	const events: EngineEvent[] = [];
	const engine = new Engine({session, judges: [new FakeJudge('a', {rules: toyRules})], generator: createChatGenerator(retryingClient()), decide: autoDecide});
	engine.on(e => events.push(e));
	await engine.run();
	session.close();
	const note = events.find(e => e.type === 'note' && /generator/.test(e.text));
	assert.deepEqual(note, {type: 'note', round: 1, level: 'warn', text: 'generator: HTTP 503: busy; attempt 2 of 3 in 1.0 s'});
	const progress = events.find(e => e.type === 'progress' && e.detail !== undefined);
	assert.deepEqual(progress, {type: 'progress', round: 1, phase: 'proposal', done: 0, total: 0, detail: 'attempt 2 of 3'});
	const facts = {segments: [], selection: ['a'], heldout: [], budget: {spent: {rounds: 0, judgePasses: 0, generatorTokens: 0, wallMs: 0}, limits: {}}, now: 0};
	const state = reduceTui(initialTuiState('proposing', undefined), progress!, facts as never);
	assert.equal(state.progress?.detail, 'attempt 2 of 3');
});
