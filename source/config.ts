/**
 * User settings (generator endpoint, model, key; default rounds and candidates) through `conf`, the only module
 * that imports it. The folder is the platform's config folder, or GMPO_CONFIG_DIR when set (tests use a temp dir).
 * The file may hold an API key, so it is created readable by the owner only, and listings mask the key.
 */
import path from 'node:path';
import Conf from 'conf';
import {z} from 'zod';
import {UserError} from './errors.js';

/** Every setting with its schema (how a typed-in string becomes a value), default and description. */
const definitions = {
	'generator.baseUrl': {
		schema: z.url({protocol: /^https?$/}),
		fallback: 'https://api.openai.com/v1' as string | undefined,
		about: 'OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama)',
	},
	'generator.model': {schema: z.string().min(1), fallback: 'gpt-4o-mini' as string | undefined, about: 'generator model name'},
	'generator.apiKey': {
		schema: z.string().min(1),
		fallback: undefined as string | undefined,
		about: 'API key (OPENAI_API_KEY takes precedence); shown masked',
	},
	'generator.timeout': {
		schema: z.coerce.number().positive().max(86_400),
		fallback: 120 as number | undefined,
		about: 'seconds one generator request may take, its whole reply included (not retried)',
	},
	'generator.retries': {
		schema: z.coerce.number().int().min(0).max(10),
		fallback: 2 as number | undefined,
		about: 'retries after a transient generator fault (429, 5xx, a dropped or cut-off reply)',
	},
	'defaults.rounds': {schema: z.coerce.number().int().min(1).max(1000), fallback: 5 as number | undefined, about: 'rounds per run'},
	'defaults.candidates': {
		schema: z.coerce.number().int().min(1).max(64),
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

function store(options: ConfigOptions): Conf<Record<string, unknown>> {
	const dir = options.dir ?? process.env.GMPO_CONFIG_DIR;
	try {
		return new Conf<Record<string, unknown>>({
			projectName: 'gmpo',
			projectSuffix: '',
			...(dir ? {cwd: dir} : {}),
			configFileMode: 0o600,
		});
	} catch (error) {
		// Conf names the file only in some of its errors; name it when we know where it is.
		const file = dir ? path.join(dir, 'config.json') : undefined;
		throw new UserError(`cannot read the settings: ${(error as Error).message}`, {file});
	}
}

/** Masks a secret for display: only its last four characters, and only when it is long enough to stay secret. */
export function maskSecret(value: string): string {
	return value.length >= 16 ? `****${value.slice(-4)}` : '****';
}

/** The file the settings are kept in. */
export function settingsPath(options: ConfigOptions = {}): string {
	return store(options).path;
}

/** A setting's value: what the user set, else the default (validated: a hand-edited file gets a clear error). */
export function getSetting<K extends SettingKey>(key: K, options: ConfigOptions = {}): SettingValue<K> {
	checkKey(key);
	const conf = store(options);
	const raw = conf.get(key);
	if (raw === undefined) return definitions[key].fallback as SettingValue<K>;
	const parsed = definitions[key].schema.safeParse(raw);
	if (!parsed.success) throw new UserError(parsed.error.issues[0].message, {file: conf.path, field: key});
	return parsed.data as SettingValue<K>;
}

/** Sets a setting from what the user typed; the value is validated first. */
export function setSetting(key: string, value: string | number, options: ConfigOptions = {}): void {
	const k = checkKey(key);
	const parsed = definitions[k].schema.safeParse(typeof value === 'string' ? value.trim() : value);
	if (!parsed.success) throw new UserError(`invalid value: ${parsed.error.issues[0].message}`, {field: k});
	store(options).set(k, parsed.data);
}

/** Removes a setting so its default applies again. */
export function unsetSetting(key: string, options: ConfigOptions = {}): void {
	store(options).delete(checkKey(key));
}

/** Every setting, with secrets masked. */
export function listSettings(options: ConfigOptions = {}): SettingLine[] {
	const conf = store(options);
	return settingKeys.map(key => {
		const stored = conf.get(key);
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
