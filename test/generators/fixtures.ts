/** A small proposal request shared by the generator tests, a valid reply to it, and a deadline clock a test fires. */
import type {DeadlineTimer} from '../../source/core/retry.js';
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

/** A deadline armed through a manual clock. */
export type ArmedDeadline = {ms: number; fire: () => void; cancelled: boolean; fired: boolean};

/**
 * A clock for the generator's deadlines that only the test moves: `fire()` passes every deadline still armed, at the
 * moment the test chooses (when the server has the request, when a body has started), so a test of what a deadline
 * does never races a real clock.
 */
export function manualClock(): {timer: DeadlineTimer; armed: ArmedDeadline[]; fire(): void} {
	const armed: ArmedDeadline[] = [];
	return {
		timer(ms, fire) {
			const deadline = {ms, fire, cancelled: false, fired: false};
			armed.push(deadline);
			return () => {
				deadline.cancelled = true;
			};
		},
		armed,
		fire() {
			for (const d of armed.filter(a => !a.cancelled)) {
				d.cancelled = true;
				d.fired = true;
				d.fire();
			}
		},
	};
}
