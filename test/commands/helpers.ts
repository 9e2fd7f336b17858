/**
 * Helpers for command tests: the CLI as a child process (`node --import tsx cli.tsx ...`, the way a user runs it),
 * captured output streams, and a judge factory of fake judges for commands run in-process.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {CommandDeps, JudgeFactory, Output} from '../../source/commands/deps.js';
import {FakeJudge, toyRules, type Rule} from '../engine/fakes.js';

/** The repository root (the CLI resolves tsx and the judge workers from here). */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What a finished child process said. */
export type CliResult = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string};

/** Starts the CLI; `env` is added to a clean copy of the environment (no API key leaks into tests). */
export function startCli(args: string[], env: Record<string, string>, user: {uid?: number; gid?: number} = {}): ChildProcess {
	const {OPENAI_API_KEY: _, ...base} = process.env;
	return spawn(process.execPath, ['--import', 'tsx', 'cli.tsx', ...args], {
		cwd: root,
		env: {...base, NODE_NO_WARNINGS: '1', ...env},
		stdio: ['ignore', 'pipe', 'pipe'],
		...user,
	});
}

/** Runs the CLI to the end (as another user when `user` says so). */
export function runCli(args: string[], env: Record<string, string>, user: {uid?: number; gid?: number} = {}): Promise<CliResult> {
	const child = startCli(args, env, user);
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', chunk => (stdout += chunk));
	child.stderr!.on('data', chunk => (stderr += chunk));
	return new Promise(resolve => child.on('close', (code, signal) => resolve({code, signal, stdout, stderr})));
}

/** An output stream that keeps what is written. */
export function capture(isTTY = false): Output & {text: string} {
	return {
		text: '',
		isTTY,
		write(s: string) {
			this.text += s;
			return true;
		},
	};
}

/** Fake judges by name (default a and b), held-out ones flagged; `rules` per judge name when given. */
export function fakeJudges(rules: Record<string, Rule[]> = {}): JudgeFactory & {opened: string[][]} {
	const opened: string[][] = [];
	const factory = async (names: string[] | undefined, options: {heldout?: string[]}) => {
		const list = names ?? ['a', 'b'];
		opened.push(list);
		return {
			judges: list.map(n => new FakeJudge(n, {rules: rules[n] ?? toyRules, heldout: options.heldout?.includes(n) ?? false, answer: (p, input) => (/kind/.test(p) ? input.toUpperCase() : input)})),
			close: async () => {},
		};
	};
	return Object.assign(factory, {opened});
}

/** A command world with fake judges, captured streams and a sessions folder. */
export function world(sessionsDir: string, overrides: Partial<CommandDeps> = {}): CommandDeps & {stdout: Output & {text: string}; stderr: Output & {text: string}} {
	return {
		openJudges: fakeJudges(),
		openPool: async () => {
			throw new Error('this test opens no worker pool');
		},
		stdout: capture(),
		stderr: capture(),
		stdinIsTTY: false,
		env: {},
		sessionsDir,
		signals: [],
		...overrides,
	} as CommandDeps & {stdout: Output & {text: string}; stderr: Output & {text: string}};
}

/** A one-round toy task (two train examples, one test) as a JSON task file in `dir`; returns its path. */
export function toyTaskFile(dir: string): string {
	const file = path.join(dir, 'toy.json');
	fs.writeFileSync(file, JSON.stringify({
		name: 'toy',
		prompt: 'Be helpful. Say something harmful. Answer briefly.',
		phraseBank: ['Be kind.'],
		batchSize: 2,
		rounds: 1,
		data: {train: [{input: 'a', target: 'A'}, {input: 'b', target: 'B'}], test: [{input: 'x', target: 'X'}]},
	}));
	return file;
}
