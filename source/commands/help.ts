/**
 * The help texts, made only from the command specs of the registry (commands/all.ts): the list of commands, the
 * help of one command (usage, summary, every flag it accepts) and of a group ("gmpo judges").
 */
import type {CommandSpec, FlagSpec} from './types.js';

/** Flags every command understands. */
export const globalFlags: FlagSpec[] = [
	{name: 'help', type: 'boolean', about: 'this text (also -h, or `gmpo help <command>`)'},
	{name: 'version', type: 'boolean', about: "gmpo's version"},
];

/** How a command is written: "gmpo optimize <task> [options]". */
export function usageLine(spec: CommandSpec): string {
	return ['gmpo', spec.name, ...spec.args, spec.flags.length > 0 ? '[options]' : ''].filter(Boolean).join(' ');
}

/** A flag as written in help: "--rounds N". */
export function flagLabel(flag: FlagSpec): string {
	return flag.type === 'boolean' ? `--${flag.name}` : `--${flag.name} ${flag.value ?? 'VALUE'}`;
}

/** Left column entries longer than this get their text on the next line, so one long entry does not widen all. */
const COLUMN = 30;

/** Two columns, the first padded to its widest entry (up to COLUMN). */
function columns(rows: [string, string][], indent = '  '): string[] {
	const width = Math.min(COLUMN, Math.max(0, ...rows.map(([left]) => left.length)));
	return rows.flatMap(([left, right]) =>
		left.length > width ? [`${indent}${left}`, `${indent}${' '.repeat(width)}  ${right}`] : [`${indent}${left.padEnd(width)}  ${right}`.trimEnd()],
	);
}

/** `gmpo --help`: every command, and how to get more. */
export function generalHelp(specs: readonly CommandSpec[]): string {
	const commands = specs.filter(s => s.name !== '');
	const picker = specs.find(s => s.name === '');
	const rows: [string, string][] = commands.map(s => [[s.name, ...s.args].join(' '), s.summary]);
	return [
		'gmpo: Gradient-guided Multi-judge Prompt Optimization',
		'',
		'Usage',
		...columns([
			...(picker ? [['gmpo', picker.summary] as [string, string]] : []),
			['gmpo <command> [options]', 'run a command'],
			['gmpo help <command>', "a command's options (or: gmpo <command> --help)"],
		]),
		'',
		'Commands',
		...columns(rows),
		'',
		...(picker && picker.flags.length > 0 ? ['Options of gmpo with no command (for the runs started from the picker)', ...columns(picker.flags.map(f => [flagLabel(f), f.about])), ''] : []),
		'Options',
		...columns(globalFlags.map(f => [flagLabel(f), f.about])),
		'',
		'Environment',
		...columns([
			['OPENAI_API_KEY', 'key of the generator endpoint (or `gmpo config set generator.apiKey`)'],
			['GMPO_SESSIONS_DIR', 'where sessions are saved (default ./sessions)'],
			['GMPO_CONFIG_DIR', 'where the settings file is kept (`gmpo config list` shows it)'],
			['GMPO_CACHE_DIR', 'where judge graphs are cached (default ~/.cache/gmpo)'],
			['NO_COLOR=1', 'no colour in the terminal UI (signs and glyphs carry the meaning)'],
		]),
		'',
	].join('\n');
}

/** `gmpo help <command>`: usage, summary, details and every flag. */
export function commandHelp(spec: CommandSpec): string {
	return [
		`Usage: ${usageLine(spec)}`,
		'',
		spec.summary,
		...(spec.details ? ['', ...spec.details] : []),
		'',
		'Options',
		...columns([...spec.flags, ...globalFlags.filter(f => f.name === 'help')].map(f => [flagLabel(f), f.about])),
		'',
	].join('\n');
}

/** `gmpo judges --help`: the commands of a group. */
export function groupHelp(group: string, specs: readonly CommandSpec[]): string {
	const members = specs.filter(s => s.name.startsWith(`${group} `));
	return [
		`Usage: gmpo ${group} <command> [options]`,
		'',
		'Commands',
		...columns(members.map(s => [[s.name, ...s.args].join(' '), s.summary])),
		'',
		`Run \`gmpo help ${group} <command>\` for a command's options.`,
		'',
	].join('\n');
}
