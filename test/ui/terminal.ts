/**
 * Real terminals for end-to-end tests: the built CLI (dist/, rebuilt when a source is newer), a private tmux server
 * (its own socket, no user config) to type into and read from, judges (the bundled ones, else random-weight judges
 * in a temp folder), and a loopback sshd with its own host key and a key made for the test.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundledJudgeNames} from '../../source/judges/judge-set.js';
import {writeRandomJudge} from '../../source/training/random-judge.js';

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Whether a program runs (`tmux -V`, `sshd -V`...). */
export function runs(command: string, args: string[]): boolean {
	const result = spawnSync(command, args, {stdio: 'ignore'});
	return result.error === undefined;
}

function newest(dir: string): number {
	let t = 0;
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		const p = path.join(dir, entry.name);
		t = Math.max(t, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
	}
	return t;
}

/** The built CLI, rebuilt first when dist/ is missing or older than a source file. */
export function builtCli(): string {
	const cli = path.join(root, 'dist', 'cli.js');
	const stale = !fs.existsSync(cli) || fs.statSync(cli).mtimeMs < Math.max(newest(path.join(root, 'source')), fs.statSync(path.join(root, 'cli.tsx')).mtimeMs);
	if (stale) {
		const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
		const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {cwd: root, encoding: 'utf8'});
		if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
	}
	return cli;
}

/** Judge arguments for the demo: none with bundled judges, else two random-weight judges written in `dir`. */
export function judgeArgs(dir: string): {args: string[]; note?: string} {
	if (bundledJudgeNames().length > 0) return {args: []};
	const a = writeRandomJudge(path.join(dir, 'judges', 'rand-gpt2'), {family: 'gpt2', name: 'rand-gpt2', seed: 1});
	const b = writeRandomJudge(path.join(dir, 'judges', 'rand-llama'), {family: 'llama', name: 'rand-llama', seed: 2});
	return {args: ['--judges', `${a},${b}`], note: 'models/ has no judges: using random-weight judges'};
}

/** Quotes a word for sh. */
export function shellQuote(word: string): string {
	return /^[\w./,=:@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line that runs the built CLI with a clean environment for the TUI (Ink draws nothing when CI is set).
 * With `stderr`, what the CLI writes there goes to that file, so a crash after the terminal is gone can be seen.
 */
export function cliCommand(cli: string, args: string[], env: Record<string, string>, options: {stderr?: string} = {}): string {
	const vars = Object.entries({LANG: 'C.UTF-8', NODE_NO_WARNINGS: '1', ...env}).map(([k, v]) => `${k}=${shellQuote(v)}`);
	const redirect = options.stderr ? ` 2>${shellQuote(options.stderr)}` : '';
	return `cd ${shellQuote(root)} && exec env -u CI -u CONTINUOUS_INTEGRATION ${vars.join(' ')} ${shellQuote(process.execPath)} ${[cli, ...args].map(shellQuote).join(' ')}${redirect}`;
}

/** Whether a process is running. */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** A private tmux server. */
export class Tmux {
	readonly socket = `gmpo-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

	#run(args: string[]): string {
		const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {encoding: 'utf8'});
		if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`);
		return result.stdout;
	}

	/** Starts a window of 80x24 (or the given size) running `command`; the pane stays when the command ends. */
	start(name: string, command: string, size = {columns: 80, rows: 24}): void {
		this.#run(['new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), command]);
		this.#run(['set-option', '-t', name, 'remain-on-exit', 'on']);
		this.#run(['set-option', '-s', 'escape-time', '0']);
	}

	/** The screen as text. */
	capture(name: string): string {
		return this.#run(['capture-pane', '-p', '-t', name]);
	}

	/** Types keys (tmux key names: Enter, Escape, or literal text). */
	send(name: string, ...keys: string[]): void {
		this.#run(['send-keys', '-t', name, ...keys]);
	}

	/** The pid of the pane's process, and whether it has ended. */
	pane(name: string): {pid: number; dead: boolean} {
		const [pid, dead] = this.#run(['display-message', '-p', '-t', name, '#{pane_pid} #{pane_dead}']).trim().split(' ');
		return {pid: Number(pid), dead: dead === '1'};
	}

	/** Waits until the screen matches `pattern`; returns the screen. */
	async waitFor(name: string, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
		const start = Date.now();
		for (;;) {
			const screen = this.capture(name);
			if (pattern.test(screen)) return screen;
			if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	/** Kills a window (its process gets SIGHUP, as when a terminal closes). */
	kill(name: string): void {
		this.#run(['kill-session', '-t', name]);
	}

	/** Ends the server. */
	close(): void {
		spawnSync('tmux', ['-L', this.socket, 'kill-server'], {stdio: 'ignore'});
	}
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** A loopback sshd for the current user, and the ssh command line that reaches it. */
export type Sshd = {
	/** ssh arguments up to (not including) the remote command. */
	ssh: string[];
	/** Stops the server. */
	stop(): void;
};

/** The sshd binary, or undefined when there is none. */
export function sshdPath(): string | undefined {
	return ['/usr/sbin/sshd', '/usr/bin/sshd'].find(p => fs.existsSync(p));
}

/** Starts sshd on a free port of 127.0.0.1 with a host key and an authorised key made in `dir`. */
export async function startSshd(dir: string): Promise<Sshd> {
	const sshd = sshdPath();
	if (!sshd) throw new Error('no sshd');
	const keygen = (file: string) => {
		const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], {encoding: 'utf8'});
		if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
	};
	keygen(path.join(dir, 'host_key'));
	keygen(path.join(dir, 'user_key'));
	fs.copyFileSync(path.join(dir, 'user_key.pub'), path.join(dir, 'authorized_keys'));
	fs.chmodSync(path.join(dir, 'authorized_keys'), 0o600);
	// sshd refuses to start without its privilege separation directory (Debian's package creates it at boot).
	if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', {recursive: true, mode: 0o755});
	const port = await freePort();
	const config = [
		`Port ${port}`,
		'ListenAddress 127.0.0.1',
		`HostKey ${path.join(dir, 'host_key')}`,
		`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
		`PidFile ${path.join(dir, 'sshd.pid')}`,
		'PubkeyAuthentication yes',
		'PasswordAuthentication no',
		'KbdInteractiveAuthentication no',
		'UsePAM no',
		'StrictModes no',
		'PermitRootLogin prohibit-password',
		// Detect a dropped client quickly, as a real server would after its keep-alives go unanswered.
		'ClientAliveInterval 2',
		'ClientAliveCountMax 2',
	].join('\n');
	fs.writeFileSync(path.join(dir, 'sshd_config'), `${config}\n`);
	const server: ChildProcess = spawn(sshd, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {stdio: ['ignore', 'ignore', 'pipe']});
	let log = '';
	server.stderr!.on('data', chunk => (log += chunk));
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (server.exitCode !== null) throw new Error(`sshd exited: ${log}`);
		const open = await new Promise<boolean>(resolve => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.destroy();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (open) break;
		if (Date.now() > deadline) throw new Error(`sshd did not listen: ${log}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	const ssh = [
		'ssh',
		'-tt',
		'-i',
		path.join(dir, 'user_key'),
		'-p',
		String(port),
		'-o',
		'StrictHostKeyChecking=no',
		'-o',
		`UserKnownHostsFile=${path.join(dir, 'known_hosts')}`,
		'-o',
		'BatchMode=yes',
		'-o',
		'LogLevel=ERROR',
		'127.0.0.1',
	];
	return {ssh, stop: () => server.kill('SIGTERM')};
}
