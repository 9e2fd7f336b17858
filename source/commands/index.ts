/**
 * From the command line to one command. meow parses it, with every flag of every command declared and nothing
 * fatal (no exit, no throw); then, from the command's spec (commands/all.ts), a flag the command does not take, a
 * flag given twice, or a wrong number of arguments is refused with one line naming the flag or the argument, and
 * `--help` / `gmpo help` print help made from the same specs. User mistakes (UserError) become one line on stderr
 * (and, with --json, a JSON error object on stdout) and exit code 2; anything else is a bug and keeps its stack.
 */
import leven from 'leven';
import meow from 'meow';
import {isUserError, UserError} from '../errors.js';
import {ioError} from '../fs-errors.js';
import {commandHelp, generalHelp, globalFlags, groupHelp, usageLine} from './help.js';
import type {Command, CommandDeps, CommandSpec, Flags, Output} from './types.js';

/** How a command is loaded: with the outside world it is to use (the production one for what is not given). */
type Loader = (deps?: Partial<CommandDeps>) => Promise<Command>;

type Entry = {spec: CommandSpec; load: Loader};

const COMMANDS: Entry[] = [];

/** Adds a command (commands/all.ts lists them); its code is loaded only when it runs. */
export function registerCommand(spec: CommandSpec, load: Loader): void {
	if (COMMANDS.some(c => c.spec.name === spec.name)) throw new Error(`command "${spec.name}" is registered twice`);
	COMMANDS.push({spec, load});
}

/** The specs of every registered command, in registration order. */
export function commandSpecs(): CommandSpec[] {
	return COMMANDS.map(c => c.spec);
}

/** Where the dispatcher writes. */
export type Io = {
	/** Results, help, and the JSON error object under --json. */
	stdout: Output;
	/** The error line. */
	stderr: Output;
};

/** "max-tokens" -> "maxTokens" (meow's keys). */
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** "maxTokens" -> "--max-tokens", "r" -> "-r": a flag as the user typed it. */
const typed = (key: string) => (key.length === 1 ? `-${key}` : `--${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`);

/** Every flag of every command with its type, for meow. A name must mean the same kind of flag everywhere. */
function meowFlags(specs: readonly CommandSpec[]) {
	const types = new Map<string, 'boolean' | 'string'>();
	for (const flag of [...globalFlags, ...specs.flatMap(s => s.flags)]) {
		const key = camel(flag.name);
		if (types.has(key) && types.get(key) !== flag.type) throw new Error(`flag --${flag.name} is a ${flag.type} in one command and not in another`);
		types.set(key, flag.type);
	}
	// isMultiple everywhere: a repeated flag becomes a list we refuse with one line, instead of meow throwing.
	return Object.fromEntries([...types].map(([key, type]) => [key, {type, isMultiple: true as const, ...(key === 'help' ? {shortFlag: 'h'} : {})}]));
}

/** The command whose name's words begin `words`, the longest first; "" only for no words at all. */
function match(words: readonly string[]): Entry | undefined {
	return COMMANDS.filter(c => (c.spec.name === '' ? words.length === 0 : c.spec.name.split(' ').every((w, i) => words[i] === w))).sort(
		(a, b) => b.spec.name.length - a.spec.name.length,
	)[0];
}

/**
 * A suggestion for a mistyped word: the nearest candidate within a third of the word's length (two letters at
 * least), or one the word is the start of ("--round" for "--rounds"). Nothing when no candidate is that close.
 */
function didYouMean(word: string, candidates: readonly string[], show: (s: string) => string = s => s): string | undefined {
	const limit = Math.max(2, Math.floor(word.length / 3));
	const near = candidates
		.map(c => ({c, d: word.length >= 3 && (c.startsWith(word) || word.startsWith(c)) ? 0 : leven(word, c, {maxDistance: limit + 1})}))
		.filter(x => x.d <= limit)
		.sort((a, b) => a.d - b.d)[0];
	return near ? `did you mean ${show(near.c)}?` : undefined;
}

/** The top-level command words, for suggestions. */
function topWords(): string[] {
	return [...new Set(COMMANDS.map(c => c.spec.name.split(' ')[0]).filter(Boolean)), 'help'];
}

function unknownCommand(words: readonly string[]): UserError {
	const group = COMMANDS.filter(c => c.spec.name.startsWith(`${words[0]} `)).map(c => c.spec.name.split(' ')[1]);
	if (group.length > 0) {
		if (words.length === 1) return new UserError(`missing command: gmpo ${words[0]} ${group.join('|')} (gmpo help ${words[0]} says more)`);
		const hint = didYouMean(words[1], group, s => `"${words[0]} ${s}"`);
		return new UserError(`unknown command "${words[0]} ${words[1]}"; ${hint ? `${hint} (` : ''}the ${words[0]} commands are ${group.join(', ')}${hint ? ')' : ''}`);
	}
	const hint = didYouMean(words[0], topWords(), s => `"${s}"`);
	return new UserError(`unknown command "${words[0]}"; ${hint ? `${hint} (gmpo --help lists the commands)` : 'gmpo --help lists the commands'}`);
}

/** The help asked for with `gmpo help WORDS` (or WORDS --help). */
function helpFor(words: readonly string[]): string {
	if (words.length === 0) return generalHelp(commandSpecs());
	const entry = match(words);
	if (entry && entry.spec.name.split(' ').length === words.length) return entry.spec.name === '' ? generalHelp(commandSpecs()) : commandHelp(entry.spec);
	if (words.length === 1 && COMMANDS.some(c => c.spec.name.startsWith(`${words[0]} `))) return groupHelp(words[0], commandSpecs());
	throw unknownCommand(words);
}

/** The flags given (meow leaves the others as empty lists), each checked against the spec, as single values. */
function checkFlags(spec: CommandSpec | undefined, given: [string, unknown[]][]): Flags {
	const declared = new Map((spec?.flags ?? commandSpecs().flatMap(s => s.flags)).map(f => [camel(f.name), f]));
	const where = spec?.name ? `gmpo help ${spec.name}` : 'gmpo --help';
	const flags: Flags = {};
	for (const [key, values] of given) {
		if (key === 'help' || key === 'version') continue;
		if (!declared.has(key)) {
			const elsewhere = commandSpecs().some(s => s.flags.some(f => camel(f.name) === key));
			const names = [...declared.values()].map(f => f.name);
			const why = elsewhere && spec ? `not a flag of gmpo ${spec.name}`.trimEnd() : 'unknown flag';
			const hint = didYouMean(typed(key).replace(/^-+/, ''), names, s => `--${s}`);
			throw new UserError(`${why}; ${hint ? `${hint} (${where} lists the flags)` : `${where} lists the flags`}`, {field: typed(key)});
		}
		if (values.length > 1) {
			const shown = declared.get(key)!.type === 'boolean' ? '' : ` (${values.map(v => JSON.stringify(String(v))).join(', ')})`;
			throw new UserError(`given more than once${shown}; give it once`, {field: typed(key)});
		}
		flags[key] = values[0];
	}
	return flags;
}

/**
 * The flags a command may read: the declared ones only. Reading any other is a bug in the command (its spec and its
 * code disagree), caught the first time the code runs rather than left to ignore what the user typed.
 */
function guarded(spec: CommandSpec, flags: Flags): Flags {
	const declared = new Set(spec.flags.map(f => camel(f.name)));
	const notFlags = new Set(['then', 'toJSON', 'constructor']);
	return new Proxy(flags, {
		get(target, key, receiver) {
			if (typeof key === 'string' && !declared.has(key) && !notFlags.has(key)) {
				throw new Error(`bug: gmpo ${spec.name} reads the flag --${key}, which its entry in commands/all.ts does not declare`);
			}
			return Reflect.get(target, key, receiver);
		},
	});
}

/** What a command line asks for: text to print (help, version), or a command to run with checked arguments. */
export type Parsed =
	| {/** Print and exit 0. */ kind: 'print'; /** The text. */ text: string}
	| {
			kind: 'run';
			/** The command's spec. */
			spec: CommandSpec;
			/** Loads its code. */
			load: Loader;
			/** Its positional arguments, as many as the spec names. */
			args: string[];
			/** The flags given, by camelCase name, each once and declared by the spec. */
			flags: Flags;
			/** Whether --json was given (a failure is then also a JSON object on stdout). */
			json: boolean;
	  };

function readFlags(cliFlags: Record<string, unknown>): [string, unknown[]][] {
	// Declared flags not given are empty lists; unknown ones come as meow parsed them (one value, or a list).
	return Object.entries(cliFlags)
		.map(([key, value]): [string, unknown[]] => [key, Array.isArray(value) ? value : [value]])
		.filter(([, values]) => values.length > 0 && values.some(v => v !== undefined));
}

/**
 * A flag that takes a value, written last or followed by another flag, has none: meow drops it without a word, and
 * `--rounds --auto` would run the default number of rounds. (A negative number is a value: `--rounds -2`.)
 */
function checkValuesGiven(argv: readonly string[]): void {
	const valued = new Set(commandSpecs().flatMap(s => s.flags.filter(f => f.type === 'string').map(f => f.name)));
	for (const [i, word] of argv.entries()) {
		if (word === '--') return;
		if (!word.startsWith('--') || word.includes('=') || !valued.has(word.slice(2))) continue;
		const next = argv[i + 1];
		if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) {
			throw new UserError(`needs a value (${word} VALUE, or ${word}=VALUE for one that starts with -)`, {field: word});
		}
	}
}

/** Reads a command line (without node and the script); a mistake in it is a UserError naming the flag or argument. */
export function parseCommandLine(argv: readonly string[]): Parsed {
	checkValuesGiven(argv);
	const cli = meow({argv: [...argv], importMeta: import.meta, autoHelp: false, autoVersion: false, allowUnknownFlags: true, booleanDefault: undefined, flags: meowFlags(commandSpecs())});
	const input = cli.input;
	const given = readFlags(cli.flags as Record<string, unknown>);
	const asked = (name: string) => given.some(([key, values]) => key === name && values.some(v => v === true));
	if (asked('version')) return {kind: 'print', text: `${cli.pkg.version ?? 'unknown'}\n`};
	if (input[0] === 'help') return {kind: 'print', text: helpFor(input.slice(1))};
	const entry = match(input);
	const words = entry ? (entry.spec.name === '' ? 0 : entry.spec.name.split(' ').length) : 0;
	if (asked('help')) return {kind: 'print', text: helpFor(entry ? input.slice(0, words) : input.slice(0, 1))};
	if (!entry) {
		checkFlags(undefined, given);
		throw unknownCommand(input);
	}
	const {spec} = entry;
	const flags = checkFlags(spec, given);
	const args = input.slice(words);
	// An argument written [<like-this>] is optional (and only the last ones may be).
	const required = spec.args.filter(a => !a.startsWith('[')).length;
	if (args.length < required) throw new UserError(`missing argument ${spec.args[args.length]}; usage: ${usageLine(spec)}`);
	if (args.length > spec.args.length) throw new UserError(`unexpected argument "${args[spec.args.length]}"; usage: ${usageLine(spec)}`);
	return {kind: 'run', spec, load: entry.load, args, flags, json: flags.json === true};
}

/** Whether a command line asks for JSON output, read as leniently as possible (it may be the faulty one). */
function wantsJson(argv: readonly string[]): boolean {
	return argv.includes('--json');
}

/**
 * Runs the command line `argv` (without node and the script); returns the exit code. The command writes to `io` too,
 * and `deps` replaces more of its outside world (tests: fake judges, a sessions folder), so a test runs a command line
 * through exactly what the CLI runs.
 */
export async function main(argv: readonly string[], io: Io = {stdout: process.stdout, stderr: process.stderr}, deps: Partial<CommandDeps> = {}): Promise<number> {
	let json = wantsJson(argv);
	try {
		const parsed = parseCommandLine(argv);
		if (parsed.kind === 'print') {
			io.stdout.write(parsed.text);
			return 0;
		}
		json = parsed.json;
		const command = await parsed.load({stdout: io.stdout, stderr: io.stderr, ...deps});
		return await command.run(parsed.args, guarded(parsed.spec, parsed.flags));
	} catch (error) {
		if (!isUserError(error)) throw error;
		io.stderr.write(`gmpo: ${error.line}\n`);
		if (json) {
			io.stdout.write(`${JSON.stringify({error: {message: error.message, ...(error.file ? {file: error.file} : {}), ...(error.field ? {field: error.field} : {})}}, null, 2)}\n`);
		}
		return 2;
	}
}

/**
 * A write to stdout that fails (a full disk or /dev/full, a closed pipe) would end gmpo with an unhandled 'error'
 * event and its stack. Instead: a reader that went away (`gmpo sessions | head -1`) ends gmpo quietly, anything
 * else in one line on stderr with exit code 2. Sessions are written synchronously, so no decision is cut in half.
 * A terminal is left alone: one that goes away is a hang-up, which the TUI handles (it saves and releases the
 * session first, then ends as SIGHUP would).
 */
export function exitOnOutputErrors(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): void {
	// Nothing can be said about a stderr that cannot be written; the exit code still tells.
	if (!stderr.isTTY) stderr.on('error', () => process.exit(2));
	if (stdout.isTTY) return;
	stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
		const failure = ioError(error, 'write the output', 'stdout');
		stderr.write(`gmpo: ${isUserError(failure) ? failure.line : `stdout: cannot write the output: ${error.message}`}\n`);
		process.exit(2);
	});
}
