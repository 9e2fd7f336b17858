/**
 * `gmpo sessions [--json]`: every saved session, newest first: id, name, task, rounds, best loss, last update. A
 * session that cannot be read is listed with the reason instead of failing the listing. `gmpo sessions rm <id>` removes
 * one (refused while a running gmpo has it open).
 */
import {listSessions, removeSession} from '../sessions/store.js';
import {defaultDeps, type CommandDeps} from './deps.js';
import {dataTable} from './table.js';
import type {Command} from './types.js';

/** The sessions command with the given outside world. */
export function createSessionsCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'sessions',
		async run(_args, flags) {
			const deps = defaultDeps(overrides);
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


/** `gmpo sessions rm <id>` with the given outside world. */
export function createSessionsRmCommand(overrides: Partial<CommandDeps> = {}): Command {
	return {
		name: 'sessions rm',
		async run(args) {
			const deps = defaultDeps(overrides);
			const [id] = args;
			removeSession(id, {dir: deps.sessionsDir});
			deps.stdout.write(`removed session ${id}\n`);
			return 0;
		},
	};
}

export const sessionsCommand = createSessionsCommand();
export const sessionsRmCommand = createSessionsRmCommand();
