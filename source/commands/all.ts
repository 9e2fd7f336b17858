/**
 * Every command: its spec (arguments, one-line summary, flags) and how to load it. The help text, the check of
 * unknown and repeated flags and the check of the number of arguments are all made from these entries, so what
 * `gmpo --help` says and what gmpo accepts cannot drift apart. A command's code loads only when it runs, so a start
 * does not pay for every command's dependencies (onnxruntime, the OpenAI SDK, Ink).
 */
import {registerCommand} from './index.js';
import type {FlagSpec} from './types.js';

const str = (name: string, value: string, about: string): FlagSpec => ({name, type: 'string', value, about});
const bool = (name: string, about: string): FlagSpec => ({name, type: 'boolean', about});

const json = bool('json', 'machine-readable output on stdout (a failure too, as {"error": {...}})');
const auto = bool('auto', 'headless: the acceptance rule decides each round (the default without a terminal)');
const rounds = str('rounds', 'N', 'round budget of the session; default: the task file, else `gmpo config` defaults.rounds');
const candidates = str('candidates', 'N', 'candidate edits per round (1 to 64); default: the task file, else `gmpo config` defaults.candidates');
const judges = str('judges', 'a,b', 'judges by bundled name or folder; default: the task file, else every bundled judge');
const heldout = str('heldout', 'c', 'judges that are only reported, never used to choose (transfer check); default: the task file');
const generator = str('generator', 'offline|openai|textual', 'who proposes edits; default: the task file (offline)');
const baseUrl = str('base-url', 'URL', 'OpenAI-compatible endpoint; default: the task file, else `gmpo config` generator.baseUrl');
const model = str('model', 'NAME', 'generator model; default: the task file, else `gmpo config` generator.model');
const timeout = str('timeout', 'SECONDS', 'longest wait for one generator request, its whole reply included; default: `gmpo config` generator.timeout (120)');
const retries = str('retries', 'N', 'retries of a generator request after a transient fault (429, 5xx, a dropped or cut-off reply); default: `gmpo config` generator.retries (2)');
const generatorFlags = [generator, baseUrl, model, timeout, retries];
const racing = str('racing', 'on|off', 'racing candidate scoring (successive halving over the batch); default: the task file (on)');
const newRunFlags = [auto, rounds, candidates, judges, heldout, racing, ...generatorFlags, json];

registerCommand(
	{name: '', args: [], summary: 'pick a saved session to resume, or a task to start (terminal UI)', flags: [rounds, candidates, judges, heldout, racing, ...generatorFlags]},
	async deps => (await import('./tui.js')).createPickerCommand(deps),
);
registerCommand(
	{name: 'demo', args: [], summary: 'the bundled demo task in the terminal UI (headless with --auto or without a terminal)', flags: newRunFlags},
	async deps => (await import('./tui.js')).createDemoCommand(deps),
);
registerCommand(
	{
		name: 'optimize',
		args: ['<task>'],
		summary: 'a new session from a task file (terminal UI; --auto: headless)',
		flags: newRunFlags,
		details: ['Flags override the task file, which overrides the settings of `gmpo config`, which override the built-in defaults.'],
	},
	async deps => (await import('./optimize.js')).createOptimizeCommand(deps),
);
registerCommand(
	{
		name: 'resume',
		args: ['<session>'],
		summary: 'continue a saved session (terminal UI; --auto: headless)',
		flags: [auto, str('rounds', 'N', 'N more rounds (a round left unfinished counts as one)'), ...generatorFlags, json],
		details: ['A resumed session keeps its task and judges; --generator, --base-url and --model replace what it used.'],
	},
	async deps => (await import('./resume.js')).createResumeCommand(deps),
);
registerCommand(
	{name: 'sessions', args: [], summary: 'saved sessions: id, task, rounds, best loss, last update', flags: [json]},
	async deps => (await import('./sessions.js')).createSessionsCommand(deps),
);
registerCommand(
	{name: 'sessions rm', args: ['<session>'], summary: 'remove a saved session (refused while it is open in another gmpo)', flags: []},
	async deps => (await import('./sessions.js')).createSessionsRmCommand(deps),
);
registerCommand(
	{
		name: 'export',
		args: ['<session>'],
		summary: 'final prompt, report.md and a self-contained report.html with a loss chart per judge',
		flags: [str('out', 'DIR', 'where to write (default: the session folder/export)'), json],
	},
	async deps => (await import('./export.js')).createExportCommand(deps),
);
registerCommand(
	{
		name: 'eval',
		args: ['<task>'],
		summary: "a prompt's test-split loss per judge (held-out judges included) and greedy exact match",
		flags: [str('prompt', 'FILE', 'the prompt to evaluate, from a text file'), str('session', 'ID', "the prompt to evaluate: a session's current prompt"), judges, heldout, json],
		details: ['Give exactly one of --prompt and --session.'],
	},
	async deps => (await import('./eval.js')).createEvalCommand(deps),
);
registerCommand(
	{
		name: 'attribute',
		args: ['<task>'],
		summary: "segment importances of the task's prompt, per judge and aggregated, with judge agreement",
		flags: [judges, str('method', 'gradient|loo', 'one forward and one backward pass (default), or leave-one-out'), json],
	},
	async deps => (await import('./attribute.js')).createAttributeCommand(deps),
);
registerCommand(
	{
		name: 'score',
		args: ['<task>'],
		summary: "loss per judge of the task's prompt (or --prompt FILE) on a split",
		flags: [str('prompt', 'FILE', 'score this prompt instead of the task\'s'), str('split', 'train|test', 'the examples to score on (default test)'), judges, json],
	},
	async deps => (await import('./attribute.js')).createScoreCommand(deps),
);
const settings = 'generator.baseUrl, generator.model, generator.apiKey, generator.timeout, generator.retries, defaults.rounds, defaults.candidates';
registerCommand(
	{name: 'config list', args: [], summary: 'every setting with its value and source, and the file they are kept in', flags: [json]},
	async deps => (await import('./config.js')).createConfigCommands(deps).list,
);
registerCommand(
	{name: 'config get', args: ['<key>'], summary: "one setting's value", flags: [json], details: [`Settings: ${settings}.`]},
	async deps => (await import('./config.js')).createConfigCommands(deps).get,
);
registerCommand(
	{name: 'config set', args: ['<key>', '<value>'], summary: 'store a setting (checked first)', flags: [], details: [`Settings: ${settings}.`]},
	async deps => (await import('./config.js')).createConfigCommands(deps).set,
);
registerCommand(
	{name: 'config unset', args: ['<key>'], summary: 'remove a setting, so its default applies again', flags: []},
	async deps => (await import('./config.js')).createConfigCommands(deps).unset,
);
registerCommand(
	{name: 'judges check', args: ['<dir|name>'], summary: "a judge folder's facts, sample loss, gradient availability, finite-difference spot check", flags: [json]},
	async deps => (await import('./judges.js')).createJudgesCheckCommand(deps),
);
registerCommand(
	{
		name: 'judges generate',
		args: ['<dir|name>'],
		summary: 'greedy decoding with a judge (from BOS without a prompt)',
		flags: [str('prompt', 'TEXT', 'the text to continue'), str('max-tokens', 'N', 'new tokens at most (default 64)'), json],
	},
	async deps => (await import('./judges.js')).createJudgesGenerateCommand(deps),
);
registerCommand(
	{
		name: 'judges import-hf',
		args: ['<hf-folder>', '[<out-dir>]'],
		summary: 'convert a Hugging Face checkpoint (config.json, safetensors, tokenizer.json) into a judge folder',
		flags: [json],
		details: ['A checkpoint folder with a judge.json is a judge as it is; import-hf makes a self-contained ONNX judge folder (default out-dir: <hf-folder>-judge).'],
	},
	async deps => (await import('./import-hf.js')).createImportHfCommand(deps),
);
registerCommand(
	{name: 'judges import-llama2c', args: ['<checkpoint.bin>', '<tokenizer.bin>', '<out-dir>'], summary: 'convert a llama2.c model into a judge folder', flags: [json]},
	async deps => (await import('./judges.js')).createJudgesImportCommand(deps),
);
