/**
 * The two engines' requests and answers, for what a judge needs: the log-probabilities of given prompt tokens
 * (teacher forcing), the server's tokenisation of a text (to check it agrees with the local tokenizer), the served
 * models, and greedy continuations. Token ids go out, never text, so every scored position is the one gmpo means;
 * every answer is checked for shape and for echoing the ids sent, and a mismatch is one line naming the engine.
 *
 * vLLM (OpenAI-compatible server; read in vllm/entrypoints/openai/completion/serving.py,
 * request_output_to_completion_response and _create_completion_logprobs): POST /v1/completions with `prompt` a list
 * of token-id lists, `echo: true`, `logprobs: 1` and `max_tokens: 1` gives one choice per prompt (`index` in prompt
 * order) whose `logprobs.token_logprobs` holds the prompt tokens' log-probabilities (the first null), then the one
 * generated token's; `return_tokens_as_token_ids` makes `logprobs.tokens` read "token_id:<id>", which lets the
 * echo be checked id by id. POST /tokenize {model, prompt, add_special_tokens} answers {count, max_model_len,
 * tokens}; where it is not routed (Ray Serve's ingress), the same echo with the text as prompt names the server's ids.
 * GET /v1/models answers {data: [{id, max_model_len}]}.
 *
 * SGLang (docs/basic_usage/sampling_params.md and native_api of sgl-project/sglang): POST /generate with
 * `input_ids` a list of id lists, `return_logprob: true`, `logprob_start_len: 0` and
 * `sampling_params.max_new_tokens: 0` answers one object per sequence whose `meta_info.input_token_logprobs` is a
 * list of [logprob, token_id, text] triples from position 0 (the first logprob null). Logprobs are asked from
 * position 0, not from the first target token: the answer then covers every id sent and is checked against them,
 * whatever an engine version makes of a later start. The tokenisation probe sends `text` to the same endpoint.
 */
import type {ServerEngine} from './server-config.js';
import type {ServerClient} from './server-http.js';

/** What a judge asks of an engine. */
export type EngineProtocol = {
	/** Log-probability of every token of each sequence given the tokens before it; [0] is NaN (nothing before it). */
	promptLogprobs(client: ServerClient, model: string, sequences: readonly (readonly number[])[], signal?: AbortSignal): Promise<number[][]>;
	/** The server's ids for `text`, with the special tokens its tokenizer adds by default. */
	tokenize(client: ServerClient, model: string, text: string, signal?: AbortSignal): Promise<number[]>;
	/** Greedy continuation of each sequence (at most maxTokens tokens, stopping at stopIds), as text. */
	generate(client: ServerClient, model: string, prompts: readonly (readonly number[])[], maxTokens: number, stopIds: readonly number[], signal?: AbortSignal): Promise<string[]>;
	/** The models the server serves, with the context length when it says. */
	models(client: ServerClient, signal?: AbortSignal): Promise<{id: string; maxModelLen?: number}[]>;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fails with one line saying what the answer lacked. */
function bad(client: ServerClient, engine: string, route: string, what: string): never {
	throw client.fail(`the answer to ${route} is not what ${engine} sends: ${what}; is "engine" in judge.json right?`);
}

/** Checks one sequence's log-probabilities (index-aligned with `ids`, echoed ids when given) and returns them. */
function aligned(
	client: ServerClient,
	engine: string,
	route: string,
	ids: readonly number[],
	values: readonly unknown[],
	echoed: readonly (number | undefined)[],
): number[] {
	if (values.length < ids.length) {
		bad(client, engine, route, `${values.length} prompt log-probabilities for ${ids.length} tokens (no prompt log-probabilities?)`);
	}
	return ids.map((id, t) => {
		if (echoed[t] !== undefined && echoed[t] !== id) bad(client, engine, route, `token ${t} echoed as id ${echoed[t]}, sent as ${id}`);
		if (t === 0) return Number.NaN;
		const value = values[t];
		if (typeof value !== 'number' || !Number.isFinite(value) || value > 1e-6) {
			bad(client, engine, route, `the log-probability of prompt token ${t} is ${JSON.stringify(value)}`);
		}
		return value;
	});
}

const models = async (client: ServerClient, signal?: AbortSignal) => {
	const body = await client.get('/v1/models', signal);
	const data = isObject(body) && Array.isArray(body.data) ? body.data : bad(client, 'an OpenAI-compatible server', 'GET /v1/models', 'no "data" list');
	return data.filter(isObject).flatMap(m =>
		typeof m.id === 'string' ? [{id: m.id, ...(typeof m.max_model_len === 'number' ? {maxModelLen: m.max_model_len} : {})}] : [],
	);
};

/**
 * The server's ids for a text from an echoed completion, where /tokenize is not routed (Ray Serve's OpenAI ingress
 * serves the /v1 endpoints only): the text goes out as text, the echo names every prompt token by id.
 */
async function echoProbe(client: ServerClient, model: string, text: string, signal?: AbortSignal): Promise<number[]> {
	const route = 'POST /v1/completions';
	const body = await client.post('/v1/completions', {model, prompt: text, echo: true, logprobs: 1, max_tokens: 1, temperature: 0, return_tokens_as_token_ids: true}, signal);
	const choice = isObject(body) && Array.isArray(body.choices) && isObject(body.choices[0]) ? body.choices[0] : bad(client, 'vLLM', route, 'no "choices" list');
	const tokens = isObject(choice.logprobs) && Array.isArray(choice.logprobs.tokens) ? choice.logprobs.tokens : bad(client, 'vLLM', route, 'no logprobs.tokens');
	// The last token is the one generated (max_tokens 1).
	const ids = tokens.slice(0, -1).map(t => (typeof t === 'string' && /^token_id:\d+$/.test(t) ? Number(t.slice(9)) : undefined));
	if (ids.includes(undefined)) bad(client, 'vLLM', route, 'no /tokenize, and the echoed tokens are not "token_id:<id>" (a vLLM older than return_tokens_as_token_ids)');
	return ids as number[];
}

const vllm: EngineProtocol = {
	async promptLogprobs(client, model, sequences, signal) {
		const route = 'POST /v1/completions';
		const body = await client.post(
			'/v1/completions',
			// max_tokens 1, not 0: every vLLM version accepts it with echo (0 only echoes on newer ones).
			{model, prompt: sequences, echo: true, logprobs: 1, max_tokens: 1, temperature: 0, return_tokens_as_token_ids: true},
			signal,
		);
		const choices = isObject(body) && Array.isArray(body.choices) ? body.choices.filter(isObject) : bad(client, 'vLLM', route, 'no "choices" list');
		if (choices.length !== sequences.length) bad(client, 'vLLM', route, `${choices.length} choices for ${sequences.length} prompts`);
		const byIndex = [...choices].sort((a, b) => Number(a.index) - Number(b.index));
		return sequences.map((ids, i) => {
			const logprobs = byIndex[i]!.logprobs;
			if (!isObject(logprobs) || !Array.isArray(logprobs.token_logprobs)) {
				bad(client, 'vLLM', route, 'no logprobs.token_logprobs (an engine that does not echo prompt log-probabilities: llama.cpp, Ollama and OpenAI cannot)');
			}
			const tokens = Array.isArray(logprobs.tokens) ? logprobs.tokens : [];
			const echoed = tokens.map(t => (typeof t === 'string' && /^token_id:\d+$/.test(t) ? Number(t.slice(9)) : undefined));
			return aligned(client, 'vLLM', route, ids, logprobs.token_logprobs, echoed);
		});
	},
	async tokenize(client, model, text, signal) {
		const body = await client.post('/tokenize', {model, prompt: text, add_special_tokens: true}, signal, {missingOk: true});
		if (body === undefined) return echoProbe(client, model, text, signal);
		if (!isObject(body) || !Array.isArray(body.tokens) || !body.tokens.every(Number.isInteger)) bad(client, 'vLLM', 'POST /tokenize', 'no "tokens" list of ids');
		return body.tokens as number[];
	},
	async generate(client, model, prompts, maxTokens, stopIds, signal) {
		const body = await client.post('/v1/completions', {model, prompt: prompts, max_tokens: maxTokens, temperature: 0, stop_token_ids: stopIds}, signal);
		const choices = isObject(body) && Array.isArray(body.choices) ? body.choices.filter(isObject) : bad(client, 'vLLM', 'POST /v1/completions', 'no "choices" list');
		if (choices.length !== prompts.length) bad(client, 'vLLM', 'POST /v1/completions', `${choices.length} choices for ${prompts.length} prompts`);
		return [...choices].sort((a, b) => Number(a.index) - Number(b.index)).map(c => (typeof c.text === 'string' ? c.text : ''));
	},
	models,
};

/** SGLang answers a batch with a list, a single input with one object. */
function sglangResults(client: ServerClient, body: unknown, count: number): Record<string, unknown>[] {
	const list = Array.isArray(body) ? body : [body];
	if (list.length !== count || !list.every(isObject)) bad(client, 'SGLang', 'POST /generate', `${list.length} results for ${count} inputs`);
	return list as Record<string, unknown>[];
}

/** The [logprob, id, text] triples of one SGLang result. */
function inputTriples(client: ServerClient, result: Record<string, unknown>): unknown[][] {
	const triples = isObject(result.meta_info) ? result.meta_info.input_token_logprobs : undefined;
	if (!Array.isArray(triples) || !triples.every(Array.isArray)) bad(client, 'SGLang', 'POST /generate', 'no meta_info.input_token_logprobs');
	return triples as unknown[][];
}

const sglang: EngineProtocol = {
	async promptLogprobs(client, _model, sequences, signal) {
		const request = {input_ids: sequences, sampling_params: {max_new_tokens: 0, temperature: 0}, return_logprob: true, logprob_start_len: 0};
		const results = sglangResults(client, await client.post('/generate', request, signal), sequences.length);
		return sequences.map((ids, i) => {
			const triples = inputTriples(client, results[i]!);
			const echoed = triples.map(t => (Number.isInteger(t[1]) ? (t[1] as number) : undefined));
			return aligned(client, 'SGLang', 'POST /generate', ids, triples.map(t => t[0]), echoed);
		});
	},
	async tokenize(client, _model, text, signal) {
		const request = {text, sampling_params: {max_new_tokens: 0, temperature: 0}, return_logprob: true, logprob_start_len: 0};
		const [result] = sglangResults(client, await client.post('/generate', request, signal), 1);
		const ids = inputTriples(client, result!).map(t => t[1]);
		if (!ids.every(Number.isInteger)) bad(client, 'SGLang', 'POST /generate', 'token ids missing from meta_info.input_token_logprobs');
		return ids as number[];
	},
	async generate(client, _model, prompts, maxTokens, stopIds, signal) {
		const request = {input_ids: prompts, sampling_params: {max_new_tokens: maxTokens, temperature: 0, stop_token_ids: stopIds}};
		return sglangResults(client, await client.post('/generate', request, signal), prompts.length).map(r => (typeof r.text === 'string' ? r.text : ''));
	},
	models,
};

/** The protocol of an engine. */
export function engineProtocol(engine: ServerEngine): EngineProtocol {
	return engine === 'vllm' ? vllm : sglang;
}
