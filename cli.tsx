#!/usr/bin/env node
import meow from 'meow';
import './source/commands/all.js';
import {runCli} from './source/commands/index.js';

const cli = meow(
	`
	Usage
	  $ gmpo                        pick a saved session to resume, or a task to start (terminal UI)
	  $ gmpo <command> [options]

	Commands
	  demo                          the bundled demo task in the terminal UI (npm start)
	  optimize <task>               a new session from a task file (terminal UI; --auto: headless)
	  resume <session>              continue a saved session (terminal UI; --auto: headless)
	  judges check <dir>            check a judge folder (gradients, loss, finite-difference spot check)
	  judges build-demo <out-dir>   write a small random-weight judge folder (for trying the tool)

	Options
	  --json      machine-readable output
	  NO_COLOR=1  no colour in the terminal UI (signs and glyphs carry the meaning)
	  --help      this text
	  --version   the version
`,
	{
		importMeta: import.meta,
		flags: {
			json: {type: 'boolean', default: false},
			prompt: {type: 'string'},
			maxTokens: {type: 'string'},
			auto: {type: 'boolean', default: false},
			rounds: {type: 'string'},
			judges: {type: 'string'},
			heldout: {type: 'string'},
			generator: {type: 'string'},
			baseUrl: {type: 'string'},
			model: {type: 'string'},
			racing: {type: 'string'},
			session: {type: 'string'},
			out: {type: 'string'},
			method: {type: 'string'},
			split: {type: 'string'},
		},
	},
);

const code = await runCli(cli.input, cli.flags);
process.exitCode = code;
