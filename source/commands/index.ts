/**
 * Dispatch of the command line to one command. Each command lives in its own file and is listed in COMMANDS;
 * user mistakes (UserError) become one line on stderr and exit code 2, anything else is a bug and keeps its stack.
 */
import {isUserError} from '../errors.js';
import type {Command, Flags} from './types.js';

const COMMANDS: (() => Promise<Command>)[] = [];

/** Add a command (each command file registers itself from commands/all.ts). */
export function registerCommand(load: () => Promise<Command>): void {
	COMMANDS.push(load);
}

/** Run the command named by `input`; returns the exit code. */
export async function runCli(input: string[], flags: Flags): Promise<number> {
	const commands = await Promise.all(COMMANDS.map(load => load()));
	// The longest matching name wins ("judges check" before "judges").
	const match = commands
		.filter(c => c.name.split(' ').every((word, i) => input[i] === word))
		.sort((a, b) => b.name.length - a.name.length)[0];
	if (!match) {
		const known = commands.map(c => `  ${c.usage}`).join('\n');
		const what = input.length > 0 ? `unknown command "${input.join(' ')}"` : 'no command given';
		process.stderr.write(`gmpo: ${what}; the commands are:\n${known}\n`);
		return 2;
	}
	try {
		return await match.run(input.slice(match.name.split(' ').length), flags);
	} catch (error) {
		if (isUserError(error)) {
			process.stderr.write(`gmpo: ${error.line}\n`);
			return 2;
		}
		throw error;
	}
}
