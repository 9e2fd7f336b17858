/**
 * The words LLM generators send: the segmented prompt with importances, the hard examples, the edit instructions.
 * Shared by the direct (OpenAI) generator and the textual-gradient generator so both see the same evidence.
 */
import type {ChatMessage} from './chat.js';
import type {HardExample, ProposalRequest, RequestObjective} from './types.js';

/** Long inputs and targets are cut so that a few hard examples cannot blow the generator's context window. */
const maxExampleChars = 1500;

function clip(text: string): string {
	if (text.length <= maxExampleChars) return text;
	return `${text.slice(0, maxExampleChars)} [... ${text.length - maxExampleChars} more characters]`;
}

function signed(x: number): string {
	return (x >= 0 ? '+' : '') + x.toFixed(3);
}

/** The prompt as a numbered list of segments, each with its importance when known. */
export function renderSegments(request: ProposalRequest): string {
	const lines = request.segments.map(s => {
		const tags = [s.importance === undefined ? undefined : `importance ${signed(s.importance)}`, s.frozen ? 'frozen' : undefined]
			.filter(Boolean)
			.join(', ');
		return `[${s.id}]${tags ? ` (${tags})` : ''} ${JSON.stringify(s.text)}`;
	});
	return [
		'The prompt, split into segments that concatenate back to it exactly. Importance: positive means the segment',
		'helps the model produce the reference outputs, negative means it hurts.',
		...lines,
	].join('\n');
}

/** "name (description)". */
export function objectiveLabel(o: RequestObjective): string {
	return o.description ? `${o.name} (${o.description})` : o.name;
}

/**
 * Hard examples, showing the references of the given objectives only (all of them when `only` is absent), so a
 * per-objective call sees nothing of the other criteria.
 */
export function renderExamples(examples: HardExample[], objectives: RequestObjective[] | undefined, only?: string): string {
	if (examples.length === 0) return 'No examples are available this round.';
	const shown = objectives?.filter(o => only === undefined || o.name === only) ?? [];
	return examples
		.map((e, i) => {
			const loss = only !== undefined && e.objectiveLosses?.[only] !== undefined ? e.objectiveLosses[only] : e.loss;
			const head = `Example ${i + 1} (loss ${loss.toFixed(3)}; higher is worse)`;
			const refs =
				shown.length === 0
					? [`Reference output: ${clip(e.target)}`]
					: shown.map(o => `Reference output for ${o.name}: ${clip(e.targets?.[o.name] ?? e.target)}`);
			return [head, `Input: ${clip(e.input)}`, ...refs].join('\n');
		})
		.join('\n\n');
}

/** The objectives, one per line; empty for single-objective tasks. */
export function renderObjectives(objectives: RequestObjective[] | undefined): string {
	if (!objectives || objectives.length === 0) return '';
	return ['The prompt serves these objectives:', ...objectives.map(o => `- ${objectiveLabel(o)}`)].join('\n');
}

/** The system message of every edit request. */
export const editSystemMessage = [
	'You improve prompts for language models. You propose edits of individual prompt segments.',
	'Each edit is an alternative: it is applied on its own to the current prompt and scored by judges that measure',
	'how likely the reference outputs become. Reply with a JSON object only:',
	'{"edits": [{"segment": "<id>", "op": "replace" | "delete" | "insert_after",',
	' "text": "<new text, empty for delete>", "rationale": "<one sentence>"}]}',
].join('\n');

/** The closing instruction of an edit request. */
export function editInstruction(targets: string[], count: number): string {
	return [
		`Propose exactly ${count} different edits, editing only segments ${targets.join(', ')}.`,
		'replace: new text for the segment; delete: remove it; insert_after: a new sentence after it.',
		'Keep what the helpful segments do; fix or remove what hurts.',
	].join('\n');
}

/** The messages of the direct (one-call) edit request. */
export function directEditMessages(request: ProposalRequest): ChatMessage[] {
	const user = [
		renderSegments(request),
		renderObjectives(request.objectives),
		'Examples where the judges find the prompt worst:',
		renderExamples(request.hardExamples, request.objectives),
		editInstruction(request.targets, request.count),
	]
		.filter(Boolean)
		.join('\n\n');
	return [
		{role: 'system', content: editSystemMessage},
		{role: 'user', content: user},
	];
}
