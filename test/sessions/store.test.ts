import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {isSecretField, redact} from '../../source/sessions/redact.js';
import {newSession, listSessions, loadSession, newSessionId, openSession, sessionsDir} from '../../source/sessions/store.js';
import {initialSegments, sampleTask, tempDir, twoRoundSession} from './fixtures.js';

function lines(file: string): string[] {
	return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

test('create, append and replay give back the same state', () => {
	const dir = tempDir();
	const live = twoRoundSession({dir});
	const liveState = structuredClone(live.state);
	live.close();
	const resumed = openSession(live.id, {dir});
	try {
		assert.deepEqual(resumed.state, liveState);
		const s = resumed.state;
		assert.equal(s.task.name, 'support-bot');
		assert.deepEqual(s.judges, ['tiny-a', 'tiny-b']);
		assert.deepEqual(s.initialSegments, initialSegments);
		assert.deepEqual(
			s.segments.map(x => [x.id, x.text, x.frozen]),
			[
				['s1', 'You help. ', true],
				['s3', 'Answer in one sentence.', undefined],
			],
		);
		assert.deepEqual(s.segments[1], {
			id: 's3',
			text: 'Answer in one sentence.',
			origin: {kind: 'edit', round: 1, candidateId: 'c1', op: 'replace'},
		});
		assert.deepEqual(s.frozen, ['s1']);
		assert.equal(s.roundsDone, 2);
		assert.equal(s.inProgress, undefined);
		assert.deepEqual(s.budget, {rounds: 2, promptTokens: 120, completionTokens: 30});
		assert.equal(s.accepted.length, 1);
		assert.deepEqual(
			{...s.accepted[0], time: undefined},
			{
				round: 1,
				seq: 7,
				time: undefined,
				action: 'accept',
				candidate: 'c1',
				source: 'offline',
				edits: [{segment: 's2', op: 'replace', text: 'Answer in one sentence.'}],
				before: 'You help. Be brief.',
				after: 'You help. Answer in one sentence.',
				segmentsBefore: [
					{id: 's1', text: 'You help. '},
					{id: 's2', text: 'Be brief.'},
				],
			},
		);
		assert.deepEqual(s.rounds[0].losses, {'tiny-a': 2.0, 'tiny-b': 3.0});
		assert.deepEqual(s.rounds[0].candidateLosses, {c1: {'tiny-a': 1.5, 'tiny-b': 2.5}});
		assert.deepEqual(s.rounds[0].aggregates, {c1: 0.2});
		assert.deepEqual(s.rounds[0].targets, ['s2']);
		assert.deepEqual(s.rounds[1].decision, {action: 'skip', candidate: undefined});
		assert.deepEqual(s.best, {loss: 2.0, round: 1});
		assert.equal(s.nextSegmentNumber, 4);
		assert.equal(s.lastSeq, 13);
		// Appending continues the sequence.
		resumed.append({type: 'note', text: 'resumed'});
		assert.equal(resumed.state.lastSeq, 14);
	} finally {
		resumed.close();
	}
	const log = lines(path.join(dir, live.id, 'events.jsonl')).map(l => JSON.parse(l));
	assert.deepEqual(
		log.map(e => e.seq),
		Array.from({length: 14}, (_, i) => i + 1),
	);
	assert.ok(log.every(e => e.v === 1 && typeof e.time === 'string'));
	assert.deepEqual(Object.keys(log[0]).slice(0, 4), ['v', 'seq', 'time', 'type']);
});

test('a round in progress when the process died is started again on resume', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	session.append({type: 'round_started', round: 3});
	session.append({type: 'candidates', round: 3, candidates: [], usage: {promptTokens: 7, completionTokens: 1}});
	session.close();
	const resumed = openSession(session.id, {dir});
	assert.equal(resumed.state.inProgress, 3);
	assert.equal(resumed.state.roundsDone, 2);
	resumed.append({type: 'round_started', round: 3});
	assert.equal(resumed.state.rounds.length, 3);
	assert.equal(resumed.state.budget.promptTokens, 127, 'tokens of the abandoned attempt still count');
	assert.throws(() => resumed.append({type: 'round_started', round: 5}), /round 5 started, expected round 3/);
	assert.equal(resumed.state.lastSeq, 16, 'a rejected event changes nothing');
	resumed.close();
});

test('a cut-off last line is dropped with a warning, and appending continues after the last good line', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	session.close();
	const file = path.join(dir, session.id, 'events.jsonl');
	fs.appendFileSync(file, '{"v":1,"seq":14,"time":"2026-01-01T00:00:00.000Z","type":"no');
	const warnings: string[] = [];
	const resumed = openSession(session.id, {dir, onWarning: w => warnings.push(w)});
	assert.equal(warnings.length, 1);
	assert.match(warnings[0], /line 14 was cut off/);
	assert.deepEqual(resumed.warnings, warnings);
	assert.equal(resumed.state.lastSeq, 13);
	resumed.append({type: 'note', text: 'after the crash'});
	resumed.close();
	const log = lines(file).map(l => JSON.parse(l));
	assert.equal(log.length, 14);
	assert.equal(log[13].text, 'after the crash');
	assert.equal(log[13].seq, 14);
	assert.equal(loadSession(session.id, {dir}).warnings.length, 0);
});

test('a complete last line missing only its newline is kept, and the newline is added before appending', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	session.close();
	const file = path.join(dir, session.id, 'events.jsonl');
	fs.appendFileSync(file, JSON.stringify({v: 1, seq: 14, time: '2026-01-01T00:00:00.000Z', type: 'note', text: 'kept'}));
	const resumed = openSession(session.id, {dir});
	assert.equal(resumed.warnings.length, 0);
	assert.equal(resumed.state.notes.at(-1)?.text, 'kept');
	resumed.append({type: 'note', text: 'next'});
	resumed.close();
	assert.deepEqual(
		lines(file).slice(-2).map(l => JSON.parse(l).text),
		['kept', 'next'],
	);
});

for (const [name, corrupt, message] of [
	['bad JSON in the middle', (l: string[]) => (l[4] = l[4].slice(0, 20)), /line 5: not valid JSON/],
	['an unknown schema version', (l: string[]) => (l[2] = l[2].replace('"v":1', '"v":2')), /line 3: schema version 2 is not supported/],
	['a sequence out of order', (l: string[]) => (l[6] = l[6].replace('"seq":7', '"seq":9')), /line 7: seq 9 does not follow 6/],
	['an event of no known type', (l: string[]) => (l[4] = l[4].replace('"type":"scored"', '"type":"rescored"')), /line 5: unknown event type "rescored"/],
	['a decision for a round not in progress', (l: string[]) => (l[6] = l[6].replace('"round":1', '"round":4')), /line 7: decision for round 4, but round 1 is in progress/],
] as const) {
	test(`${name} is a UserError naming file and line, and the file is not touched`, () => {
		const dir = tempDir();
		const session = twoRoundSession({dir});
		session.close();
		const file = path.join(dir, session.id, 'events.jsonl');
		const l = lines(file);
		corrupt(l);
		fs.writeFileSync(file, `${l.join('\n')}\n`);
		const before = fs.readFileSync(file);
		for (const open of [() => openSession(session.id, {dir}), () => loadSession(session.id, {dir})]) {
			assert.throws(open, (error: unknown) => {
				assert.ok(error instanceof UserError);
				assert.equal(error.file, file);
				assert.match(error.message, message);
				return true;
			});
		}
		assert.deepEqual(fs.readFileSync(file), before);
		// The failed open released its lock: fixing the file makes the session usable again.
		assert.ok(!fs.existsSync(path.join(dir, session.id, '.lock')));
	});
}

test('no API key ever reaches the session folder', () => {
	const dir = tempDir();
	const key = 'sk-proj-SECRETSECRET0123456789';
	const task = {...sampleTask(), generator: {kind: 'openai', candidates: 12, apiKey: key}} as unknown as ReturnType<typeof sampleTask>;
	const session = newSession(
		{task, segments: initialSegments, generator: {kind: 'openai', model: 'm', baseUrl: 'http://x/v1', apiKey: key} as {kind: string}},
		{dir, secrets: [key]},
	);
	session.append({type: 'note', text: `the request failed with key ${key}`});
	session.append({type: 'round_started', round: 1, authorization: `Bearer ${key}`, OPENAI_API_KEY: key} as never);
	session.close();
	const folder = path.join(dir, session.id);
	for (const name of fs.readdirSync(folder)) {
		const content = fs.readFileSync(path.join(folder, name), 'utf8');
		assert.ok(!content.includes(key), `${name} contains the key`);
		assert.ok(!/SECRETSECRET/.test(content), `${name} contains part of the key`);
	}
	const state = loadSession(session.id, {dir}).state;
	assert.equal(state.notes[0].text, 'the request failed with key ***');
	assert.deepEqual(state.generator, {kind: 'openai', model: 'm', baseUrl: 'http://x/v1'});
});

test('secret field names are recognised without catching token counts', () => {
	for (const name of ['apiKey', 'api_key', 'OPENAI_API_KEY', 'x-api-key', 'key', 'accessToken', 'token', 'clientSecret', 'Authorization', 'password']) {
		assert.ok(isSecretField(name), name);
	}
	for (const name of ['promptTokens', 'completionTokens', 'monkey', 'keys', 'tokenizer', 'maxTokens', 'segment', 'targets']) {
		assert.ok(!isSecretField(name), name);
	}
	assert.deepEqual(redact({usage: {promptTokens: 3}, nested: [{apiKey: 'x', a: 1}]}), {usage: {promptTokens: 3}, nested: [{a: 1}]});
});

test('a session open in this process cannot be opened again until closed', () => {
	const dir = tempDir();
	const session = twoRoundSession({dir});
	assert.throws(() => openSession(session.id, {dir}), {name: 'UserError', message: /already open/});
	session.close();
	openSession(session.id, {dir}).close();
	// A lock left by a process that is gone is stale and taken over.
	fs.writeFileSync(path.join(dir, session.id, '.lock'), '999999999\n');
	openSession(session.id, {dir}).close();
});

test('listing: newest first, with task, rounds, best loss and last update; broken sessions listed with their error', () => {
	const dir = tempDir();
	assert.deepEqual(listSessions({dir: path.join(dir, 'nowhere')}), []);
	const first = twoRoundSession({dir});
	first.close();
	const second = newSession({task: sampleTask(), segments: initialSegments}, {dir});
	second.close();
	// An older session: ids start with their creation time, so this one sorts after both.
	const old = '20010101-000000-abcdef';
	fs.cpSync(path.join(dir, first.id), path.join(dir, old), {recursive: true});
	const broken = path.join(dir, '20000101-000000-abcdef');
	fs.mkdirSync(broken);
	fs.writeFileSync(path.join(broken, 'events.jsonl'), '');
	const list = listSessions({dir});
	assert.deepEqual(
		list.map(s => s.id).slice(2),
		[old, '20000101-000000-abcdef'],
	);
	assert.deepEqual(new Set(list.slice(0, 2).map(s => s.id)), new Set([first.id, second.id]));
	const one = list.find(s => s.id === first.id)!;
	assert.equal(one.task, 'support-bot');
	assert.equal(one.rounds, 2);
	assert.equal(one.bestLoss, 2.0);
	assert.equal(one.lastUpdate, first.state.updated);
	const two = list.find(s => s.id === second.id)!;
	assert.equal(two.rounds, 0);
	assert.equal(two.bestLoss, undefined);
	assert.match(list[3].error!, /task\.json: the session has no task snapshot/);
});

test('ids sort by creation time; the default folder is sessions/ of the working directory', () => {
	const a = newSessionId(new Date('2026-05-25T17:08:12.345Z'));
	assert.match(a, /^20260525-170812-[0-9a-f]{6}$/);
	assert.ok(newSessionId(new Date('2026-05-25T17:08:13Z')) > a);
	assert.equal(sessionsDir(), path.join(process.cwd(), 'sessions'));
	assert.throws(() => openSession('../etc', {dir: tempDir()}), {name: 'UserError', message: /not a session id/});
});
