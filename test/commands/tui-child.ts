/**
 * A gmpo process for the hang-up tests: `gmpo optimize <task>` or `gmpo resume <id>` in the TUI, with fake judges
 * and this process's stdin posing as a terminal. It prints "ready" on stderr once the round is running (the TUI is
 * up, its signal handlers are in place), so the test hangs up at a known point, not after a guessed delay.
 * Arguments: sessions folder, then the command's arguments (`--rounds N` is passed as that flag).
 */
import {createOptimizeCommand, createResumeCommand} from '../../source/commands/optimize.js';
import type {CommandDeps, JudgeFactory} from '../../source/commands/deps.js';
import type {JudgeExample} from '../../source/judges/types.js';
import {FakeJudge, toyRules} from '../engine/fakes.js';

const [sessionsDir, command, ...rest] = process.argv.slice(2);
const at = rest.indexOf('--rounds');
const flags = at < 0 ? {} : {rounds: rest[at + 1]};
const args = at < 0 ? rest : [...rest.slice(0, at), ...rest.slice(at + 2)];

class ReadyJudge extends FakeJudge {
	override async attribute(segments: readonly string[], examples: readonly JudgeExample[], signal?: AbortSignal) {
		process.stderr.write('ready\n');
		return super.attribute(segments, examples, signal);
	}
}

const judges: JudgeFactory = async names => ({judges: (names ?? ['a', 'b']).map(n => new ReadyJudge(n, {rules: toyRules})), close: async () => {}});
// Ink asks the terminal for raw mode; a pipe has none, so this one pretends.
Object.assign(process.stdin, {isTTY: true, setRawMode: () => process.stdin});

const deps: Partial<CommandDeps> = {
	openJudges: judges,
	stdout: {write: () => true, isTTY: true},
	stderr: process.stderr,
	stdinIsTTY: true,
	env: {},
	sessionsDir,
	signals: ['SIGINT', 'SIGTERM'],
	interactive: async run => (await import('../../source/commands/interactive.js')).runInteractive(run, deps as CommandDeps),
};
const make = command === 'resume' ? createResumeCommand : createOptimizeCommand;
process.exitCode = await make(deps).run(args, flags);
