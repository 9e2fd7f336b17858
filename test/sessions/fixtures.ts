/** Shared helpers for the session tests: a temp sessions folder, a task, and a two-round session. */
import {taskSchema, type Task} from '../../source/core/task.js';
import type {Segment} from '../../source/core/types.js';
import {newSession, type Session, type StoreOptions} from '../../source/sessions/store.js';
import {tempDir as makeTempDir} from '../helpers/temp.js';

/** A fresh temp folder, removed when the test process exits. */
export function tempDir(): string {
	return makeTempDir('gmpo-sessions-');
}

export function sampleTask(): Task {
	const file = taskSchema.parse({
		name: 'support-bot',
		prompt: 'You help. Be brief.',
		data: {train: [{input: 'hi', target: 'hello'}], test: [{input: 'bye', target: 'goodbye'}]},
	});
	return {...file, data: {train: file.data.train as Task['data']['train'], test: file.data.test as Task['data']['test']}};
}

export const initialSegments: Segment[] = [
	{id: 's1', text: 'You help. '},
	{id: 's2', text: 'Be brief.'},
];

/** Creates a session and plays two rounds: round 1 accepts c1 (s2 replaced), round 2 is skipped. */
export function twoRoundSession(options: StoreOptions): Session {
	const session = newSession({task: sampleTask(), segments: initialSegments, judges: ['tiny-a', 'tiny-b'], generator: {kind: 'offline'}}, options);
	const after: Segment[] = [
		{id: 's1', text: 'You help. '},
		{id: 's3', text: 'Answer in one sentence.', origin: {kind: 'edit', round: 1, candidateId: 'c1', op: 'replace'}} as Segment,
	];
	session.append({type: 'round_started', round: 1, batch: [0]});
	session.append({
		type: 'attribution',
		round: 1,
		targets: ['s2'],
		importance: {segmentIds: ['s1', 's2'], perJudge: {'tiny-a': [0.2, -0.1]}, aggregate: [0.2, -0.1], agreement: [], method: 'gradient'},
	});
	session.append({
		type: 'candidates',
		round: 1,
		candidates: [{id: 'c1', edits: [{segment: 's2', op: 'replace', text: 'Answer in one sentence.'}], segments: after, source: 'offline'}],
		usage: {promptTokens: 120, completionTokens: 30},
	});
	session.append({type: 'scored', round: 1, losses: {'tiny-a': 2.0, 'tiny-b': 3.0}});
	session.append({type: 'scored', round: 1, candidate: 'c1', losses: {'tiny-a': 1.5, 'tiny-b': 2.5}, aggregate: 0.2});
	session.append({
		type: 'decision',
		round: 1,
		action: 'accept',
		candidate: 'c1',
		source: 'offline',
		edits: [{segment: 's2', op: 'replace', text: 'Answer in one sentence.'}],
		segments: after,
	});
	session.append({type: 'round_finished', round: 1, losses: {'tiny-a': 1.5, 'tiny-b': 2.5}});
	session.append({type: 'freeze', segment: 's1', frozen: true});
	session.append({type: 'round_started', round: 2});
	session.append({type: 'scored', round: 2, losses: {'tiny-a': 1.5, 'tiny-b': 2.5}});
	session.append({type: 'decision', round: 2, action: 'skip', segments: after});
	session.append({type: 'round_finished', round: 2});
	return session;
}
