/**
 * `gmpo judges import-hf <hf-folder> [<out-dir>]`: convert a Hugging Face checkpoint folder into a judge folder
 * (source/hf/import-hf.ts), with the weights' conversion shown as progress on stderr.
 */
import {UserError} from '../errors.js';
import {defaultJudgeDir, importHf} from '../hf/import-hf.js';
import type {Command} from './types.js';

const usage = 'gmpo judges import-hf <hf-folder> [<out-dir>]   convert a Hugging Face checkpoint (config.json, safetensors, tokenizer.json) into a judge folder';

export const importHfCommand: Command = {
	name: 'judges import-hf',
	usage,
	async run(args, flags) {
		if (args.length < 1 || args.length > 2) {
			throw new UserError('expected 1 or 2 arguments: gmpo judges import-hf <hf-folder> [<out-dir>]');
		}
		const tty = process.stderr.isTTY === true;
		const controller = new AbortController();
		const stop = () => controller.abort();
		process.once('SIGINT', stop);
		let shown = -1;
		const started = Date.now();
		try {
			const summary = await importHf(args[0]!, args[1], {
				signal: controller.signal,
				onProgress(done, total) {
					const percent = Math.floor((100 * done) / Math.max(1, total));
					if (!tty || percent === shown) return;
					shown = percent;
					process.stderr.write(`\r\u001B[2Kconverting weights ${percent}% (${(done / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB)`);
				},
			});
			if (tty && shown >= 0) process.stderr.write('\r\u001B[2K');
			const seconds = (Date.now() - started) / 1000;
			if (flags.json === true) {
				process.stdout.write(`${JSON.stringify({...summary, seconds})}\n`);
			} else {
				process.stdout.write(
					`wrote judge "${summary.name}" to ${summary.dir} (${summary.architecture}, ${summary.parameters.toLocaleString('en-US')} parameters, ${summary.format} format) in ${seconds.toFixed(1)} s\n` +
						`check it with: gmpo judges check ${summary.dir}\n`,
				);
			}
			return 0;
		} catch (error) {
			if (controller.signal.aborted) {
				process.stderr.write(`${tty ? '\r\u001B[2K' : ''}gmpo: import cancelled; nothing was written to ${args[1] ?? defaultJudgeDir(args[0]!)}\n`);
				return 130;
			}
			throw error;
		} finally {
			process.off('SIGINT', stop);
		}
	},
};
