import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Edit, Segment} from '../../source/core/types.js';
import {createOfflineGenerator, SPURIOUS_PHRASES} from '../../source/generators/offline.js';
import {groupEdits, type ProposalRequest} from '../../source/generators/types.js';
import {sampleRequest} from './fixtures.js';

const signal = new AbortController().signal;
const bank = ['Answer in the customer\'s language.', 'Quote dates exactly.', 'Be polite.'];

/** Problems with one candidate's edits, checked independently of the engine's edit applier. */
function problems(segments: Segment[], edits: Edit[], targets: string[]): string[] {
	const out: string[] = [];
	const byId = new Map(segments.map(s => [s.id, s]));
	const touched = new Set<string>();
	for (const e of edits) {
		const s = byId.get(e.segment);
		if (!s) out.push(`unknown segment ${e.segment}`);
		else if (s.frozen) out.push(`frozen ${e.segment}`);
		if (!['replace', 'delete', 'insert_after'].includes(e.op)) out.push(`op ${e.op}`);
		if (e.op !== 'delete' && !e.text?.trim()) out.push(`empty text for ${e.segment}`);
		if (e.op === 'replace' && s && e.text!.trim() === s.text.trim()) out.push(`no-op replace of ${e.segment}`);
		if (touched.has(e.segment)) out.push(`${e.segment} edited twice in one candidate`);
		touched.add(e.segment);
	}
	if (!edits.some(e => targets.includes(e.segment))) out.push('no target segment edited');
	return out;
}

function apply(segments: Segment[], edits: Edit[]): string {
	const change = new Map(edits.map(e => [e.segment, e]));
	return segments
		.map(s => {
			const e = change.get(s.id);
			return e === undefined ? s.text : e.op === 'delete' ? '' : e.op === 'replace' ? e.text! : s.text + e.text!;
		})
		.join('');
}

test('the same seed, round and request give the same edits; another round gives others', async () => {
	const a = await createOfflineGenerator({seed: 7, phraseBank: bank}).propose(sampleRequest({count: 6}), signal);
	const b = await createOfflineGenerator({seed: 7, phraseBank: bank}).propose(sampleRequest({count: 6}), signal);
	const c = await createOfflineGenerator({seed: 7, phraseBank: bank}).propose(sampleRequest({count: 6, round: 2}), signal);
	assert.deepEqual(a, b);
	assert.notDeepEqual(a.edits, c.edits);
	assert.deepEqual(a.usage, {promptTokens: 0, completionTokens: 0});
	assert.match(a.notes![0], /^offline generator/);
});

test('every candidate is valid against the segments, and frozen segments are never touched', async () => {
	for (const round of [1, 2, 3, 4]) {
		const request = sampleRequest({count: 50, round, targets: ['s2', 's4']});
		const proposal = await createOfflineGenerator({seed: round, phraseBank: bank}).propose(request, signal);
		const candidates = groupEdits(proposal.edits);
		assert.ok(candidates.length > 4);
		const texts = new Set<string>();
		for (const edits of candidates) {
			assert.deepEqual(problems(request.segments, edits, request.targets), [], JSON.stringify(edits));
			assert.ok(edits.every(e => e.rationale?.startsWith('offline: ')));
			texts.add(apply(request.segments, edits));
		}
		assert.equal(texts.size, candidates.length, 'candidates are distinct prompts');
		assert.ok(![...texts].includes(apply(request.segments, [])), 'no candidate leaves the prompt unchanged');
	}
});

test('proposes exactly N candidates when enough exist, mixing the operators', async () => {
	const request = sampleRequest({count: 4, targets: ['s1', 's2']});
	const proposal = await createOfflineGenerator({seed: 1, phraseBank: bank}).propose(request, signal);
	const candidates = groupEdits(proposal.edits);
	assert.equal(candidates.length, 4);
	const kinds = new Set(candidates.map(edits => /offline: (\w+)/.exec(edits[0].rationale!)![1]));
	assert.equal(kinds.size, 4, [...kinds].join(','));
	assert.equal(proposal.notes!.length, 1);
});

test('swap and merge are two edits of one group; the swap keeps each slot\'s whitespace', async () => {
	const request: ProposalRequest = {
		segments: [
			{id: 's1', text: 'First rule.\n'},
			{id: 's2', text: 'Second rule.\n'},
		],
		targets: ['s1'],
		hardExamples: [],
		count: 10,
		round: 1,
	};
	const proposal = await createOfflineGenerator({seed: 3, phraseBank: []}).propose(request, signal);
	const byKind = new Map(groupEdits(proposal.edits).map(edits => [/offline: (\w+)/.exec(edits[0].rationale!)![1], edits]));
	assert.deepEqual([...byKind.keys()].sort(), ['delete', 'merge', 'swap']);
	assert.equal(apply(request.segments, byKind.get('swap')!), 'Second rule.\nFirst rule.\n');
	assert.equal(apply(request.segments, byKind.get('merge')!), 'First rule; second rule.\n');
	assert.equal(new Set(proposal.edits.filter(e => e.group).map(e => e.group)).size, 2);
});

test('fewer than N distinct edits: proposes what exists and says so', async () => {
	const request = sampleRequest({targets: ['s4'], count: 12});
	const proposal = await createOfflineGenerator({seed: 1, phraseBank: []}).propose(request, signal);
	// s4 is last and its neighbour s3 is frozen: only a delete is possible.
	assert.deepEqual(proposal.edits, [{segment: 's4', op: 'delete', rationale: 'offline: delete s4'}]);
	assert.ok(proposal.notes!.some(n => /only 1 distinct edits of s4 are possible; 12 were asked for/.test(n)));
	assert.ok(proposal.notes!.some(n => /no phrase bank/.test(n)));
});

test('a frozen target is a caller bug', async () => {
	await assert.rejects(createOfflineGenerator({seed: 1, phraseBank: bank}).propose(sampleRequest({targets: ['s3']}), signal), /s3 is frozen/);
});

test('spurious phrases are offered as replacements only when asked for', async () => {
	const request = sampleRequest({count: 64, targets: ['s1', 's2']});
	const texts = async (spurious: boolean) =>
		(await createOfflineGenerator({seed: 1, phraseBank: bank, spurious}).propose(request, signal)).edits.filter(e => e.op === 'replace').map(e => e.text!.trim());
	assert.ok(!(await texts(false)).includes(SPURIOUS_PHRASES[0]!));
	const withSpurious = await texts(true);
	assert.ok(withSpurious.includes('Certainly!'), withSpurious.join(' | '));
});
