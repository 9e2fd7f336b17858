/** A small proposal request shared by the generator tests. */
import type {ProposalRequest} from '../../source/generators/types.js';

export function sampleRequest(overrides: Partial<ProposalRequest> = {}): ProposalRequest {
	return {
		segments: [
			{id: 's1', text: 'You are a support assistant. ', importance: 0.4},
			{id: 's2', text: 'Always answer in French. ', importance: -0.3},
			{id: 's3', text: 'Be brief. ', importance: 0.05, frozen: true},
			{id: 's4', text: 'Never mention refunds.', importance: -0.1},
		],
		targets: ['s2', 's4'],
		hardExamples: [
			{input: 'Where is my order?', target: 'Your order ships tomorrow.', loss: 2.5},
			{input: 'Can I get a refund?', target: 'Yes, refunds take five days.', loss: 3.1},
		],
		count: 4,
		round: 1,
		...overrides,
	};
}

/** A valid reply for sampleRequest. */
export const validReply = JSON.stringify({
	edits: [
		{segment: 's2', op: 'replace', text: 'Answer in the language of the question.', rationale: 'French hurts'},
		{segment: 's4', op: 'delete', text: '', rationale: 'refunds are allowed'},
		{segment: 's2', op: 'insert_after', text: 'Give a concrete date when you can.', rationale: 'targets give dates'},
		{segment: 's4', op: 'replace', text: 'Explain the refund policy when asked.', rationale: 'targets mention refunds'},
	],
});
