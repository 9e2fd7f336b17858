/**
 * The vocabulary of the commands, types only: what a command is, and the outside world it is given (CommandDeps)
 * together with what a run command prepares (PreparedRun). Kept apart from their implementations so that a module
 * can name these types without importing the code that builds them (and so without import cycles).
 */
import type {BudgetLimits} from '../core/budget.js';
import type {Generator} from '../generators/types.js';
import type {OrtPool, PoolOptions} from '../judges/pool.js';
import type {Judge} from '../judges/types.js';
import type {Session} from '../sessions/store.js';

/** Parsed flags by camelCase name (`--max-tokens 3` is `maxTokens: "3"`); only the flags the command declares. */
export type Flags = Record<string, unknown>;

/** One command. */
export type Command = {
	/** The words that select it, e.g. "judges check". */
	name: string;
	/** Runs it with its arguments (as many as its spec names) and flags; returns the exit code. */
	run(args: string[], flags: Flags): Promise<number>;
};

/** A flag a command takes, as the help shows it. */
export type FlagSpec = {
	/** The name as typed, without dashes ("rounds", "max-tokens"). */
	name: string;
	/** A switch, or a flag that takes a value. */
	type: 'boolean' | 'string';
	/** What to write for the value in help ("N", "a,b", "FILE"); string flags only. */
	value?: string;
	/** What it does, in one line. */
	about: string;
};

/** What the help says about a command, and what the dispatcher checks before running it. */
export type CommandSpec = {
	/** The words that select it ("judges check"; "" is gmpo with no command). */
	name: string;
	/**
	 * Its positional arguments as shown in help ("<task>"; "[<out-dir>]" for an optional last one); the dispatcher
	 * checks their number.
	 */
	args: string[];
	/** What it does, in one line. */
	summary: string;
	/** The flags it accepts; any other is refused. */
	flags: FlagSpec[];
	/** Further lines for `gmpo help <command>`. */
	details?: string[];
};

/** Judges opened for a run; close() releases them. */
export type JudgeSet = {
	/** The judges, in the order named. */
	judges: Judge[];
	/** Releases the models. */
	close(): Promise<void>;
};

/** How judges are opened: held-out names, and for a first open (a judge's graph is built) cancellation and notes. */
export type OpenOptions = {
	/** Judge names to treat as held out. */
	heldout?: string[];
	/** Cancels opening. */
	signal?: AbortSignal;
	/** One-line notes on what opening does (the pool chosen, a first open's progress). */
	onProgress?: (message: string) => void;
};

/** Opens judges by bundled name or folder path (undefined = every bundled judge). */
export type JudgeFactory = (names: string[] | undefined, options: OpenOptions) => Promise<JudgeSet>;

/** Starts a worker pool for onnxruntime (judges opened on it share it); the caller closes it. */
export type PoolFactory = (options?: PoolOptions) => Promise<OrtPool>;

/** Something text is written to. */
export type Output = {
	/** Writes text. */
	write(text: string): unknown;
	/** Whether it is a terminal. */
	isTTY?: boolean;
};

/** A run ready to start. */
export type PreparedRun = {
	/** The open (locked) session. */
	session: Session;
	/** The judges (held-out ones flagged in their info). */
	judges: Judge[];
	/** The generator. */
	generator: Generator;
	/** Budgets. */
	limits: BudgetLimits;
	/** What the user should know before the run (a generator fallback, a repaired log). */
	notes: string[];
	/** Closes the session and the judges. */
	close(): Promise<void>;
};

/** The outside world of a command. */
export type CommandDeps = {
	/** Opens judges. */
	openJudges: JudgeFactory;
	/** Starts a worker pool (the judges commands open one judge folder on it). */
	openPool: PoolFactory;
	/** Results. */
	stdout: Output;
	/** Progress, notes and errors. */
	stderr: Output;
	/** Whether stdin is a terminal (interactive mode needs one). */
	stdinIsTTY: boolean;
	/** Environment (OPENAI_API_KEY, GMPO_SESSIONS_DIR). */
	env: NodeJS.ProcessEnv;
	/** Folder of the sessions. */
	sessionsDir: string;
	/** Process signals to stop a run on (SIGINT, SIGTERM); none in tests. */
	signals: NodeJS.Signals[];
	/** The interactive driver (the TUI); until it is plugged in, interactive runs are refused with a clear message. */
	interactive?: (run: PreparedRun) => Promise<number>;
};
