/**
 * A stand-in inference server for `npm run bench -- server`, run as its own process so that the bench process's CPU
 * time is the client's alone. It answers vLLM's /v1/completions (echo) and SGLang's /generate (input_ids) with
 * correctly shaped prompt log-probabilities (-1 for every token) after a fixed service time per request (argv[2], ms),
 * as a GPU server with room for every request in its batch would: latency without a compute bound. Prints its port.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';

const serviceMs = Number(process.argv[2] ?? 0);

const server = http.createServer((req, res) => {
	let data = '';
	req.on('data', chunk => (data += chunk));
	req.on('end', () => {
		const body = (data ? JSON.parse(data) : {}) as {prompt?: number[][]; input_ids?: number[][]};
		let answer: unknown;
		if (req.url === '/v1/completions') {
			const choices = body.prompt!.map((ids, index) => {
				const all = [...ids, 0];
				const logprobs = all.map((_, t) => (t === 0 ? null : -1));
				const tokens = all.map(id => `token_id:${id}`);
				return {index, text: '', logprobs: {text_offset: all.map((_, i) => i), token_logprobs: logprobs, tokens, top_logprobs: logprobs.map((lp, i) => (lp === null ? null : {[tokens[i]!]: lp}))}, finish_reason: 'length', stop_reason: null};
			});
			answer = {id: 'cmpl-fake', object: 'text_completion', created: 0, model: 'fake', choices, usage: {prompt_tokens: 0, completion_tokens: 0, total_tokens: 0}};
		} else if (req.url === '/generate') {
			answer = body.input_ids!.map(ids => ({text: '', meta_info: {input_token_logprobs: ids.map((id, t) => [t === 0 ? null : -1, id, null]), output_token_logprobs: []}}));
		} else {
			answer = {object: 'list', data: [{id: 'fake', object: 'model'}]};
		}
		setTimeout(() => {
			res.writeHead(200, {'content-type': 'application/json'});
			res.end(JSON.stringify(answer));
		}, serviceMs);
	});
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('disconnect', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
