/**
 * The generator of a run, from the flags, the task (or the session's record) and the settings. The offline generator
 * is the default when no endpoint is configured, and the run says so; asking for an LLM generator explicitly without
 * the means to reach one is an error rather than a silent fallback.
 */
import {getSetting, listSettings, resolveApiKey} from '../config.js';
import type {Task} from '../core/task.js';
import {UserError} from '../errors.js';
import {createOfflineGenerator} from '../generators/offline.js';
import type {Generator} from '../generators/types.js';
import type {GeneratorKind, RunFlags} from './flags.js';

/** The generator, what to record of it in the session (never the key), the secrets to keep out of files, notes. */
export type MadeGenerator = {
	/** The generator. */
	generator: Generator;
	/** Kind, model and endpoint as recorded in the session. */
	record: {kind: GeneratorKind; model?: string; baseUrl?: string};
	/** Values to mask wherever they would be written (the API key). */
	secrets: string[];
	/** What the user should know (a fallback to the offline generator). */
	notes: string[];
};

const OPENAI_URL = 'https://api.openai.com/v1';

/**
 * Builds the generator. `recorded` is what a resumed session used; flags override it, then the task, then the
 * settings.
 */
export async function makeGenerator(task: Task, flags: RunFlags, env: NodeJS.ProcessEnv, recorded?: {kind: string; model?: string; baseUrl?: string}): Promise<MadeGenerator> {
	const explicit = flags.generator !== undefined;
	const kind = (flags.generator ?? recorded?.kind ?? task.generator.kind) as GeneratorKind;
	const offline = (notes: string[] = []): MadeGenerator => ({
		generator: createOfflineGenerator({seed: task.seed, phraseBank: task.phraseBank}),
		record: {kind: 'offline'},
		secrets: [],
		notes,
	});
	if (kind === 'offline') {
		if (flags.baseUrl !== undefined || flags.model !== undefined || flags.timeout !== undefined || flags.retries !== undefined) {
			const given = ['baseUrl', 'model', 'timeout', 'retries'].find(f => flags[f as keyof RunFlags] !== undefined)!.replace('baseUrl', 'base-url');
			throw new UserError('is for an LLM generator, and this run uses the offline one; add --generator openai', {field: `--${given}`});
		}
		return offline();
	}
	if (kind !== 'openai' && kind !== 'textual') throw new UserError(`unknown generator "${kind}"`, {field: 'generator.kind'});
	const apiKey = resolveApiKey(env);
	const setting = (key: 'generator.baseUrl' | 'generator.model') => listSettings().find(s => s.key === key)?.source === 'set';
	const configured = flags.baseUrl ?? recorded?.baseUrl ?? task.generator.baseUrl ?? (setting('generator.baseUrl') ? getSetting('generator.baseUrl') : undefined);
	const baseUrl = configured ?? OPENAI_URL;
	const model = flags.model ?? recorded?.model ?? task.generator.model ?? getSetting('generator.model') ?? 'gpt-4o-mini';
	if (baseUrl === OPENAI_URL && !apiKey) {
		const how = 'set OPENAI_API_KEY, `gmpo config set generator.apiKey KEY`, or point --base-url at a local server';
		if (explicit || recorded !== undefined || flags.baseUrl !== undefined) {
			throw new UserError(`the ${kind} generator needs an API key for ${OPENAI_URL}: ${how}`, {field: '--generator'});
		}
		return offline([`the task asks for the ${kind} generator but no endpoint or API key is configured; using the offline generator (${how})`]);
	}
	// Flags, then the settings (whose defaults are 120 s and 2 retries).
	const timeoutMs = 1000 * (flags.timeout ?? getSetting('generator.timeout')!);
	const retries = flags.retries ?? getSetting('generator.retries')!;
	const options = {baseUrl, model, timeoutMs, retries, ...(apiKey ? {apiKey} : {})};
	// Loaded here, not at the top: the SDK is large and every command is loaded on each start.
	const {createOpenAiChatClient, createOpenAiGenerator} = await import('../generators/openai.js');
	const {createTextualGenerator} = await import('../generators/textual.js');
	const generator =
		kind === 'openai'
			? createOpenAiGenerator(options)
			: createTextualGenerator(createOpenAiChatClient(options), {mode: task.generator.textualMode});
	return {generator, record: {kind, model, baseUrl}, secrets: apiKey ? [apiKey] : [], notes: []};
}
