/**
 * Dispatch of the command line to one command.
 */
export type Flags = Record<string, unknown>;

/** Run the command named by `input`; returns the exit code. */
export async function runCli(input: string[], flags: Flags): Promise<number> {
	void flags;
	console.error(`gmpo: unknown command "${input.join(' ')}"; run gmpo --help for the commands`);
	return 2;
}
