import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {
	getSetting,
	listSettings,
	maskSecret,
	readSettings,
	resolveApiKey,
	setSetting,
	settingsPath,
	unsetSetting,
} from '../source/config.js';
import {UserError} from '../source/errors.js';

const dirs: string[] = [];
after(() => {
	for (const dir of dirs) fs.rmSync(dir, {recursive: true, force: true});
});

function tempConfig(): {dir: string} {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-config-'));
	dirs.push(dir);
	return {dir};
}

const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz1234';

test('defaults apply until a setting is set, and come back when it is unset', () => {
	const options = tempConfig();
	assert.equal(getSetting('generator.baseUrl', options), 'https://api.openai.com/v1');
	assert.equal(getSetting('defaults.candidates', options), 12);
	assert.equal(getSetting('generator.apiKey', options), undefined);
	setSetting('generator.baseUrl', 'http://127.0.0.1:8000/v1', options);
	setSetting('defaults.rounds', '20', options);
	assert.equal(getSetting('generator.baseUrl', options), 'http://127.0.0.1:8000/v1');
	assert.equal(getSetting('defaults.rounds', options), 20);
	assert.deepEqual(readSettings(options), {
		generator: {baseUrl: 'http://127.0.0.1:8000/v1', model: 'gpt-4o-mini', timeout: 120, retries: 2},
		defaults: {rounds: 20, candidates: 12},
	});
	unsetSetting('defaults.rounds', options);
	assert.equal(getSetting('defaults.rounds', options), 5);
});

test('GMPO_CONFIG_DIR chooses the folder', () => {
	const {dir} = tempConfig();
	const saved = process.env.GMPO_CONFIG_DIR;
	process.env.GMPO_CONFIG_DIR = dir;
	try {
		setSetting('generator.model', 'llama3');
		assert.equal(path.dirname(settingsPath()), dir);
		assert.equal(getSetting('generator.model', {dir}), 'llama3');
	} finally {
		if (saved === undefined) delete process.env.GMPO_CONFIG_DIR;
		else process.env.GMPO_CONFIG_DIR = saved;
	}
});

test('bad names and values are UserErrors naming the setting', () => {
	const options = tempConfig();
	assert.throws(() => setSetting('generator.url', 'x', options), (error: unknown) => {
		assert.ok(error instanceof UserError);
		assert.equal(error.field, 'generator.url');
		assert.match(error.message, /unknown setting "generator\.url"; settings are generator\.baseUrl, /);
		return true;
	});
	assert.throws(() => setSetting('generator.baseUrl', 'not a url', options), {name: 'UserError', message: /invalid value/});
	assert.throws(() => setSetting('generator.baseUrl', 'ftp://host/v1', options), {name: 'UserError'});
	assert.throws(() => setSetting('defaults.rounds', 'many', options), {name: 'UserError'});
	assert.throws(() => setSetting('defaults.candidates', '0', options), {name: 'UserError'});
	// A hand-edited file with a bad value is reported with the file and the setting.
	fs.writeFileSync(settingsPath(options), JSON.stringify({defaults: {rounds: 'lots'}}));
	assert.throws(() => getSetting('defaults.rounds', options), (error: unknown) => {
		assert.ok(error instanceof UserError);
		assert.equal(error.field, 'defaults.rounds');
		assert.equal(error.file, settingsPath(options));
		return true;
	});
	const file = settingsPath(options);
	fs.writeFileSync(file, '{"defaults": ');
	assert.throws(() => listSettings(options), (error: unknown) => error instanceof UserError && error.file === file && /^not valid JSON \(.+\); fix the file or remove it$/.test(error.message));
});

test('list masks the API key; the settings file is private to its owner', () => {
	const options = tempConfig();
	setSetting('generator.apiKey', key, options);
	const lines = listSettings(options);
	assert.deepEqual(
		lines.map(l => l.key),
		['generator.baseUrl', 'generator.model', 'generator.apiKey', 'generator.timeout', 'generator.retries', 'defaults.rounds', 'defaults.candidates'],
	);
	const apiKey = lines.find(l => l.key === 'generator.apiKey')!;
	assert.equal(apiKey.value, '****1234');
	assert.equal(apiKey.source, 'set');
	assert.ok(!JSON.stringify(lines).includes(key.slice(0, 12)));
	assert.equal(lines.find(l => l.key === 'defaults.rounds')!.source, 'default');
	assert.equal(fs.statSync(settingsPath(options)).mode & 0o777, 0o600);
	assert.equal(maskSecret('short'), '****');
});

test('OPENAI_API_KEY takes precedence over the stored key', () => {
	const options = tempConfig();
	assert.equal(resolveApiKey({}, options), undefined);
	setSetting('generator.apiKey', key, options);
	assert.equal(resolveApiKey({}, options), key);
	assert.equal(resolveApiKey({OPENAI_API_KEY: 'sk-from-env-000000000'}, options), 'sk-from-env-000000000');
	assert.equal(resolveApiKey({OPENAI_API_KEY: '  '}, options), key);
});
