/**
 * `gmpo judges check|generate|import-llama2c`: inspect, run and import judge models. Like every command they reach
 * the outside world through CommandDeps: output streams, and the worker pool the judge runs on.
 */
import {UserError} from '../errors.js';
import {checkJudge, type CheckReport} from '../judges/check.js';
import {greedyFromIds} from '../judges/generate.js';
import {resolveJudge} from '../judges/judge-set.js';
import {importLlama2c} from '../judges/llama2c-import.js';
import {OnnxJudge} from '../judges/onnx-judge.js';
import {isServerJudgeFolder} from '../judges/server-config.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {dataTable} from './table.js';
import type {Command} from './types.js';

/** The check's report as a table (CHECK | RESULT). */
async function describeCheck(r: CheckReport): Promise<string> {
	const rows = [
		['judge', `${r.name} (${r.family})${r.heldout ? ', held out' : ''}`],
		['parameters', r.parameters.toLocaleString('en-US')],
		['vocabulary', String(r.vocabSize)],
		['context', `${r.contextLength ?? 'unknown'} tokens`],
		['gradients', r.gradient.available ? 'available (one forward + one backward pass)' : `not available: ${r.gradient.reason} (leave-one-out is used)`],
		['sample loss', `${r.sampleLoss.toFixed(4)} nats/token`],
	];
	if (r.spotCheck) {
		const s = r.spotCheck;
		rows.push(['spot check', `segment ${s.segment}: gradient ${s.gradient.toExponential(3)}, finite difference ${s.finiteDifference.toExponential(3)} (relative error ${(100 * s.relativeError).toFixed(2)}%) ${s.ok ? 'ok' : 'MISMATCH'}`]);
	}
	return dataTable(['CHECK', 'RESULT'], rows);
}

/** `gmpo judges check` with the given outside world. */
export function createJudgesCheckCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'judges check',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const dir = resolveJudge(args[0]!);
			if (await isServerJudgeFolder(dir)) return (await import('../judges/server-check.js')).runServerCheck(dir, flags.json === true, deps.stdout);
			const pool = await deps.openPool();
			try {
				const report = await checkJudge(dir, pool);
				deps.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : await describeCheck(report));
				return report.spotCheck && !report.spotCheck.ok ? 1 : 0;
			} finally {
				await pool.close();
			}
		},
	};
}

/** `gmpo judges generate` with the given outside world. */
export function createJudgesGenerateCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'judges generate',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const maxTokens = flags.maxTokens === undefined ? 64 : Number(flags.maxTokens);
			if (!Number.isInteger(maxTokens) || maxTokens < 1) {
				throw new UserError(`--max-tokens must be a positive whole number, got ${String(flags.maxTokens)}`, {field: '--max-tokens'});
			}
			const dir = resolveJudge(args[0]!);
			const pool = await deps.openPool({workers: 1});
			try {
				const judge = await OnnxJudge.open(dir, {pool});
				const folder = judge.folder;
				const text = typeof flags.prompt === 'string' ? flags.prompt : '';
				const encoded = text ? (await folder.tokenizer.encode(text)).ids : [];
				const prefix = [...(folder.framing.prefix ?? []), ...encoded];
				if (prefix.length === 0) {
					const bos = folder.specialTokens.bos_token ? folder.tokenizer.tokenId(folder.specialTokens.bos_token) : undefined;
					if (bos === undefined) {
						throw new UserError(`judge "${judge.info.name}" has no BOS token to start from: give --prompt`, {field: '--prompt'});
					}
					prefix.push(bos);
				}
				const stops = [folder.specialTokens.eos_token, folder.specialTokens.bos_token].flatMap(t => (t === undefined ? [] : [folder.tokenizer.tokenId(t)])).filter((id): id is number => id !== undefined);
				const [ids] = await greedyFromIds(judge, [prefix], maxTokens, stops);
				const out = await folder.tokenizer.decode(ids!, {skipSpecialTokens: true});
				deps.stdout.write(flags.json === true ? `${JSON.stringify({prompt: text, text: out, tokens: ids!.length})}\n` : `${text}${out}\n`);
				return 0;
			} finally {
				await pool.close();
			}
		},
	};
}

/** `gmpo judges import-llama2c` with the given outside world. */
export function createJudgesImportCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'judges import-llama2c',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const {name, config} = importLlama2c(args[0]!, args[1]!, args[2]!);
			const summary = {name, dir: args[2], layers: config.numHiddenLayers, hidden: config.hiddenSize, vocab: config.vocabSize, context: config.maxPositionEmbeddings};
			deps.stdout.write(
				flags.json === true
					? `${JSON.stringify(summary)}\n`
					: `wrote judge "${name}" to ${args[2]} (Llama, ${config.numHiddenLayers} layers, width ${config.hiddenSize}, vocabulary ${config.vocabSize}, context ${config.maxPositionEmbeddings})\n`,
			);
			return 0;
		},
	};
}

export const judgesCheckCommand = createJudgesCheckCommand();
export const judgesGenerateCommand = createJudgesGenerateCommand();
export const judgesImportCommand = createJudgesImportCommand();

export {importHfCommand as judgesImportHfCommand} from './import-hf.js';
