/**
 * `gmpo judges check|generate|import-llama2c`: inspect, run and import judge models.
 */
import {UserError} from '../errors.js';
import {checkJudge, type CheckReport} from '../judges/check.js';
import {greedyFromIds} from '../judges/generate.js';
import {resolveJudge} from '../judges/judge-set.js';
import {importLlama2c} from '../judges/llama2c-import.js';
import {OnnxJudge} from '../judges/onnx-judge.js';
import {OrtPool} from '../judges/pool.js';
import {dataTable} from './table.js';
import type {Command, Flags} from './types.js';

function needArgs(args: string[], count: number, usage: string): void {
	if (args.length !== count) {
		throw new UserError(`expected ${count} argument${count === 1 ? '' : 's'}: gmpo ${usage}`);
	}
}

async function printCheck(r: CheckReport): Promise<void> {
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
	process.stdout.write(await dataTable(['CHECK', 'RESULT'], rows));
}

export const judgesCheckCommand: Command = {
	name: 'judges check',
	usage: 'gmpo judges check <dir|name> [--json]   check a judge folder (gradients, loss, finite-difference spot check)',
	async run(args: string[], flags: Flags) {
		needArgs(args, 1, 'judges check <dir|name>');
		const pool = new OrtPool();
		try {
			const report = await checkJudge(resolveJudge(args[0]!), pool);
			if (flags.json) {
				process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
			} else {
				await printCheck(report);
			}
			return report.spotCheck && !report.spotCheck.ok ? 1 : 0;
		} finally {
			await pool.close();
		}
	},
};

export const judgesGenerateCommand: Command = {
	name: 'judges generate',
	usage: 'gmpo judges generate <dir|name> [--prompt TEXT] [--max-tokens N]   greedy decoding (from BOS without a prompt)',
	async run(args: string[], flags: Flags) {
		needArgs(args, 1, 'judges generate <dir|name> [--prompt TEXT] [--max-tokens N]');
		const maxTokens = flags.maxTokens === undefined ? 64 : Number(flags.maxTokens);
		if (!Number.isInteger(maxTokens) || maxTokens < 1) {
			throw new UserError(`--max-tokens must be a positive whole number, got ${String(flags.maxTokens)}`, {field: '--max-tokens'});
		}
		const pool = new OrtPool({workers: 1});
		try {
			const judge = await OnnxJudge.open(resolveJudge(args[0]!), {pool});
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
			process.stdout.write(flags.json ? `${JSON.stringify({prompt: text, text: out, tokens: ids!.length})}\n` : `${text}${out}\n`);
			return 0;
		} finally {
			await pool.close();
		}
	},
};

export const judgesImportCommand: Command = {
	name: 'judges import-llama2c',
	usage: 'gmpo judges import-llama2c <checkpoint.bin> <tokenizer.bin> <out-dir>   convert a llama2.c model into a judge folder',
	async run(args: string[], flags: Flags) {
		needArgs(args, 3, 'judges import-llama2c <checkpoint.bin> <tokenizer.bin> <out-dir>');
		const {name, config} = importLlama2c(args[0]!, args[1]!, args[2]!);
		const summary = {name, dir: args[2], layers: config.numHiddenLayers, hidden: config.hiddenSize, vocab: config.vocabSize, context: config.maxPositionEmbeddings};
		process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `wrote judge "${name}" to ${args[2]} (Llama, ${config.numHiddenLayers} layers, width ${config.hiddenSize}, vocabulary ${config.vocabSize}, context ${config.maxPositionEmbeddings})\n`);
		return 0;
	},
};
