/**
 * A loopback HTTP server speaking just enough of the chat-completions protocol to test the OpenAI client: each
 * request takes the next scripted reply (a content string, an HTTP error, a hang, or a broken reply: cut short, its
 * connection dropped mid-body, a body that trickles and never ends, or one that stops and never ends) and is recorded.
 * Hooks say when a request arrived, when a reply's body has started, and when the client hung up before the end.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';

/** What the server does with one request. */
export type Reply =
	| {content: string}
	| {status: number; body?: string; contentType?: string}
	| {hang: true}
	/** A 200 whose JSON body ends after this many characters. */
	| {truncate: number}
	/** A 200 that announces a full body, sends half, then closes the connection. */
	| {drop: true}
	/** A 200 that sends the start of a body, then one space every few ms, forever. */
	| {trickle: true}
	/** A 200 that sends the start of a body, then nothing, with the connection left open. */
	| {stall: true};

/** A request as received. */
export type Received = {
	/** URL path. */
	path: string;
	/** Request headers. */
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON body. */
	body: {model: string; messages: {role: string; content: string}[]; response_format?: {type: string; json_schema?: {name: string; schema: unknown; strict?: boolean}}};
};

export type ChatServer = {
	/** Base URL including /v1. */
	url: string;
	/** Requests received so far. */
	received: Received[];
	/** Called when a request arrives (after it is recorded). */
	onRequest?: () => void;
	/** Called when a trickling or stalled body has started (its headers and first bytes are written). */
	onBodyStarted?: () => void;
	/** Replies the client hung up on before their end (a deadline passed, a request was aborted). */
	dropped: number;
	/** Called when the client hangs up on a reply before its end. */
	onDropped?: () => void;
	close(): Promise<void>;
};

/** A chat completion reply carrying `content`. */
function completion(content: string): string {
	return JSON.stringify({
		id: 'chatcmpl-test',
		object: 'chat.completion',
		created: 0,
		model: 'test-model',
		choices: [{index: 0, message: {role: 'assistant', content}, finish_reason: 'stop'}],
		usage: {prompt_tokens: 100, completion_tokens: 20, total_tokens: 120},
	});
}

export async function startChatServer(replies: Reply[]): Promise<ChatServer> {
	const queue = [...replies];
	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', chunk => (data += chunk));
		req.on('end', () => {
			state.received.push({path: req.url ?? '', headers: req.headers, body: JSON.parse(data)});
			state.onRequest?.();
			const reply = queue.shift() ?? {status: 500, body: '{"error":{"message":"no scripted reply"}}'};
			res.on('close', () => {
				if (res.writableEnded) return;
				state.dropped++;
				state.onDropped?.();
			});
			if ('hang' in reply) return;
			if ('trickle' in reply || 'stall' in reply) {
				res.writeHead(200, {'content-type': 'application/json'});
				res.write('{"id": "chatcmpl-test",', () => state.onBodyStarted?.());
				if ('stall' in reply) return;
				const timer = setInterval(() => res.write(' '), 5);
				res.on('close', () => clearInterval(timer));
				return;
			}
			if ('truncate' in reply || 'drop' in reply) {
				const full = completion('{"edits": []}');
				if ('truncate' in reply) {
					res.writeHead(200, {'content-type': 'application/json'});
					res.end(full.slice(0, reply.truncate));
				} else {
					res.writeHead(200, {'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full))});
					res.write(full.slice(0, full.length >> 1), () => res.destroy());
				}
				return;
			}
			if ('status' in reply) {
				res.writeHead(reply.status, {'content-type': reply.contentType ?? 'application/json', 'retry-after': '0'});
				res.end(reply.body ?? JSON.stringify({error: {message: `scripted ${reply.status}`, type: 'test'}}));
				return;
			}
			res.writeHead(200, {'content-type': 'application/json'});
			res.end(completion(reply.content));
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	const state: ChatServer = {
		url: `http://127.0.0.1:${port}/v1`,
		received: [],
		dropped: 0,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
	return state;
}

/** A port nothing listens on: bound, then released. */
export async function freePort(): Promise<number> {
	const server = http.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	await new Promise<void>(resolve => server.close(() => resolve()));
	return port;
}
