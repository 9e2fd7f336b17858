import assert from 'node:assert/strict';
import fs from 'node:fs';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {removeSession, listSessions, loadSession, nameSession, openSession} from '../../source/sessions/store.js';
import {tempDir, twoRoundSession} from './fixtures.js';

test('undo goes back to the prompt before the last accepted change, keeps frozen flags, and replays the same', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	assert.equal(session.state.segments.map(s => s.text).join(''), 'You help. Answer in one sentence.');
	session.append({type: 'round_started', round: 3});
	session.append({type: 'undo', round: 3});
	const s = session.state;
	assert.deepEqual(s.segments, [{id: 's1', text: 'You help. ', frozen: true}, {id: 's2', text: 'Be brief.'}], 'the prompt before round 1, s1 still frozen');
	assert.equal(s.accepted.length, 0);
	assert.equal(s.undone.length, 1);
	assert.equal(s.undone[0].candidate, 'c1');
	assert.equal(s.undone[0].undoneRound, 3);
	assert.equal(s.nextSegmentNumber, 4, 'ids are never reused: s3 stays taken');
	assert.throws(() => session.append({type: 'undo'}), /no accepted change is in effect/);
	const live = structuredClone(session.state);
	session.close();
	assert.deepEqual(loadSession(session.id, {dir}).state, live, 'replayed like any other event');
});

test('a session can be named and deleted; neither while it is open elsewhere', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	assert.throws(() => nameSession(session.id, 'try 1', {dir}), (e: unknown) => e instanceof UserError);
	assert.throws(() => removeSession(session.id, {dir}), (e: unknown) => e instanceof UserError);
	session.close();
	nameSession(session.id, '  try 1 ', {dir});
	assert.equal(listSessions({dir})[0].name, 'try 1');
	const opened = openSession(session.id, {dir});
	assert.equal(opened.state.name, 'try 1');
	assert.throws(() => removeSession(session.id, {dir}), (e: unknown) => e instanceof UserError, 'open in another window');
	opened.close();
	removeSession(session.id, {dir});
	assert.deepEqual(listSessions({dir}), []);
	assert.deepEqual(fs.readdirSync(dir), [], 'nothing left behind');
	assert.throws(() => removeSession(session.id, {dir}), /no session/);
});
