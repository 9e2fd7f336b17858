/**
 * `gmpo judges import-hf <hf-folder> [<out-dir>]`: convert a Hugging Face checkpoint folder into a judge folder
 * (source/hf/import-hf.ts), with the weights' conversion shown as progress on stderr.
 */
import {defaultJudgeDir, importHf} from '../judges/import-hf.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import type {Command} from './types.js';

/** `gmpo judges import-hf` with the given outside world. */
export function createImportHfCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'judges import-hf',
		run: (args, flags) => runImport(args, flags, defaultDeps(overrides)),
	};
}

export const importHfCommand = createImportHfCommand();

async function runImport(args: string[], flags: Record<string, unknown>, deps: CommandDeps): Promise<number> {
	{
		const tty = deps.stderr.isTTY === true;
		const controller = new AbortController();
		const stop = () => controller.abort();
		for (const s of deps.signals) process.once(s, stop);
		let shown = -1;
		const started = Date.now();
		try {
			const summary = await importHf(args[0]!, args[1], {
				signal: controller.signal,
				onProgress(done, total) {
					const percent = Math.floor((100 * done) / Math.max(1, total));
					if (!tty || percent === shown) return;
					shown = percent;
					deps.stderr.write(`\r\u001B[2Kconverting weights ${percent}% (${(done / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB)`);
				},
			});
			if (tty && shown >= 0) deps.stderr.write('\r\u001B[2K');
			const seconds = (Date.now() - started) / 1000;
			if (flags.json === true) {
				deps.stdout.write(`${JSON.stringify({...summary, seconds})}\n`);
			} else {
				deps.stdout.write(
					`wrote judge "${summary.name}" to ${summary.dir} (${summary.architecture}, ${summary.parameters.toLocaleString('en-US')} parameters, ${summary.format} format) in ${seconds.toFixed(1)} s\n` +
						`check it with: gmpo judges check ${summary.dir}\n`,
				);
			}
			return 0;
		} catch (error) {
			if (controller.signal.aborted) {
				deps.stderr.write(`${tty ? '\r\u001B[2K' : ''}gmpo: import cancelled; nothing was written to ${args[1] ?? defaultJudgeDir(args[0]!)}\n`);
				return 130;
			}
			throw error;
		} finally {
			for (const s of deps.signals) process.off(s, stop);
		}
	}
}
