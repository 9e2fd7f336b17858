/**
 * `gmpo config get|set|unset|list`: the settings kept through conf (generator endpoint, model, key; defaults). The
 * API key is shown masked, and a typed-in value is validated before it is stored.
 */
import {getSetting, listSettings, maskSecret, setSetting, settingKeys, unsetSetting, type SettingKey} from '../config.js';
import {UserError} from '../errors.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {expectArgs} from './flags.js';
import {table} from './table.js';
import type {Command} from './types.js';

const usage = 'gmpo config get <key> | set <key> <value> | unset <key> | list [--json]';

function known(key: string): SettingKey {
	if (!settingKeys.includes(key as SettingKey)) {
		throw new UserError(`unknown setting "${key}"; settings are ${settingKeys.join(', ')}`, {field: key});
	}
	return key as SettingKey;
}

/** The config command with the given outside world. */
export function createConfigCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'config',
		usage,
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const [action, ...rest] = args;
			switch (action) {
				case 'get': {
					const [key] = expectArgs(rest, 1, 'gmpo config get <key>');
					const value = getSetting(known(key));
					const shown = value === undefined ? '' : key === 'generator.apiKey' ? maskSecret(String(value)) : String(value);
					deps.stdout.write(flags.json === true ? `${JSON.stringify({key, value: value === undefined ? null : shown})}\n` : `${shown}\n`);
					return 0;
				}
				case 'set': {
					const [key, value] = expectArgs(rest, 2, 'gmpo config set <key> <value>');
					setSetting(key, value);
					deps.stderr.write(`set ${key}\n`);
					return 0;
				}
				case 'unset': {
					const [key] = expectArgs(rest, 1, 'gmpo config unset <key>');
					unsetSetting(key);
					deps.stderr.write(`unset ${key}\n`);
					return 0;
				}
				case 'list': {
					expectArgs(rest, 0, 'gmpo config list [--json]');
					const lines = listSettings();
					if (flags.json === true) deps.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
					else deps.stdout.write(table(['KEY', 'VALUE', 'SOURCE', 'ABOUT'], lines.map(l => [l.key, l.value, l.source, l.about])));
					return 0;
				}
				default:
					throw new UserError(action === undefined ? `missing action; usage: ${usage}` : `unknown action "${action}"; usage: ${usage}`);
			}
		},
	};
}

export const configCommand = createConfigCommand();
