/**
 * What a command is: a name (one or two words), a usage line for the help text, and a function from the remaining
 * arguments and flags to an exit code.
 */

/** Parsed flags (meow's output). */
export type Flags = Record<string, unknown>;

/** One command. */
export type Command = {
	/** The words that select it, e.g. "judges check". */
	name: string;
	/** One line for the list of commands. */
	usage: string;
	/** Runs it; returns the exit code. */
	run(args: string[], flags: Flags): Promise<number>;
};
