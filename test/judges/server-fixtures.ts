/**
 * Server judge folders for tests: a judge.json of kind "server" whose text settings (format, BOS, EOS, context) are
 * those of a bundled judge, and whose tokenizer folder is that judge's folder; so the server judge renders and
 * tokenises as the bundled judge does and its losses can be compared with the local judge's.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {bundledModelsDir} from '../../source/judges/judge-set.js';
import type {ServerJudgeConfigInput} from '../../source/judges/server-config.js';
import {tempDir} from '../engine/fakes.js';

/** The bundled judge the loopback server runs and the server judges mirror. */
export const MIRRORED = 'llama-a';

/** Its folder. */
export const mirroredDir = (): string => path.join(bundledModelsDir(), MIRRORED);

/** Writes a server judge folder into `dir` (default: a new temporary folder, removed at exit); fields override the defaults. */
export function writeServerJudge(fields: Partial<ServerJudgeConfigInput> & {url: string}, dir?: string): string {
	const local = JSON.parse(readFileSync(path.join(mirroredDir(), 'judge.json'), 'utf8')) as Record<string, unknown>;
	const folder = dir ?? tempDir('gmpo-server-judge-');
	const config: ServerJudgeConfigInput = {
		kind: 'server',
		name: 'served',
		engine: 'vllm',
		model: 'served-model',
		tokenizer: mirroredDir(),
		format: local.format as ServerJudgeConfigInput['format'],
		maxTokens: local.maxTokens as number,
		bos: local.bos as 'always',
		eos: local.eos as 'always',
		bosToken: local.bosToken as string,
		eosToken: local.eosToken as string,
		...fields,
	};
	writeFileSync(path.join(folder, 'judge.json'), JSON.stringify(config, null, 2));
	return folder;
}
