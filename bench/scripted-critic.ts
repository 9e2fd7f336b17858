/**
 * A loopback OpenAI-compatible chat server whose "model" is a script: it answers the textual-gradient generator's
 * three stages (source/generators/textual.ts) without any language model, so the modes SSS, SSC, SCC and CCC can run
 * through the real client, the real prompts and the judges. What it writes is fixed by rules:
 *
 * - evaluation ("You evaluate a prompt"): one sentence naming the objective it was asked about, if any;
 * - critique ("You criticise a prompt"): for each segment to examine, "change it towards <objective>" (or "towards
 *   every objective" for a combined critique);
 * - rewrite (the edit request): N edits over the target segments, in turn a replacement by a phrase of the objective
 *   the critique names (a combined critique names them all, so its phrases alternate between objectives), and every
 *   third edit a deletion.
 *
 * So a per-objective rewrite proposes edits for its objective only and a combined one mixes them: the decomposition
 * is real, the judgement behind each edit is not.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';

/** A running server. */
export type ScriptedCritic = {
	/** Base URL including /v1. */
	url: string;
	/** Requests answered, by stage. */
	calls: {evaluation: number; critique: number; rewrite: number};
	close(): Promise<void>;
};

type Message = {role: string; content: string};

/** The reply to one chat request. */
export function scriptedReply(messages: readonly Message[], phrases: Readonly<Record<string, readonly string[]>>, counter: {n: number}): {stage: keyof ScriptedCritic['calls']; content: string} {
	const system = messages.find(m => m.role === 'system')?.content ?? '';
	const user = messages.filter(m => m.role === 'user').map(m => m.content).join('\n');
	const objectives = Object.keys(phrases);
	if (system.startsWith('You evaluate a prompt')) {
		const only = /Evaluate only the objective (\S+?)[\s.(]/.exec(user)?.[1];
		return {stage: 'evaluation', content: `The outputs fall short of the references${only ? ` for ${only}` : ''}.`};
	}
	if (system.startsWith('You criticise a prompt')) {
		const targets = /Segments to examine: ([^.]+)\./.exec(user)?.[1]?.split(/,\s*/) ?? [];
		const serve = /to serve (\S+?)\./.exec(user)?.[1];
		return {stage: 'critique', content: targets.map(t => `${t}: change it towards ${serve ?? 'every objective'}.`).join('\n')};
	}
	const instruction = /Propose exactly (\d+) different edits, editing only segments ([^.]+)\./.exec(user);
	const count = Number(instruction?.[1] ?? 1);
	const targets = instruction?.[2]?.split(/,\s*/) ?? [];
	const named = objectives.filter(o => new RegExp(`towards ${o}\\b`).test(user));
	const pool = named.length > 0 ? named : objectives;
	const edits = Array.from({length: count}, (_, i) => {
		const segment = targets[i % Math.max(1, targets.length)]!;
		if (i % 3 === 2) return {segment, op: 'delete', text: '', rationale: 'scripted: remove it'};
		const objective = pool[(counter.n + i) % pool.length]!;
		const bank = phrases[objective]!;
		return {segment, op: 'replace', text: bank[(counter.n + Math.floor(i / pool.length)) % bank.length]!, rationale: `scripted: towards ${objective}`};
	});
	counter.n++;
	return {stage: 'rewrite', content: JSON.stringify({edits})};
}

/** Starts the server on 127.0.0.1 with the per-objective phrases the rewrites draw from. */
export async function startScriptedCritic(phrases: Readonly<Record<string, readonly string[]>>): Promise<ScriptedCritic> {
	const calls = {evaluation: 0, critique: 0, rewrite: 0};
	const counter = {n: 0};
	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', chunk => (data += chunk));
		req.on('end', () => {
			const body = JSON.parse(data) as {messages: Message[]};
			const reply = scriptedReply(body.messages, phrases, counter);
			calls[reply.stage]++;
			res.writeHead(200, {'content-type': 'application/json'});
			res.end(
				JSON.stringify({
					id: 'chatcmpl-scripted',
					object: 'chat.completion',
					created: 0,
					model: 'scripted-critic',
					choices: [{index: 0, message: {role: 'assistant', content: reply.content}, finish_reason: 'stop'}],
					usage: {prompt_tokens: Math.ceil(data.length / 4), completion_tokens: Math.ceil(reply.content.length / 4), total_tokens: Math.ceil((data.length + reply.content.length) / 4)},
				}),
			);
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		calls,
		close: () => new Promise<void>(resolve => server.close(() => resolve())),
	};
}
