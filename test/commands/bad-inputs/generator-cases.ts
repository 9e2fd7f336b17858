/**
 * Bad generator replies, from the loopback OpenAI-compatible server of the generator tests: client and server errors,
 * an HTML page, a 200 that is not a chat completion, garbage or truncated JSON, a dropped connection, a body that
 * trickles forever and a server that never answers (each cut off by its --timeout, the only bound), nothing
 * listening. Each runs `gmpo optimize <task> --auto --generator openai|textual` with fake judges: the run stops in one
 * line naming the endpoint (after its progress notes), and leaves no session.
 */
import {startChatServer, type ChatServer, type Reply} from '../../generators/chat-server.js';
import type {Case} from './harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The cases and the servers they talk to (close them after the run). */
export async function generatorCases(task: string, closedPort: number): Promise<{cases: Case[]; servers: ChatServer[]}> {
	const cases: Case[] = [];
	const servers: ChatServer[] = [];
	const add = async (name: string, replies: Reply[], flags: string[], line: (url: string) => string | RegExp, kind = 'openai') => {
		const server = await startChatServer(replies);
		servers.push(server);
		const expected = line(server.url);
		cases.push({
			name: `generator: ${name}`,
			argv: ['optimize', task, '--auto', '--generator', kind, '--base-url', server.url, '--model', 'm', ...(flags.includes('--retries') ? [] : ['--retries', '0']), ...flags],
			line: typeof expected === 'string' ? new RegExp(`^${escape(expected)}$`) : expected,
			alone: false,
		});
	};
	const at = (url: string) => `generator.baseUrl: the generator at ${url}`;
	const page = (title: string) => `<!DOCTYPE html><html><head><title>${title}</title></head><body>${'<p>x</p>'.repeat(200)}</body></html>`;

	await add('400', [{status: 400}], [], url => `${at(url)} answered HTTP 400: scripted 400`);
	await add('401', [{status: 401}], [], url => `${at(url)} refused the API key (401); set OPENAI_API_KEY or \`gmpo config set generator.apiKey\``);
	await add('404', [{status: 404}], [], url => `generator.model: the generator at ${url} has no model "m" or no chat endpoint (HTTP 404: scripted 404)`);
	await add('500 on every retry', [{status: 500}, {status: 500}], ['--retries', '1'], url => `${at(url)} answered HTTP 500: scripted 500 (2 attempts)`);
	await add('429', [{status: 429}], [], url => `${at(url)} answered HTTP 429: scripted 429`);
	await add('501 HTML page', [{status: 501, body: page('501 Not Implemented'), contentType: 'text/html'}], [], url => `${at(url)} answered HTTP 501: 501 Not Implemented`);
	await add('502 from a proxy', [{status: 502, body: page('Bad Gateway'), contentType: 'text/html'}], [], url => `${at(url)} answered HTTP 502: Bad Gateway`);
	await add('a 200 HTML page (a login portal)', [{status: 200, body: page('Sign in'), contentType: 'text/html'}], [], url => `${at(url)} answered, but not with a chat completion: Sign in; is it an OpenAI-compatible endpoint?`);
	await add('a 200 that is not a completion', [{status: 200, body: '{"hello": "world"}'}], [], url => `${at(url)} answered, but not with a chat completion: {"hello":"world"}; is it an OpenAI-compatible endpoint?`);
	await add('empty content twice', [{content: ''}, {content: ''}], [], () => /^generator: the generator model m returned malformed edits twice: .+$/);
	await add('prose instead of JSON twice', [{content: 'Sure! Here you go.'}, {content: 'I cannot help.'}], [], () => /^generator: the generator model m returned malformed edits twice: the reply is not JSON.*$/);
	await add('edits of unknown segments twice', [{content: '{"edits": [{"segment": "s99", "op": "delete", "text": "", "rationale": ""}]}'}, {content: '{"edits": [{"segment": "s99", "op": "delete", "text": "", "rationale": ""}]}'}], [], () => /^generator: the generator model m returned malformed edits twice: .*s99.*$/);
	await add('truncated JSON body', [{truncate: 30}, {truncate: 30}], ['--retries', '1'], url => `${at(url)} failed: the reply was cut off (not complete JSON) (2 attempts)`);
	await add('connection dropped mid-body', [{drop: true}], [], url => new RegExp(`^${escape(at(url))} failed: the connection dropped mid-reply.*$`));
	await add('a body that trickles forever', [{trickle: true}], ['--timeout', '0.5'], url => `${at(url)} sent no complete reply within 0.5 s; raise --timeout (or \`gmpo config set generator.timeout\`) for a slow server`);
	await add('a server that never answers', [{hang: true}], ['--timeout', '0.5'], url => `${at(url)} sent no complete reply within 0.5 s; raise --timeout (or \`gmpo config set generator.timeout\`) for a slow server`);
	await add('textual: 400 on the critique', [{status: 400}], [], url => `${at(url)} answered HTTP 400: scripted 400`, 'textual');
	await add('textual: a critique that never comes', [{hang: true}], ['--timeout', '0.5'], url => `${at(url)} sent no complete reply within 0.5 s; raise --timeout (or \`gmpo config set generator.timeout\`) for a slow server`, 'textual');
	const closed = `http://127.0.0.1:${closedPort}/v1`;
	cases.push({
		name: 'generator: nothing listening',
		argv: ['optimize', task, '--auto', '--generator', 'openai', '--base-url', closed, '--model', 'm'],
		line: new RegExp(`^generator\\.baseUrl: cannot reach the generator at ${escape(closed)} \\(ECONNREFUSED\\)$`),
		alone: false,
	});
	return {cases, servers};
}
