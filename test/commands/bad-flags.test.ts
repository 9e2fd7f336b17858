/**
 * Flags, arguments and help, all made from the command registry (commands/all.ts): every registered command is in
 * `gmpo --help` and nothing else is; every flag a command takes is in its help and is accepted; anything else is
 * refused with exit code 2 and one line naming the flag (with the closest known one), and leaves a saved session as
 * it was. Most cases run in-process through the dispatcher; a few go through the real CLI, as a user types them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import '../../source/commands/all.js';
import {commandSpecs, main, parseCommandLine, type Io} from '../../source/commands/index.js';
import {flagLabel} from '../../source/commands/help.js';
import {isUserError} from '../../source/errors.js';
import {makeSession, makeTask} from '../engine/fakes.js';
import {capture, runCli} from './helpers.js';

const dir = fs.mkdtempSync('/tmp/gmpo-bad-flags-');
after(() => fs.rmSync(dir, {recursive: true, force: true}));
const sessions = path.join(dir, 'sessions');
const env = {GMPO_SESSIONS_DIR: sessions, GMPO_CONFIG_DIR: path.join(dir, 'config'), GMPO_CACHE_DIR: path.join(dir, 'cache')};

/** Runs the dispatcher in-process with captured streams. */
async function gmpo(...argv: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	const io = {stdout: capture(), stderr: capture()} satisfies Io;
	const code = await main(argv, io);
	return {code, stdout: io.stdout.text, stderr: io.stderr.text};
}

/** Exit 2, nothing on stdout (unless --json), exactly one line on stderr, matching `line`. */
function refused(result: {code: number | null; stdout: string; stderr: string}, line: RegExp, what: string): void {
	assert.equal(result.code, 2, `${what}: exit code 2\n${result.stderr}`);
	assert.doesNotMatch(result.stderr, /^\s+at /m, `${what}: no stack trace`);
	assert.equal(result.stderr.trimEnd().split('\n').length, 1, `${what}: one line\n${result.stderr}`);
	assert.match(result.stderr.trimEnd(), line, what);
}

const words = (name: string) => (name === '' ? [] : name.split(' '));
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

test('gmpo --help lists every registered command, and every registered command loads under its name', async () => {
	const {code, stdout} = await gmpo('--help');
	assert.equal(code, 0);
	const listed = stdout.slice(stdout.indexOf('\nCommands\n'), stdout.indexOf('\n\n', stdout.indexOf('\nCommands\n') + 1)).split('\n').filter(l => /^ {2}\S/.test(l)).map(l => l.trim());
	const specs = commandSpecs().filter(s => s.name !== '');
	assert.deepEqual(
		listed.map(l => l.split(/\s{2,}/)[0]),
		specs.map(s => [s.name, ...s.args].join(' ')),
		'the Commands section is the registry, no more, no less',
	);
	for (const spec of specs) assert.ok(stdout.includes(spec.summary), `${spec.name}: its summary is shown`);
	assert.doesNotMatch(stdout, /build-demo/);
	for (const name of ['sessions', 'export', 'eval', 'attribute', 'score', 'config list', 'judges generate', 'judges import-llama2c']) {
		assert.ok(specs.some(s => s.name === name), `${name} is registered (issue 13 found it missing from the help)`);
	}
});

test('every registered command loads, under the name it is registered with', async () => {
	for (const spec of commandSpecs()) {
		const parsed = parseCommandLine([...words(spec.name), ...spec.args.map((_, i) => `arg${i}`)]);
		assert.equal(parsed.kind, 'run');
		if (parsed.kind !== 'run') continue;
		assert.equal((await parsed.load()).name, spec.name);
	}
});

test('every flag a command takes is documented in its help and accepted; a flag it does not take is refused', async () => {
	const all = new Map(commandSpecs().flatMap(s => s.flags.map(f => [f.name, f.type] as const)));
	for (const spec of commandSpecs()) {
		const help = await gmpo('help', ...words(spec.name));
		assert.equal(help.code, 0, `gmpo help ${spec.name}`);
		assert.ok(help.stdout.includes(`gmpo ${spec.name}`.trimEnd()), `${spec.name}: usage line`);
		const args = spec.args.map((_, i) => `arg${i}`);
		for (const flag of spec.flags) {
			assert.ok(help.stdout.includes(`${flagLabel(flag)} `) || help.stdout.includes(`${flagLabel(flag)}\n`), `${spec.name}: ${flagLabel(flag)} is documented`);
			assert.ok(help.stdout.includes(flag.about), `${spec.name}: --${flag.name} has its text`);
			const parsed = parseCommandLine([...words(spec.name), ...args, `--${flag.name}`, ...(flag.type === 'string' ? ['v'] : [])]);
			assert.equal(parsed.kind, 'run');
			if (parsed.kind === 'run') assert.equal(parsed.flags[camel(flag.name)], flag.type === 'string' ? 'v' : true, `${spec.name} --${flag.name}`);
		}
		for (const [other, type] of [...all].filter(([n]) => !spec.flags.some(f => f.name === n))) {
			assert.throws(
				() => parseCommandLine([...words(spec.name), ...args, `--${other}`, ...(type === 'string' ? ['v'] : [])]),
				(error: unknown) => isUserError(error) && error.field === `--${other}`,
				`${spec.name} refuses --${other}`,
			);
		}
	}
});

test('help is asked for in every usual way, printed on stdout, exit 0; nothing runs', async () => {
	for (const argv of [['--help'], ['-h'], ['help'], ['optimize', '--help'], ['help', 'optimize'], ['optimize', 'task.yaml', '--help'], ['sessions', '--help'], ['judges', '--help'], ['help', 'judges'], ['help', 'judges', 'check'], ['judges', 'check', '--help'], ['config', '--help']]) {
		const result = await gmpo(...argv);
		assert.equal(result.code, 0, argv.join(' '));
		assert.equal(result.stderr, '', argv.join(' '));
		assert.match(result.stdout, /^(gmpo: |Usage: gmpo)/, argv.join(' '));
	}
	assert.match((await gmpo('sessions', '--help')).stdout, /^Usage: gmpo sessions \[options\]\n/);
	assert.doesNotMatch((await gmpo('sessions', '--help')).stdout, /no sessions|ID\s+TASK/, 'sessions --help does not list sessions');
	assert.match((await gmpo('judges', '--help')).stdout, /judges check <dir\|name>[\s\S]*judges generate[\s\S]*judges import-llama2c/);
	assert.match((await gmpo('--version')).stdout, /^\d+\.\d+\.\d+\n$/);
});

test('bad flags and arguments: one line naming the flag, exit 2, and the closest flag or command when there is one', async () => {
	const cases: [string[], RegExp][] = [
		[['optimize', 'task.yaml', '--round', '2'], /^gmpo: --round: unknown flag; did you mean --rounds\? \(gmpo help optimize lists the flags\)$/],
		[['optimize', 'task.yaml', '--judge', 'a'], /^gmpo: --judge: unknown flag; did you mean --judges\?/],
		[['optimize', 'task.yaml', '--rounds', '1', '--rounds', '2'], /^gmpo: --rounds: given more than once \("1", "2"\); give it once$/],
		[['optimize', 'task.yaml', '--auto', '--auto'], /^gmpo: --auto: given more than once; give it once$/],
		[['optimize', 'task.yaml', '-r', '2'], /^gmpo: -r: unknown flag; gmpo help optimize lists the flags$/],
		[['optimize', 'task.yaml', '--base-uri', 'http://x'], /^gmpo: --base-uri: unknown flag; did you mean --base-url\?/],
		[['sessions', '--bogus'], /^gmpo: --bogus: unknown flag; gmpo help sessions lists the flags$/],
		[['sessions', '--jsn'], /^gmpo: --jsn: unknown flag; did you mean --json\?/],
		[['eval', 'task.yaml', '--promt', 'p.txt'], /^gmpo: --promt: unknown flag; did you mean --prompt\?/],
		[['resume', 'some-session', '--judges', 'a'], /^gmpo: --judges: not a flag of gmpo resume; gmpo help resume lists the flags$/],
		[['judges', 'generate', 'llama-a', '--max-token', '3'], /^gmpo: --max-token: unknown flag; did you mean --max-tokens\?/],
		[['config', 'set', 'defaults.rounds', '1', '--json'], /^gmpo: --json: not a flag of gmpo config set/],
		[['--bogus'], /^gmpo: --bogus: unknown flag; gmpo --help lists the flags$/],
		[['optimize'], /^gmpo: missing argument <task>; usage: gmpo optimize <task> \[options\]$/],
		[['optimize', 'a.yaml', 'b.yaml'], /^gmpo: unexpected argument "b\.yaml"; usage: gmpo optimize <task> \[options\]$/],
		[['judges'], /^gmpo: missing command: gmpo judges check\|generate\|import-hf\|import-llama2c/],
		[['judges', 'nope'], /^gmpo: unknown command "judges nope"; the judges commands are check, generate, import-hf, import-llama2c$/],
		[['judges', 'chek', 'x'], /^gmpo: unknown command "judges chek"; did you mean "judges check"\?/],
		[['config'], /^gmpo: missing command: gmpo config list\|get\|set\|unset/],
		[['optimise', 'task.yaml'], /^gmpo: unknown command "optimise"; did you mean "optimize"\? \(gmpo --help lists the commands\)$/],
		[['nope'], /^gmpo: unknown command "nope"; gmpo --help lists the commands$/],
		[['help', 'nope'], /^gmpo: unknown command "nope"/],
		[['judges', 'build-demo', 'x'], /^gmpo: unknown command "judges build-demo"/],
	];
	for (const [argv, line] of cases) {
		const result = await gmpo(...argv);
		refused(result, line, argv.join(' '));
		if (!argv.includes('--json')) assert.equal(result.stdout, '', `${argv.join(' ')}: nothing on stdout`);
	}
});

test('with --json, a refused command line also prints a JSON error object on stdout', async () => {
	const result = await gmpo('sessions', '--json', '--bogus');
	refused(result, /^gmpo: --bogus: unknown flag/, 'sessions --json --bogus');
	assert.deepEqual(JSON.parse(result.stdout), {error: {message: 'unknown flag; gmpo help sessions lists the flags', field: '--bogus'}});
});

test('a refused flag leaves a saved session as it was', async () => {
	const session = makeSession(makeTask({rounds: 2}), {dir: sessions});
	session.close();
	const files = () => fs.readdirSync(session.dir).map(f => [f, fs.readFileSync(path.join(session.dir, f), 'utf8')]);
	const before = files();
	for (const argv of [['resume', session.id, '--auto', '--round', '3'], ['resume', session.id, '--auto', '--rounds', '3', '--rounds', '4'], ['resume', session.id, '--auto', '--judges', 'a'], ['export', session.id, '--outt', dir]]) {
		refused(await gmpo(...argv), /^gmpo: --\w+: /, argv.join(' '));
	}
	assert.deepEqual(files(), before);
	assert.deepEqual(fs.readdirSync(sessions), [session.id], 'no other session was made');
});

test('through the real CLI: a typo, a repeated flag and help behave as in-process (no meow stack trace, no run)', async () => {
	const fresh = path.join(dir, 'cli-sessions');
	const task = path.join(dir, 'task.json');
	fs.writeFileSync(task, JSON.stringify({name: 't', prompt: 'Answer. Be kind.', data: {train: [{input: 'a', target: 'b'}], test: [{input: 'c', target: 'd'}]}}));
	const [typo, twice, help, top] = await Promise.all([
		runCli(['optimize', task, '--auto', '--round', '2'], {...env, GMPO_SESSIONS_DIR: fresh}),
		runCli(['optimize', task, '--auto', '--rounds', '1', '--rounds', '2'], {...env, GMPO_SESSIONS_DIR: fresh}),
		runCli(['optimize', '--help'], env),
		runCli(['--help'], env),
	]);
	refused(typo, /^gmpo: --round: unknown flag; did you mean --rounds\?/, 'typo');
	refused(twice, /^gmpo: --rounds: given more than once/, 'repeated');
	assert.equal(help.code, 0);
	assert.match(help.stdout, /^Usage: gmpo optimize <task> \[options\]/);
	assert.equal(top.code, 0);
	assert.match(top.stdout, /judges import-llama2c/);
	assert.ok(!fs.existsSync(fresh), 'the refused runs made no session (before, --round 2 ran 5 rounds)');
});
