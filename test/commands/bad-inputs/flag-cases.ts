/**
 * Bad command lines for every command (values out of range or of the wrong form, flags a command does not take or
 * given twice, arguments missing or extra) and bad settings (`gmpo config` keys and values, a settings file that is
 * corrupt, a folder, or in a place nothing can be written). Each is refused in one line naming the flag, argument,
 * setting or file.
 */
import path from 'node:path';
import type {Case, Files} from './harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `task`: a task file that runs; `session`: a saved session's id; `judge`: a judge folder that works. */
export function flagCases(f: Files, task: string, session: string): Case[] {
	const cases: Case[] = [];
	const add = (name: string, argv: string[], line: string | RegExp) =>
		cases.push({name: `flags: ${name}`, argv, line: typeof line === 'string' ? new RegExp(`^${escape(line)}$`) : line});
	const run = ['optimize', task, '--auto'];
	const openai = [...run, '--generator', 'openai', '--base-url', 'http://127.0.0.1:9/v1'];
	const whole = (flag: string, value: string, range = 'of at least 1') => `${flag}: expected a whole number ${range}, got ${JSON.stringify(value)}`;

	add('gmpo without a terminal', [], 'not a terminal, so no session picker; run `gmpo --help` for the commands (e.g. gmpo optimize <task> --auto)');
	add('demo --rounds 0', ['demo', '--auto', '--rounds', '0'], whole('--rounds', '0'));
	add('demo --candidates 100', ['demo', '--auto', '--candidates', '100'], whole('--candidates', '100', 'from 1 to 64'));
	add('--rounds 1e3', [...run, '--rounds', '1e3'], whole('--rounds', '1e3'));
	add('--rounds beyond 2^53', [...run, '--rounds', '99999999999999999999'], whole('--rounds', '99999999999999999999'));
	add('--rounds empty', [...run, '--rounds', ''], '--rounds: needs a value');
	add('--rounds without a value', [...run, '--rounds'], '--rounds: needs a value (--rounds VALUE, or --rounds=VALUE for one that starts with -)');
	add('--rounds followed by a flag', ['optimize', task, '--rounds', '--auto'], '--rounds: needs a value (--rounds VALUE, or --rounds=VALUE for one that starts with -)');
	add('--rounds negative', [...run, '--rounds', '-2'], whole('--rounds', '-2'));
	add('--candidates 0', [...run, '--candidates', '0'], whole('--candidates', '0', 'from 1 to 64'));
	add('--timeout 0', [...openai, '--timeout', '0'], '--timeout: expected a number of seconds above 0 (at most 86400), got "0"');
	add('--timeout 90000', [...openai, '--timeout', '90000'], '--timeout: expected a number of seconds above 0 (at most 86400), got "90000"');
	add('--timeout 2m', [...openai, '--timeout', '2m'], '--timeout: expected a number of seconds above 0 (at most 86400), got "2m"');
	add('--retries 1.5', [...openai, '--retries', '1.5'], whole('--retries', '1.5', 'of at least 0'));
	add('--retries 99999999999999999999', [...openai, '--retries', '99999999999999999999'], whole('--retries', '99999999999999999999', 'of at least 0'));
	add('--judges of commas', [...run, '--judges', ','], '--judges: expected names separated by commas, got ","');
	add('--judges twice the same', [...run, '--judges', 'a,a'], '--judges: "a" is listed twice');
	add('--heldout twice the same', [...run, '--heldout', 'b,b'], '--heldout: "b" is listed twice');
	add('--generator in capitals', [...run, '--generator', 'OPENAI'], '--generator: expected offline, openai, textual, got "OPENAI"');
	add('--base-url ftp', [...run, '--generator', 'openai', '--base-url', 'ftp://host/v1'], '--base-url: expected an http(s) URL, got "ftp://host/v1"');
	add('--model for the offline generator', [...run, '--model', 'gpt-4o'], '--model: is for an LLM generator, and this run uses the offline one; add --generator openai');
	add('--retries for the offline generator', [...run, '--retries', '3'], '--retries: is for an LLM generator, and this run uses the offline one; add --generator openai');
	add('--json twice', [...run, '--json', '--json'], '--json: given more than once; give it once');
	add('resume --rounds 0', ['resume', session, '--auto', '--rounds', '0'], whole('--rounds', '0'));
	add('resume --heldout', ['resume', session, '--auto', '--heldout', 'a'], /^--heldout: not a flag of gmpo resume; .+$/);
	add('resume --candidates', ['resume', session, '--candidates', '3'], /^--candidates: not a flag of gmpo resume; .+$/);
	add('resume without a session', ['resume'], 'missing argument <session>; usage: gmpo resume <session> [options]');
	add('resume of two sessions', ['resume', session, session], `unexpected argument "${session}"; usage: gmpo resume <session> [options]`);
	add('sessions rm without a session', ['sessions', 'rm'], 'missing argument <session>; usage: gmpo sessions rm <session>');
	add('sessions rm of two', ['sessions', 'rm', 'a', 'b'], 'unexpected argument "b"; usage: gmpo sessions rm <session>');
	add('sessions rm --json', ['sessions', 'rm', session, '--json'], /^--json: not a flag of gmpo sessions rm; .+$/);
	add('sessions --out', ['sessions', '--out', 'x'], /^--out: not a flag of gmpo sessions; .+$/);
	add('export --out empty', ['export', session, '--out', ''], '--out: needs a value');
	add('export without a session', ['export'], 'missing argument <session>; usage: gmpo export <session> [options]');
	add('eval with both --prompt and --session', ['eval', task, '--prompt', task, '--session', session], /^--(prompt|session): give exactly one of --prompt FILE and --session ID$/);
	add('eval --prompt an empty file', ['eval', task, '--prompt', f.write('prompts/empty.txt', '\n')], `${f.path('prompts/empty.txt')}: the prompt file is empty`);
	add('eval --prompt a folder', ['eval', task, '--prompt', f.folder('prompts/folder')], `${f.path('prompts/folder')}: is a folder, not a file`);
	add('eval --judges empty item', ['eval', task, '--session', session, '--judges', 'a,'], '--judges: expected names separated by commas, got "a,"');
	add('eval --method', ['eval', task, '--method', 'loo'], /^--method: not a flag of gmpo eval; .+$/);
	add('attribute --method random', ['attribute', task, '--method', 'random'], '--method: --method must be gradient or loo, got "random"');
	add('attribute --split', ['attribute', task, '--split', 'test'], /^--split: not a flag of gmpo attribute; .+$/);
	add('attribute without a task', ['attribute'], 'missing argument <task>; usage: gmpo attribute <task> [options]');
	add('score --split validation', ['score', task, '--split', 'validation'], '--split: --split must be train or test, got "validation"');
	add('score --prompt missing', ['score', task, '--prompt', f.path('prompts/none.txt')], `${f.path('prompts/none.txt')}: no such file`);
	add('score --prompt an empty file', ['score', task, '--prompt', f.write('prompts/blank.txt', '   ')], `${f.path('prompts/blank.txt')}: --prompt: the prompt file is empty`);
	add('config get without a key', ['config', 'get'], 'missing argument <key>; usage: gmpo config get <key> [options]');
	add('config set without a value', ['config', 'set', 'defaults.rounds'], 'missing argument <value>; usage: gmpo config set <key> <value>');
	add('config set with three words', ['config', 'set', 'defaults.rounds', '2', '3'], 'unexpected argument "3"; usage: gmpo config set <key> <value>');
	add('config unset without a key', ['config', 'unset'], 'missing argument <key>; usage: gmpo config unset <key>');
	add('config with an unknown word', ['config', 'show'], /^unknown command "config show"; .+$/);
	add('judges check without a folder', ['judges', 'check'], 'missing argument <dir|name>; usage: gmpo judges check <dir|name> [options]');
	add('judges generate --max-tokens 0', ['judges', 'generate', 'llama-a', '--max-tokens', '0'], '--max-tokens: --max-tokens must be a positive whole number, got 0');
	add('judges generate --max-tokens abc', ['judges', 'generate', 'llama-a', '--max-tokens', 'abc'], '--max-tokens: --max-tokens must be a positive whole number, got abc');
	add('judges generate of an unknown judge', ['judges', 'generate', 'no-such-judge'], /^judges: unknown judge "no-such-judge": not a folder, and the bundled judges are .+$/);
	add('judges import-hf without a folder', ['judges', 'import-hf'], 'missing argument <hf-folder>; usage: gmpo judges import-hf <hf-folder> [<out-dir>] [options]');
	add('judges import-hf of three', ['judges', 'import-hf', 'a', 'b', 'c'], 'unexpected argument "c"; usage: gmpo judges import-hf <hf-folder> [<out-dir>] [options]');
	add('judges import-hf of a missing folder', ['judges', 'import-hf', f.path('hf/none'), f.path('hf/out')], `${f.path('hf/none')}: not a folder: a Hugging Face checkpoint folder holds config.json, model.safetensors and tokenizer.json`);
	add('judges import-llama2c of two', ['judges', 'import-llama2c', 'a.bin', 'b.bin'], 'missing argument <out-dir>; usage: gmpo judges import-llama2c <checkpoint.bin> <tokenizer.bin> <out-dir> [options]');
	add('judges import-llama2c of missing files', ['judges', 'import-llama2c', f.path('l2c/none.bin'), f.path('l2c/tok.bin'), f.path('l2c/out')], `${f.path('l2c/none.bin')}: cannot read the checkpoint: no such file or folder (ENOENT)`);
	add('judges import-llama2c of a garbage checkpoint', ['judges', 'import-llama2c', f.write('l2c/garbage.bin', 'garbage!'), f.write('l2c/tok2.bin', 'x'), f.path('l2c/out2')], `${f.path('l2c/garbage.bin')}: not a llama2.c checkpoint: shorter than its 28-byte header`);
	add('a short flag', ['sessions', '-x'], /^-x: unknown flag; .+$/);
	add('help of an unknown command', ['help', 'optimise'], /^unknown command "optimise"; did you mean "optimize"\?.*$/);
	return cases;
}

/** Bad settings: `gmpo config set` keys and values, and settings files that cannot be used. */
export function configCases(f: Files, task: string): Case[] {
	const cases: Case[] = [];
	const home = process.env.GMPO_CONFIG_DIR;
	const restore = () => {
		process.env.GMPO_CONFIG_DIR = home;
	};
	const add = (name: string, argv: string[], line: string | RegExp, config?: {dir: string; file?: string | Buffer}) =>
		cases.push({
			name: `config: ${name}`,
			argv,
			line: typeof line === 'string' ? new RegExp(`^${escape(line)}$`) : line,
			...(config
				? {
						before: () => {
							if (config.file !== undefined) f.write(path.relative(f.dir, path.join(config.dir, 'config.json')), config.file);
							process.env.GMPO_CONFIG_DIR = config.dir;
						},
						cleanup: restore,
					}
				: {}),
		});
	const set = (key: string, value: string) => ['config', 'set', key, value];
	add('get of an unknown key', ['config', 'get', 'generator.url'], 'generator.url: unknown setting "generator.url"; settings are generator.baseUrl, generator.model, generator.apiKey, generator.timeout, generator.retries, defaults.rounds, defaults.candidates');
	add('unset of an unknown key', ['config', 'unset', 'rounds'], 'rounds: unknown setting "rounds"; settings are generator.baseUrl, generator.model, generator.apiKey, generator.timeout, generator.retries, defaults.rounds, defaults.candidates');
	add('a key of the wrong case', set('Defaults.Rounds', '2'), 'Defaults.Rounds: unknown setting "Defaults.Rounds"; settings are generator.baseUrl, generator.model, generator.apiKey, generator.timeout, generator.retries, defaults.rounds, defaults.candidates');
	add('a prototype key', set('__proto__', '1'), '__proto__: unknown setting "__proto__"; settings are generator.baseUrl, generator.model, generator.apiKey, generator.timeout, generator.retries, defaults.rounds, defaults.candidates');
	add('baseUrl ftp', set('generator.baseUrl', 'ftp://host/v1'), 'generator.baseUrl: invalid value "ftp://host/v1": expected an http:// or https:// URL such as http://127.0.0.1:8000/v1');
	add('baseUrl not a URL', set('generator.baseUrl', 'my server'), 'generator.baseUrl: invalid value "my server": expected an http:// or https:// URL such as http://127.0.0.1:8000/v1');
	add('model empty', set('generator.model', ''), 'generator.model: invalid value "": expected a model name');
	add('apiKey blank', set('generator.apiKey', '  '), 'generator.apiKey: invalid value "  ": expected a key (or set OPENAI_API_KEY instead)');
	add('timeout 0', set('generator.timeout', '0'), 'generator.timeout: invalid value "0": expected a number of seconds above 0, at most 86400');
	add('timeout negative', set('generator.timeout', '-5'), 'generator.timeout: invalid value "-5": expected a number of seconds above 0, at most 86400');
	add('timeout 1e9', set('generator.timeout', '1e9'), 'generator.timeout: invalid value "1e9": expected a number of seconds above 0, at most 86400');
	add('timeout NaN', set('generator.timeout', 'NaN'), 'generator.timeout: invalid value "NaN": expected a number of seconds above 0, at most 86400');
	add('retries 11', set('generator.retries', '11'), 'generator.retries: invalid value "11": expected a whole number from 0 to 10');
	add('retries a fraction', set('generator.retries', '1.5'), 'generator.retries: invalid value "1.5": expected a whole number from 0 to 10');
	add('candidates 65', set('defaults.candidates', '65'), 'defaults.candidates: invalid value "65": expected a whole number from 1 to 64');
	add('rounds 0', set('defaults.rounds', '0'), 'defaults.rounds: invalid value "0": expected a whole number from 1 to 1000');
	add('rounds Infinity', set('defaults.rounds', 'Infinity'), 'defaults.rounds: invalid value "Infinity": expected a whole number from 1 to 1000');

	let n = 0;
	const dir = () => f.folder(`settings/c${++n}`);
	const fileOf = (d: string) => escape(path.join(d, 'config.json'));
	let d = dir();
	add('a corrupt settings file, listed', ['config', 'list'], new RegExp(`^${fileOf(d)}: not valid JSON \\(.+\\); fix the file or remove it$`), {dir: d, file: '{"defaults": {"rounds": 3'});
	d = dir();
	add('a corrupt settings file, at a run', ['optimize', task, '--auto'], new RegExp(`^${fileOf(d)}: not valid JSON \\(.+\\); fix the file or remove it$`), {dir: d, file: Buffer.from([0xff, 0xfe, 0, 0, 0x7b])});
	d = dir();
	add('a stored value of the wrong type', ['optimize', task, '--auto'], new RegExp(`^${fileOf(d)}: defaults\\.rounds: expected a whole number from 1 to 1000, got "many"$`), {dir: d, file: '{"defaults": {"rounds": "many"}}'});
	d = dir();
	add('a stored timeout out of range', ['config', 'get', 'generator.timeout'], new RegExp(`^${fileOf(d)}: generator\\.timeout: expected a number of seconds above 0, at most 86400, got -1$`), {dir: d, file: '{"generator": {"timeout": -1}}'});
	d = dir();
	add('a settings file that is a list', ['config', 'get', 'defaults.rounds'], new RegExp(`^${fileOf(d)}: expected a JSON object of settings, got a list; fix the file or remove it$`), {dir: d, file: '[1, 2]'});
	d = dir();
	f.folder(path.relative(f.dir, path.join(d, 'config.json')));
	add('a settings file that is a folder', ['config', 'list'], new RegExp(`^${fileOf(d)}: cannot read the settings: it is a folder, not a file \\(EISDIR\\)$`), {dir: d});
	const plain = f.write('settings/plain-file', 'x');
	add('a settings folder that is a file', set('defaults.rounds', '2'), new RegExp(`^${escape(plain)}: cannot create the settings folder: it is a file, not a folder$`), {dir: plain});
	if (process.platform === 'linux') add('a settings folder in /proc', ['config', 'list'], '/proc/gmpo-settings: cannot create the settings folder: the file system there takes no new folders (ENOENT)', {dir: '/proc/gmpo-settings'});
	return cases;
}
