/**
 * `gmpo sessions [--json]`: every saved session, newest first: id, name, task, rounds, best loss, last update. A session
 * that cannot be read is listed with the reason instead of failing the listing.
 */
import {listSessions} from '../sessions/store.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {expectArgs} from './flags.js';
import {dataTable} from './table.js';
import type {Command} from './types.js';

const usage = 'gmpo sessions [--json]';

/** The sessions command with the given outside world. */
export function createSessionsCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'sessions',
		usage,
		async run(args, flags) {
			const deps = defaultDeps(overrides);
			expectArgs(args, 0, usage);
			const sessions = listSessions({dir: deps.sessionsDir});
			if (flags.json === true) {
				const rows = sessions.map(({dir: _, ...s}) => s);
				deps.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
				return 0;
			}
			if (sessions.length === 0) {
				deps.stdout.write(`no sessions in ${deps.sessionsDir}\n`);
				return 0;
			}
			const rows = sessions.map(s =>
				s.error
					? [s.id, '', '(unreadable)', '', '', s.error]
					: [s.id, s.name ?? '', s.task ?? '', String(s.rounds ?? 0), s.bestLoss === undefined ? '' : s.bestLoss.toFixed(4), s.lastUpdate ?? ''],
			);
			// The name column only when a session has a name.
			const named = sessions.some(x => x.name);
			const header = ['ID', 'NAME', 'TASK', 'ROUNDS', 'BEST LOSS', 'LAST UPDATE'];
			const keep = (r: readonly string[]) => (named ? r : r.filter((_, i) => i !== 1));
			deps.stdout.write(await dataTable(keep(header), rows.map(keep)));
			return 0;
		},
	};
}

export const sessionsCommand = createSessionsCommand();
