/**
 * `gmpo config list|get|set|unset`: the settings kept through conf (generator endpoint, model, key, timeout,
 * retries; run defaults). The API key is shown masked, and a typed-in value is validated before it is stored.
 */
import fs from 'node:fs';
import {getSetting, listSettings, maskSecret, setSetting, settingKeys, settingsPath, unsetSetting, type SettingKey} from '../config.js';
import {UserError} from '../errors.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {table} from './table.js';
import type {Command} from './types.js';

function known(key: string): SettingKey {
	if (!settingKeys.includes(key as SettingKey)) {
		throw new UserError(`unknown setting "${key}"; settings are ${settingKeys.join(', ')}`, {field: key});
	}
	return key as SettingKey;
}

/** The config commands with the given outside world. */
export function createConfigCommands(overrides: Partial<CommandDeps> = {}): Record<'list' | 'get' | 'set' | 'unset', Command> {
	return {
		list: {
			name: 'config list',
			async run(_args, flags) {
				const deps = defaultDeps(overrides);
				const settings = listSettings();
				const file = settingsPath();
				if (flags.json === true) {
					deps.stdout.write(`${JSON.stringify({file, settings}, null, 2)}\n`);
				} else {
					deps.stdout.write(table(['KEY', 'VALUE', 'SOURCE', 'ABOUT'], settings.map(l => [l.key, l.value, l.source, l.about])));
					deps.stdout.write(`settings file: ${file}${fs.existsSync(file) ? '' : ' (not written yet: every value is a default)'}\n`);
				}
				return 0;
			},
		},
		get: {
			name: 'config get',
			async run([key], flags) {
				const deps = defaultDeps(overrides);
				const value = getSetting(known(key));
				const shown = value === undefined ? '' : key === 'generator.apiKey' ? maskSecret(String(value)) : String(value);
				deps.stdout.write(flags.json === true ? `${JSON.stringify({key, value: value === undefined ? null : shown})}\n` : `${shown}\n`);
				return 0;
			},
		},
		set: {
			name: 'config set',
			async run([key, value]) {
				const deps = defaultDeps(overrides);
				setSetting(key, value);
				deps.stderr.write(`set ${key}\n`);
				return 0;
			},
		},
		unset: {
			name: 'config unset',
			async run([key]) {
				const deps = defaultDeps(overrides);
				unsetSetting(key);
				deps.stderr.write(`unset ${key}\n`);
				return 0;
			},
		},
	};
}

export const configCommands = createConfigCommands();
