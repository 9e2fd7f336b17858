/**
 * Dispatch of the command line to one command. Each command lives in its own file and is listed in COMMANDS;
 * user mistakes (UserError) become one line on stderr and exit code 2, anything else is a bug and keeps its stack.
 */
import {isUserError} from '../errors.js';
import type {Command, Flags} from './types.js';

const COMMANDS: {name: string; load: () => Promise<Command>}[] = [];

/**
 * Add a command under its name (commands/all.ts lists them). Only the command that runs is loaded, so a start
 * does not pay for every command's dependencies (onnxruntime, the OpenAI SDK, Ink).
 */
export function registerCommand(name: string, load: () => Promise<Command>): void {
	COMMANDS.push({name, load});
}

/** Run the command named by `input`; returns the exit code. */
export async function runCli(input: string[], flags: Flags): Promise<number> {
	// The longest matching name wins ("judges check" before "judges"); "" matches no arguments at all.
	const entry = COMMANDS.filter(c => (c.name === '' ? input.length === 0 : c.name.split(' ').every((word, i) => input[i] === word))).sort(
		(a, b) => b.name.length - a.name.length,
	)[0];
	const match = entry ? await entry.load() : undefined;
	if (!match) {
		const commands = await Promise.all(COMMANDS.map(c => c.load()));
		const known = commands.map(c => `  ${c.usage}`).join('\n');
		const what = input.length > 0 ? `unknown command "${input.join(' ')}"` : 'no command given';
		process.stderr.write(`gmpo: ${what}; the commands are:\n${known}\n`);
		return 2;
	}
	try {
		return await match.run(input.slice(entry!.name === '' ? 0 : entry!.name.split(' ').length), flags);
	} catch (error) {
		if (isUserError(error)) {
			process.stderr.write(`gmpo: ${error.line}\n`);
			return 2;
		}
		throw error;
	}
}
