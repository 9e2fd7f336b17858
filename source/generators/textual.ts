/**
 * The textual-gradient baseline (second seed, arXiv 2605.26046): an LLM first evaluates the prompt on the hard
 * examples (the textual "loss"), then criticises its segments (the textual "gradient"), then rewrites them (the
 * "optimizer", answered as structured edits). Each stage runs per objective (S) or once for all objectives
 * combined (C), giving the modes SSS, SSC, SCC and CCC. The judges score its candidates like any other's, so numeric
 * and textual strategies meet in one harness.
 *
 * It is deliberately shown no numeric importances: it is the baseline the segment gradients are compared with.
 */
import type {ChatClient, ChatMessage} from './chat.js';
import {checkRequest} from './direct.js';
import {requestEdits} from './edit-output.js';
import {editInstruction, editSystemMessage, objectiveLabel, renderExamples, renderObjectives, renderSegments} from './prompts.js';
import {addUsage, noUsage, type Generator, type Proposal, type ProposalRequest, type RequestObjective} from './types.js';
import type {Edit} from '../core/types.js';

/** Loss, gradient and optimizer stage each per objective (S) or combined (C). */
export type TextualMode = 'SSS' | 'SSC' | 'SCC' | 'CCC';

/** Options of the textual-gradient generator. */
export type TextualOptions = {
	/** The decomposition mode (default SCC). */
	mode?: TextualMode;
	/** Name shown as the candidates' source (default "textual:<mode>:<model>"). */
	name?: string;
	/** Sampling temperature of the rewrite stage (default: the server's). */
	temperature?: number;
};

/** A stage's output: one text per objective (S) or one for all (key "*", C). */
type StageTexts = {objective: string; text: string}[];

const lossSystem = [
	'You evaluate a prompt for a language model. Given the prompt and examples where it does worst, say precisely',
	'how the outputs it leads to fall short of the references. Do not propose fixes yet.',
].join(' ');
const gradientSystem = [
	'You criticise a prompt segment by segment. Given an evaluation of its failures, say for each segment you are',
	'asked about what is wrong with it and in which direction it should change. Do not write the new text yet.',
].join(' ');

const combined = '*';
const scope = (m: 'S' | 'C') => (m === 'S' ? 'per objective' : 'combined');

/** Splits N edits over the per-objective rewrite calls, earlier objectives taking the remainder. */
export function splitCount(count: number, parts: number): number[] {
	return Array.from({length: parts}, (_, i) => Math.floor(count / parts) + (i < count % parts ? 1 : 0));
}

function labelled(texts: StageTexts, what: string): string {
	return texts.map(t => (t.objective === combined ? `${what}:\n${t.text}` : `${what} for objective ${t.objective}:\n${t.text}`)).join('\n\n');
}

/** Creates the textual-gradient generator over a chat client. */
export function createTextualGenerator(client: ChatClient, options: TextualOptions = {}): Generator {
	const mode = options.mode ?? 'SCC';
	const [lossMode, gradientMode, optimizerMode] = [...mode] as ('S' | 'C')[];
	return {
		name: options.name ?? `textual:${mode}:${client.model}`,
		async propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal> {
			checkRequest(request);
			const usage = noUsage();
			let calls = 0;
			const ask = async (system: string, user: string): Promise<string> => {
				calls++;
				const messages: ChatMessage[] = [
					{role: 'system', content: system},
					{role: 'user', content: user},
				];
				const reply = await client.complete({messages, onRetry: request.onRetry}, signal);
				addUsage(usage, reply.usage);
				return reply.content.trim();
			};
			// A single-objective task is one combined objective: every mode then makes the same three calls.
			const multi = request.objectives !== undefined && request.objectives.length > 0;
			const objectives: RequestObjective[] = multi ? request.objectives! : [{name: combined}];
			const prompt = renderSegments({...request, segments: request.segments.map(({importance: _, ...s}) => s)});
			const focus = `Segments to examine: ${request.targets.join(', ')}.`;

			// Loss: how the prompt fails, on the references of one objective (S) or of all (C).
			const lossTexts: StageTexts = await Promise.all(
				(lossMode === 'S' ? objectives.map(o => o.name) : [combined]).map(async name => {
					const only = name === combined ? undefined : name;
					const objective = objectives.find(o => o.name === only);
					const scope = objective
						? `Evaluate only the objective ${objectiveLabel(objective)}.`
						: multi
							? `${renderObjectives(objectives)}\nEvaluate all objectives together.`
							: '';
					const user = [prompt, renderExamples(request.hardExamples, request.objectives, only), scope].filter(Boolean).join('\n\n');
					return {objective: name, text: await ask(lossSystem, user)};
				}),
			);

			// Gradient: a critique per objective (S, from that objective's evaluation) or one from all evaluations (C).
			const gradientTexts: StageTexts = await Promise.all(
				(gradientMode === 'S' ? lossTexts : [{objective: combined, text: labelled(lossTexts, 'Evaluation')}]).map(async loss => {
					const evaluation = gradientMode === 'S' ? labelled([loss], 'Evaluation') : loss.text;
					const user = [prompt, evaluation, `${focus} Say how each should change${loss.objective === combined ? '' : ` to serve ${loss.objective}`}.`].join(
						'\n\n',
					);
					return {objective: loss.objective, text: await ask(gradientSystem, user)};
				}),
			);

			// Optimizer: edits per objective (S, N split among them) or one set of N edits from all critiques (C).
			const rewrites = optimizerMode === 'S' ? gradientTexts : [{objective: combined, text: labelled(gradientTexts, 'Critique')}];
			const counts = splitCount(request.count, rewrites.length);
			const results = await Promise.all(
				rewrites.map(async (g, i) => {
					if (counts[i] === 0) return {edits: [] as Edit[], notes: [] as string[]};
					const critique = optimizerMode === 'S' ? labelled([g], 'Critique') : g.text;
					const messages: ChatMessage[] = [
						{role: 'system', content: editSystemMessage},
						{role: 'user', content: [prompt, critique, editInstruction(request.targets, counts[i])].join('\n\n')},
					];
					calls++;
					const result = await requestEdits(
						client,
						messages,
						{segments: request.segments, targets: request.targets, count: counts[i], temperature: options.temperature, onRetry: request.onRetry},
						signal,
					);
					addUsage(usage, result.usage);
					return result;
				}),
			);

			const seen = new Set<string>();
			const edits = results.flatMap(r => r.edits).filter(e => {
				const key = `${e.segment}\u0000${e.op}\u0000${e.text ?? ''}`;
				return seen.has(key) ? false : (seen.add(key), true);
			});
			const notes = [
				`textual generator, mode ${mode} (loss ${scope(lossMode)}, gradient ${scope(gradientMode)}, optimizer ${scope(optimizerMode)}): ${calls} stage calls`,
				...gradientTexts.map(g => `critique${g.objective === combined ? '' : ` (${g.objective})`}: ${g.text.length > 400 ? `${g.text.slice(0, 400)}...` : g.text}`),
				...results.flatMap(r => r.notes),
			];
			if (edits.length < request.count) notes.push(`${edits.length} distinct edits of the ${request.count} asked for`);
			return {edits, usage, notes};
		},
	};
}
