/**
 * The direct LLM generator: one structured request per round showing the segments, their importances and the hard
 * examples, answered with N edits. Works over any ChatClient; the OpenAI module wires it to a real endpoint.
 */
import type {ChatClient} from './chat.js';
import {requestEdits} from './edit-output.js';
import {directEditMessages} from './prompts.js';
import type {Generator, ProposalRequest, Proposal} from './types.js';

/** Options of the direct generator. */
export type ChatGeneratorOptions = {
	/** Name shown as the candidates' source (default "chat:<model>"). */
	name?: string;
	/** Sampling temperature (default: the server's). */
	temperature?: number;
};

/** Checks what a caller could get wrong before any token is spent. */
export function checkRequest(request: ProposalRequest): void {
	const byId = new Map(request.segments.map(s => [s.id, s]));
	for (const id of request.targets) {
		const segment = byId.get(id);
		if (!segment) throw new Error(`proposal request: target ${id} is not a segment`);
		if (segment.frozen) throw new Error(`proposal request: target ${id} is frozen`);
	}
	if (!Number.isInteger(request.count) || request.count < 1) throw new Error(`proposal request: count ${request.count}`);
}

/** Creates the direct generator over a chat client. */
export function createChatGenerator(client: ChatClient, options: ChatGeneratorOptions = {}): Generator {
	return {
		name: options.name ?? `chat:${client.model}`,
		async propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal> {
			checkRequest(request);
			if (request.targets.length === 0) return {edits: [], usage: {promptTokens: 0, completionTokens: 0}, notes: ['no segment to edit']};
			const result = await requestEdits(
				client,
				directEditMessages(request),
				{segments: request.segments, targets: request.targets, count: request.count, temperature: options.temperature, onRetry: request.onRetry},
				signal,
			);
			return {edits: result.edits, usage: result.usage, notes: result.notes};
		},
	};
}
