/**
 * User settings (generator endpoint, model, key; default rounds and candidates) through `conf`, the only module
 * that imports it. The folder is the platform's config folder, or GMPO_CONFIG_DIR when set (tests use a temp dir).
 * The file may hold an API key, so it is created readable by the owner only, and listings mask the key.
 */
import path from 'node:path';
import Conf from 'conf';
import {z} from 'zod';
import {UserError} from './errors.js';
import {ioCode, ioError, makeDirs} from './fs-errors.js';

/** Every setting with its schema (how a typed-in string becomes a value), what it expects in words, default and description. */
const definitions = {
	'generator.baseUrl': {
		schema: z.url({protocol: /^https?$/}),
		expected: 'an http:// or https:// URL such as http://127.0.0.1:8000/v1',
		fallback: 'https://api.openai.com/v1' as string | undefined,
		about: 'OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama)',
	},
	'generator.model': {schema: z.string().min(1), expected: 'a model name', fallback: 'gpt-4o-mini' as string | undefined, about: 'generator model name'},
	'generator.apiKey': {
		schema: z.string().min(1),
		expected: 'a key (or set OPENAI_API_KEY instead)',
		fallback: undefined as string | undefined,
		about: 'API key (OPENAI_API_KEY takes precedence); shown masked',
	},
	'generator.timeout': {
		schema: z.coerce.number().positive().max(86_400),
		expected: 'a number of seconds above 0, at most 86400',
		fallback: 120 as number | undefined,
		about: 'seconds one generator request may take, its whole reply included (not retried)',
	},
	'generator.retries': {
		schema: z.coerce.number().int().min(0).max(10),
		expected: 'a whole number from 0 to 10',
		fallback: 2 as number | undefined,
		about: 'retries after a transient generator fault (429, 5xx, a dropped or cut-off reply)',
	},
	'defaults.rounds': {schema: z.coerce.number().int().min(1).max(1000), expected: 'a whole number from 1 to 1000', fallback: 5 as number | undefined, about: 'rounds per run'},
	'defaults.candidates': {
		schema: z.coerce.number().int().min(1).max(64),
		expected: 'a whole number from 1 to 64',
		fallback: 12 as number | undefined,
		about: 'candidate edits per round (N)',
	},
};

/** The settings, as stored. */
export type Settings = {
	/** The generator endpoint. */
	generator: {
		/** Base URL of an OpenAI-compatible API. */
		baseUrl: string;
		/** Model name. */
		model: string;
		/** API key, if stored here rather than in OPENAI_API_KEY. */
		apiKey?: string;
		/** Deadline of one request, in seconds. */
		timeout: number;
		/** Retries after a transient fault. */
		retries: number;
	};
	/** Defaults for runs. */
	defaults: {
		/** Rounds per run. */
		rounds: number;
		/** Candidate edits per round. */
		candidates: number;
	};
};

/** A setting's dotted name. */
export type SettingKey = keyof typeof definitions;
/** A setting's value type. */
export type SettingValue<K extends SettingKey> = (typeof definitions)[K]['fallback'];

/** One line of `gmpo config list`. */
export type SettingLine = {
	/** Dotted name. */
	key: SettingKey;
	/** The value as shown (the key masked); empty when unset. */
	value: string;
	/** Whether the user set it or it is the default. */
	source: 'set' | 'default' | 'unset';
	/** What it is for. */
	about: string;
};

/** Where to keep settings. */
export type ConfigOptions = {
	/** Config folder; default GMPO_CONFIG_DIR, else the platform's config folder for gmpo. */
	dir?: string;
};

/** The setting names, in listing order. */
export const settingKeys = Object.keys(definitions) as SettingKey[];

const secretKeys = new Set<SettingKey>(['generator.apiKey']);

function isKey(key: string): key is SettingKey {
	return Object.hasOwn(definitions, key);
}

function checkKey(key: string): SettingKey {
	if (!isKey(key)) throw new UserError(`unknown setting "${key}"; settings are ${settingKeys.join(', ')}`, {field: key});
	return key;
}

/**
 * Runs `use` on the settings store. Whatever goes wrong with the file (not JSON, unreadable, a folder, a read-only or
 * full disk) is one UserError naming it: conf reads the file at every access and throws its raw errors.
 */
function withStore<T>(options: ConfigOptions, action: 'read' | 'write', use: (conf: Conf<Record<string, unknown>>) => T): T {
	const dir = options.dir ?? process.env.GMPO_CONFIG_DIR;
	// conf makes its folder with a recursive mkdir, which spins forever where mkdir fails with ENOENT (/proc).
	if (dir) makeDirs(dir, 'the settings folder');
	let file = dir ? path.join(dir, 'config.json') : undefined;
	try {
		const conf = new Conf<Record<string, unknown>>({
			projectName: 'gmpo',
			projectSuffix: '',
			...(dir ? {cwd: dir} : {}),
			configFileMode: 0o600,
			// conf would take a list or a number for settings and carry on as if the file were empty.
			deserialize: (text: string) => {
				const value: unknown = JSON.parse(text);
				if (typeof value !== 'object' || value === null || Array.isArray(value)) {
					throw new UserError(`expected a JSON object of settings, got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value}; fix the file or remove it`, {file});
				}
				return value as Record<string, unknown>;
			},
		});
		file = conf.path;
		return use(conf);
	} catch (error) {
		if (error instanceof UserError) throw error;
		if (ioCode(error)) throw ioError(error, `${action} the settings`, file ?? 'settings');
		if (error instanceof SyntaxError) throw new UserError(`not valid JSON (${error.message}); fix the file or remove it`, {file});
		throw new UserError(`cannot ${action} the settings: ${(error as Error).message}`, {file});
	}
}

/** Masks a secret for display: only its last four characters, and only when it is long enough to stay secret. */
export function maskSecret(value: string): string {
	return value.length >= 16 ? `****${value.slice(-4)}` : '****';
}

/** The file the settings are kept in. */
export function settingsPath(options: ConfigOptions = {}): string {
	return withStore(options, 'read', conf => conf.path);
}

/** A setting's value: what the user set, else the default (validated: a hand-edited file gets a clear error). */
export function getSetting<K extends SettingKey>(key: K, options: ConfigOptions = {}): SettingValue<K> {
	checkKey(key);
	const {raw, file} = withStore(options, 'read', conf => ({raw: conf.get(key), file: conf.path}));
	if (raw === undefined) return definitions[key].fallback as SettingValue<K>;
	const parsed = definitions[key].schema.safeParse(raw);
	if (!parsed.success) throw new UserError(`expected ${definitions[key].expected}, got ${JSON.stringify(raw)}`, {file, field: key});
	return parsed.data as SettingValue<K>;
}

/** Sets a setting from what the user typed; the value is validated first. */
export function setSetting(key: string, value: string | number, options: ConfigOptions = {}): void {
	const k = checkKey(key);
	const parsed = definitions[k].schema.safeParse(typeof value === 'string' ? value.trim() : value);
	if (!parsed.success) throw new UserError(`invalid value ${JSON.stringify(value)}: expected ${definitions[k].expected}`, {field: k});
	withStore(options, 'write', conf => conf.set(k, parsed.data));
}

/** Removes a setting so its default applies again. */
export function unsetSetting(key: string, options: ConfigOptions = {}): void {
	const k = checkKey(key);
	withStore(options, 'write', conf => conf.delete(k));
}

/** Every setting, with secrets masked. */
export function listSettings(options: ConfigOptions = {}): SettingLine[] {
	const storedValues = withStore(options, 'read', conf => settingKeys.map(key => conf.get(key)));
	return settingKeys.map((key, i) => {
		const stored = storedValues[i];
		const value = stored ?? definitions[key].fallback;
		const shown = value === undefined ? '' : secretKeys.has(key) ? maskSecret(String(value)) : String(value);
		const source = stored !== undefined ? 'set' : value !== undefined ? 'default' : 'unset';
		return {key, value: shown, source, about: definitions[key].about};
	});
}

/** All settings as one object (defaults filled in). */
export function readSettings(options: ConfigOptions = {}): Settings {
	const apiKey = getSetting('generator.apiKey', options);
	return {
		generator: {
			baseUrl: getSetting('generator.baseUrl', options)!,
			model: getSetting('generator.model', options)!,
			...(apiKey ? {apiKey} : {}),
			timeout: getSetting('generator.timeout', options)!,
			retries: getSetting('generator.retries', options)!,
		},
		defaults: {rounds: getSetting('defaults.rounds', options)!, candidates: getSetting('defaults.candidates', options)!},
	};
}

/** The API key to use: OPENAI_API_KEY when set, else the stored one. Never print the result. */
export function resolveApiKey(env: NodeJS.ProcessEnv = process.env, options: ConfigOptions = {}): string | undefined {
	const fromEnv = env.OPENAI_API_KEY?.trim();
	return fromEnv ? fromEnv : getSetting('generator.apiKey', options);
}
