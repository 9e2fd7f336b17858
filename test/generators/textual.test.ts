import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ChatClient, ChatRequest} from '../../source/generators/chat.js';
import {createTextualGenerator, splitCount, type TextualMode} from '../../source/generators/textual.js';
import type {ProposalRequest} from '../../source/generators/types.js';
import {sampleRequest} from './fixtures.js';

/** A chat client that records each request and answers: critiques as text, edit requests with K distinct edits. */
function fakeClient() {
	const calls: {stage: 'loss' | 'gradient' | 'optimizer'; user: string; request: ChatRequest}[] = [];
	let n = 0;
	const client: ChatClient = {
		model: 'fake',
		async complete(request) {
			const system = request.messages[0].content;
			const user = request.messages.at(-1)!.content;
			const stage = request.json ? 'optimizer' : system.startsWith('You evaluate') ? 'loss' : 'gradient';
			calls.push({stage, user, request});
			n++;
			if (stage !== 'optimizer') return {content: `${stage} text ${n}`, usage: {promptTokens: 10, completionTokens: 5}};
			const k = Number(/Propose exactly (\d+)/.exec(user)![1]);
			const edits = Array.from({length: k}, (_, i) => ({segment: 's2', op: 'replace', text: `Rewrite ${n}.${i}.`, rationale: 'r'}));
			return {content: JSON.stringify({edits}), usage: {promptTokens: 10, completionTokens: 5}};
		},
	};
	return {client, calls};
}

const objectives = [
	{name: 'accuracy', description: 'facts are right'},
	{name: 'tone', description: 'friendly'},
];

function multiRequest(count = 5): ProposalRequest {
	const base = sampleRequest({count});
	return {
		...base,
		objectives,
		hardExamples: base.hardExamples.map((e, i) => ({
			...e,
			targets: {accuracy: `ACC-REF-${i}`, tone: `TONE-REF-${i}`},
			objectiveLosses: {accuracy: 1 + i, tone: 2 + i},
		})),
	};
}

const expected: Record<TextualMode, {loss: number; gradient: number; optimizer: number}> = {
	SSS: {loss: 2, gradient: 2, optimizer: 2},
	SSC: {loss: 2, gradient: 2, optimizer: 1},
	SCC: {loss: 2, gradient: 1, optimizer: 1},
	CCC: {loss: 1, gradient: 1, optimizer: 1},
};

for (const mode of ['SSS', 'SSC', 'SCC', 'CCC'] as TextualMode[]) {
	test(`mode ${mode}: the right number of loss, gradient and optimizer calls, each seeing the right objectives`, async () => {
		const {client, calls} = fakeClient();
		const generator = createTextualGenerator(client, {mode});
		const proposal = await generator.propose(multiRequest(5), new AbortController().signal);
		assert.equal(generator.name, `textual:${mode}:fake`);
		const stages = (s: string) => calls.filter(c => c.stage === s);
		assert.equal(stages('loss').length, expected[mode].loss);
		assert.equal(stages('gradient').length, expected[mode].gradient);
		assert.equal(stages('optimizer').length, expected[mode].optimizer);
		// Stages run in order: every loss call before every gradient call before every optimizer call.
		assert.deepEqual(
			calls.map(c => c.stage),
			[...stages('loss'), ...stages('gradient'), ...stages('optimizer')].map(c => c.stage),
		);
		// The textual baseline sees no numeric importances.
		assert.ok(calls.every(c => !/importance/.test(c.user)));

		const [lossA, lossB] = stages('loss');
		if (mode[0] === 'S') {
			assert.match(lossA.user, /Reference output for accuracy: ACC-REF-0/);
			assert.doesNotMatch(lossA.user, /TONE-REF/);
			assert.match(lossA.user, /Evaluate only the objective accuracy \(facts are right\)/);
			assert.match(lossA.user, /loss 1\.000/);
			assert.match(lossB.user, /Reference output for tone: TONE-REF-1/);
			assert.doesNotMatch(lossB.user, /ACC-REF/);
		} else {
			assert.match(lossA.user, /ACC-REF-0[\s\S]*TONE-REF-0/);
			assert.match(lossA.user, /Evaluate all objectives together/);
		}

		const gradients = stages('gradient');
		if (mode[1] === 'S') {
			assert.match(gradients[0].user, /Evaluation for objective accuracy:\nloss text 1/);
			assert.doesNotMatch(gradients[0].user, /loss text 2/);
			assert.match(gradients[1].user, /Evaluation for objective tone:\nloss text 2/);
			assert.match(gradients[1].user, /to serve tone/);
		} else if (mode[0] === 'S') {
			assert.match(gradients[0].user, /Evaluation for objective accuracy:\nloss text 1\n\nEvaluation for objective tone:\nloss text 2/);
		} else {
			assert.match(gradients[0].user, /Evaluation:\nloss text 1/);
		}
		assert.ok(gradients.every(g => /Segments to examine: s2, s4\./.test(g.user)));

		const optimizers = stages('optimizer');
		if (mode[2] === 'S') {
			assert.match(optimizers[0].user, /Critique for objective accuracy:\ngradient text 3\n/);
			assert.doesNotMatch(optimizers[0].user, /gradient text 4/);
			assert.match(optimizers[0].user, /Propose exactly 3 different edits/);
			assert.match(optimizers[1].user, /Critique for objective tone:\ngradient text 4\n/);
			assert.match(optimizers[1].user, /Propose exactly 2 different edits/);
		} else {
			const critiques = mode[1] === 'S' ? /Critique for objective accuracy:[\s\S]*Critique for objective tone:/ : /Critique:\ngradient text/;
			assert.match(optimizers[0].user, critiques);
			assert.match(optimizers[0].user, /Propose exactly 5 different edits/);
		}
		assert.ok(optimizers.every(o => o.request.json?.name === 'prompt_edits'));

		assert.equal(proposal.edits.length, 5);
		assert.deepEqual(proposal.usage, {promptTokens: 10 * calls.length, completionTokens: 5 * calls.length});
		assert.match(proposal.notes![0], new RegExp(`^textual generator, mode ${mode}.*: ${calls.length} stage calls`));
		assert.ok(proposal.notes!.some(n => n.startsWith('critique')));
	});
}

test('a single-objective task makes three calls in every mode', async () => {
	for (const mode of ['SSS', 'SSC', 'SCC', 'CCC'] as TextualMode[]) {
		const {client, calls} = fakeClient();
		const proposal = await createTextualGenerator(client, {mode}).propose(sampleRequest({count: 3}), new AbortController().signal);
		assert.deepEqual(
			calls.map(c => c.stage),
			['loss', 'gradient', 'optimizer'],
			mode,
		);
		assert.match(calls[0].user, /Reference output: Your order ships tomorrow\./);
		assert.match(calls[1].user, /\n\nEvaluation:\nloss text 1\n/);
		assert.equal(proposal.edits.length, 3);
	}
});

test('N is split over per-objective rewrites, earlier objectives taking the remainder', () => {
	assert.deepEqual(splitCount(5, 2), [3, 2]);
	assert.deepEqual(splitCount(12, 3), [4, 4, 4]);
	assert.deepEqual(splitCount(1, 3), [1, 0, 0]);
});
