/**
 * A loopback inference server (node:http on 127.0.0.1, port 0) that speaks both engines' protocols, with answers
 * shaped as vLLM's and SGLang's (see source/judges/server-protocols.ts for where the shapes were read), and real
 * log-probabilities computed by a bundled ONNX judge's model. Faults are scripted per scoring request: an HTTP status
 * (with retry-after), a hang, a body that trickles in forever, malformed JSON, a dropped connection.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {greedyFromIds} from '../../source/judges/generate.js';
import {OnnxJudge} from '../../source/judges/onnx-judge.js';
import type {OrtPool} from '../../source/judges/pool.js';
import type {TextTokenizer} from '../../source/judges/tokenizer.js';
import type {Tensor} from '../../source/onnx/ir.js';

/** What the server does instead of answering a scoring request. */
export type Fault =
	| {status: number; retryAfter?: string; body?: string}
	| {hang: true}
	| {trickle: true}
	| {malformed: true}
	| {drop: true};

/** A request as received. */
export type Received = {method: string; path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> | undefined};

/** How the server behaves. */
export type JudgeServerOptions = {
	/** The ONNX judge folder whose model computes the log-probabilities. */
	judgeDir: string;
	/** Its worker pool. */
	pool: OrtPool;
	/** The model name served (default "served-model"). */
	served?: string;
	/** A key the server requires as a Bearer token. */
	apiKey?: string;
	/** A tokenizer used for text (/tokenize and SGLang's text input) instead of the judge's: a server of another model. */
	tokenizer?: TextTokenizer;
	/** Answers completions without prompt log-probabilities, as Ollama and llama.cpp's server do. */
	noPromptLogprobs?: boolean;
	/** Routes no /tokenize, as Ray Serve's OpenAI ingress (the /v1 endpoints only). */
	noTokenize?: boolean;
};

export type JudgeServer = {
	/** Base URL (no /v1). */
	url: string;
	/** Requests received. */
	received: Received[];
	/** Faults for the next scoring requests (/v1/completions with echo, /generate with input_ids), in order. */
	faults: Fault[];
	/** Scoring requests answered normally before the faults apply (say, a judge's check when it opens). */
	pass: number;
	/** The model name served; change it to play a server restarted with another model. */
	served: string;
	/** Sequences whose log-probabilities were computed. */
	sequences: number;
	/** Scoring requests received. */
	scoringRequests(): Received[];
	close(): Promise<void>;
};

/**
 * Log-probability of every token of each sequence given the ones before ([0] is null), and the greedy next token:
 * the judge folder's model.onnx run for its logits at every position, in the judge's pool.
 */
async function forward(judge: OnnxJudge, pool: OrtPool, sequences: number[][]): Promise<{logprobs: (number | null)[]; next: number; nextLogprob: number}[]> {
	const B = sequences.length;
	const T = Math.max(...sequences.map(s => s.length));
	const ids = new BigInt64Array(B * T);
	const mask = new BigInt64Array(B * T);
	const positions = new BigInt64Array(B * T);
	sequences.forEach((s, b) => {
		for (let t = 0; t < T; t++) {
			positions[b * T + t] = BigInt(t);
			if (t < s.length) {
				ids[b * T + t] = BigInt(s[t]!);
				mask[b * T + t] = 1n;
			}
		}
	});
	const info = judge.graphInfo;
	const feeds: Record<string, Tensor> = {input_ids: {dtype: 'int64', dims: [B, T], data: ids}, attention_mask: {dtype: 'int64', dims: [B, T], data: mask}};
	if (info.hasPositionIds) feeds.position_ids = {dtype: 'int64', dims: [B, T], data: positions};
	for (const p of info.pastInputs) feeds[p.name] = {dtype: p.dtype, dims: [B, p.heads, 0, p.headDim], data: new Float32Array(0)};
	const logits = (await pool.run({key: `loopback-server-${judge.folder.modelPath}`, modelPath: judge.folder.modelPath, feeds, outputs: ['logits']})).logits!;
	const V = logits.dims[2]!;
	const data = logits.data as Float32Array;
	// log_softmax of the logits at position t, read at token `id` (float64 arithmetic on the float32 logits).
	const logSoftmax = (b: number, t: number, id: number) => {
		const at = (b * T + t) * V;
		let max = -Infinity;
		for (let v = 0; v < V; v++) max = Math.max(max, data[at + v]!);
		let sum = 0;
		for (let v = 0; v < V; v++) sum += Math.exp(data[at + v]! - max);
		return data[at + id]! - max - Math.log(sum);
	};
	return sequences.map((s, b) => {
		const last = (b * T + s.length - 1) * V;
		let next = 0;
		for (let v = 1; v < V; v++) if (data[last + v]! > data[last + next]!) next = v;
		return {logprobs: s.map((id, t) => (t === 0 ? null : logSoftmax(b, t - 1, id))), next, nextLogprob: logSoftmax(b, s.length - 1, next)};
	});
}

/** Starts the server. */
export async function startJudgeServer(options: JudgeServerOptions): Promise<JudgeServer> {
	const judge = await OnnxJudge.open(options.judgeDir, {pool: options.pool});
	const tokenizer = options.tokenizer ?? judge.folder.tokenizer;
	const timers = new Set<NodeJS.Timeout>();
	const send = (res: http.ServerResponse, status: number, body: unknown) => {
		res.writeHead(status, {'content-type': 'application/json'});
		res.end(JSON.stringify(body));
	};
	// vLLM's error body (flat, as its OpenAI server answers); SGLang's is the same shape.
	const error = (res: http.ServerResponse, status: number, message: string, type: string) => send(res, status, {object: 'error', message, type, param: null, code: status});

	const faulty = (res: http.ServerResponse): boolean => {
		if (state.faults.length > 0 && state.pass > 0) {
			state.pass--;
			return false;
		}
		const fault = state.faults.shift();
		if (!fault) return false;
		if ('hang' in fault) return true;
		if ('drop' in fault) {
			res.socket?.destroy();
			return true;
		}
		if ('malformed' in fault) {
			res.writeHead(200, {'content-type': 'application/json'});
			res.end('{"choices": [ {"index": 0, "logprobs"');
			return true;
		}
		if ('trickle' in fault) {
			res.writeHead(200, {'content-type': 'application/json'});
			res.write('{');
			const timer = setInterval(() => res.write(' '), 5);
			timers.add(timer);
			res.on('close', () => (clearInterval(timer), timers.delete(timer)));
			return true;
		}
		res.writeHead(fault.status, {'content-type': 'application/json', ...(fault.retryAfter === undefined ? {} : {'retry-after': fault.retryAfter})});
		res.end(fault.body ?? JSON.stringify({object: 'error', message: `scripted ${fault.status}`, type: 'ServiceUnavailableError', param: null, code: fault.status}));
		return true;
	};

	const completions = async (res: http.ServerResponse, body: Record<string, unknown>) => {
		if (body.model !== state.served) return error(res, 404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError');
		// A text prompt (the tokenizer probe behind an ingress without /tokenize) is tokenised as vLLM does, with special tokens.
		const prompts = typeof body.prompt === 'string' ? [(await tokenizer.encode(body.prompt, {addSpecialTokens: true})).ids] : (body.prompt as number[][]);
		if (body.echo === true) {
			if (typeof body.prompt !== 'string' && faulty(res)) return;
			state.sequences += prompts.length;
			const outputs = await forward(judge, options.pool, prompts);
			const asIds = body.return_tokens_as_token_ids === true;
			const choices = prompts.map((ids, index) => {
				const {logprobs, next, nextLogprob} = outputs[index]!;
				const all = [...ids, next];
				// The prompt tokens' log-probabilities, then the one generated token's (max_tokens 1).
				const tokenLogprobs = [...logprobs, nextLogprob];
				const tokens = all.map(id => (asIds ? `token_id:${id}` : (tokenizer.tokenString(id) ?? '')));
				return {
					index,
					text: '',
					logprobs: options.noPromptLogprobs
						? null
						: {
								text_offset: all.map((_, i) => i),
								token_logprobs: tokenLogprobs,
								tokens,
								top_logprobs: tokenLogprobs.map((lp, i) => (lp === null ? null : {[tokens[i]!]: lp})),
							},
					finish_reason: 'length',
					stop_reason: null,
					prompt_logprobs: null,
				};
			});
			return send(res, 200, {id: 'cmpl-test', object: 'text_completion', created: 0, model: state.served, choices, usage: {prompt_tokens: 0, completion_tokens: prompts.length, total_tokens: 0}});
		}
		const stops = (body.stop_token_ids as number[] | undefined) ?? [];
		const generated = await greedyFromIds(judge, prompts, Number(body.max_tokens ?? 16), stops);
		const choices = await Promise.all(generated.map(async (ids, index) => ({index, text: await tokenizer.decode(ids, {skipSpecialTokens: true}), logprobs: null, finish_reason: 'stop', stop_reason: null})));
		send(res, 200, {id: 'cmpl-test', object: 'text_completion', created: 0, model: state.served, choices, usage: {prompt_tokens: 0, completion_tokens: 0, total_tokens: 0}});
	};

	const generate = async (res: http.ServerResponse, body: Record<string, unknown>) => {
		const sampling = (body.sampling_params ?? {}) as {max_new_tokens?: number; stop_token_ids?: number[]};
		const single = typeof body.text === 'string';
		const inputs = single ? [(await tokenizer.encode(body.text as string, {addSpecialTokens: true})).ids] : (body.input_ids as number[][]);
		if (!single && body.return_logprob === true && faulty(res)) return;
		const meta = (ids: number[], logprobs: (number | null)[] | undefined, output: number[]) => ({
			id: 'req-test',
			finish_reason: {type: 'length', length: output.length},
			prompt_tokens: ids.length,
			completion_tokens: output.length,
			cached_tokens: 0,
			...(logprobs && !options.noPromptLogprobs ? {input_token_logprobs: ids.map((id, t) => [logprobs[t], id, null]), output_token_logprobs: []} : {}),
		});
		let results;
		if (body.return_logprob === true) {
			state.sequences += inputs.length;
			const outputs = await forward(judge, options.pool, inputs);
			results = inputs.map((ids, i) => ({text: '', output_ids: [], meta_info: meta(ids, outputs[i]!.logprobs, [])}));
		} else {
			const generated = await greedyFromIds(judge, inputs, sampling.max_new_tokens ?? 128, sampling.stop_token_ids ?? []);
			results = await Promise.all(inputs.map(async (ids, i) => ({text: await tokenizer.decode(generated[i]!, {skipSpecialTokens: true}), output_ids: generated[i], meta_info: meta(ids, undefined, generated[i]!)})));
		}
		send(res, 200, single ? results[0] : results);
	};

	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', chunk => (data += chunk));
		req.on('end', () => {
			const body = data ? (JSON.parse(data) as Record<string, unknown>) : undefined;
			const route = `${req.method} ${req.url}`;
			state.received.push({method: req.method ?? '', path: req.url ?? '', headers: req.headers, body});
			if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return send(res, 401, {error: 'Unauthorized'});
			const work = async () => {
				if (route === 'GET /v1/models') {
					const card = {id: state.served, object: 'model', created: 0, owned_by: 'vllm', root: state.served, parent: null, max_model_len: judge.info.contextLength, permission: []};
					return send(res, 200, {object: 'list', data: [card]});
				}
				if (route === 'POST /tokenize' && !options.noTokenize) {
					const tokens = (await tokenizer.encode(String(body!.prompt), {addSpecialTokens: body!.add_special_tokens !== false})).ids;
					return send(res, 200, {count: tokens.length, max_model_len: judge.info.contextLength, tokens, token_strs: null});
				}
				if (route === 'POST /v1/completions') return completions(res, body!);
				if (route === 'POST /generate') return generate(res, body!);
				return send(res, 404, {detail: 'Not Found'});
			};
			work().catch(e => error(res, 500, String(e), 'InternalServerError'));
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	const state: JudgeServer = {
		url: `http://127.0.0.1:${port}`,
		received: [],
		faults: [],
		pass: 0,
		served: options.served ?? 'served-model',
		sequences: 0,
		scoringRequests: () => state.received.filter(r => (r.path === '/v1/completions' && r.body?.echo === true && typeof r.body.prompt !== 'string') || (r.path === '/generate' && r.body?.return_logprob === true && r.body?.input_ids !== undefined)),
		close: async () => {
			for (const timer of timers) clearInterval(timer);
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
	return state;
}
