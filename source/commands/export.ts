/**
 * `gmpo export <id> [--out DIR]`: the session's final prompt (prompt.txt), report.md with one SVG chart per judge
 * beside it, and a self-contained report.html. The session is only read. Default folder: <session>/export.
 */
import fs from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from '../atomic-write.js';
import {buildReport, chartFile} from '../engine/report.js';
import {ioError, makeDirs} from '../fs-errors.js';
import {loadSession} from '../sessions/store.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {stringFlag} from './flags.js';
import type {Command} from './types.js';


/** The export command with the given outside world. */
export function createExportCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'export',
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			const [id] = args;
			const {state, warnings} = loadSession(id, {dir: deps.sessionsDir});
			for (const w of warnings) deps.stderr.write(`note: ${w}\n`);
			const out = path.resolve(stringFlag(flags, 'out', '--out') ?? path.join(deps.sessionsDir, id, 'export'));
			// An export that fails (a full disk) leaves no half-made folder behind, inside the session folder least of all.
			const made = !fs.existsSync(out);
			makeDirs(out, 'the export folder');
			const report = buildReport(state);
			const files = {
				prompt: path.join(out, 'prompt.txt'),
				markdown: path.join(out, 'report.md'),
				html: path.join(out, 'report.html'),
				charts: Object.keys(report.charts).map(j => path.join(out, chartFile(j))),
			};
			const write = (file: string, text: string) => {
				try {
					writeFileAtomic(file, text);
				} catch (error) {
					throw ioError(error, 'write the export', file);
				}
			};
			try {
				write(files.prompt, `${report.prompt}\n`);
				write(files.markdown, report.markdown);
				write(files.html, report.html);
				for (const [judge, svg] of Object.entries(report.charts)) write(path.join(out, chartFile(judge)), svg);
			} catch (error) {
				if (made) fs.rmSync(out, {recursive: true, force: true});
				throw error;
			}
			deps.stdout.write(flags.json === true ? `${JSON.stringify({session: id, ...files}, null, 2)}\n` : `wrote ${files.prompt}, ${files.markdown} and ${files.html}\n`);
			return 0;
		},
	};
}

export const exportCommand = createExportCommand();
