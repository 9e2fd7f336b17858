/**
 * Benchmark output: a printed table, a RESULT line, and the table written into BENCHMARKS.md between markers
 * (`<!-- bench:NAME -->` ... `<!-- /bench:NAME -->`) with the machine, date and command that produced it.
 */
import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** A table as column names and rows of cells. */
export type Table = {columns: string[]; rows: (string | number)[][]};

/** Format a number for a table cell. */
export function fmt(value: number, digits = 2): string {
	if (!Number.isFinite(value) || Number.isInteger(value)) {
		return String(value);
	}
	return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(digits);
}

/** Markdown for a table. */
export function markdownTable(table: Table): string {
	const lines = [`| ${table.columns.join(' | ')} |`, `|${table.columns.map(() => '---').join('|')}|`];
	for (const row of table.rows) {
		lines.push(`| ${row.map(c => (typeof c === 'number' ? fmt(c) : c)).join(' | ')} |`);
	}
	return lines.join('\n');
}

/**
 * Which build of the bundled judges a run used: the first 8 hex digits of the SHA-256 of every
 * models/NAME/model.onnx (in name order), so a table measured before the judges were rebuilt can be told apart from
 * one measured after.
 */
export function judgesFingerprint(): string {
	const dir = path.join(ROOT, 'models');
	if (!existsSync(dir)) return 'none';
	const hash = createHash('sha256');
	const names = readdirSync(dir)
		.filter(name => existsSync(path.join(dir, name, 'model.onnx')))
		.sort();
	for (const name of names) hash.update(name).update(readFileSync(path.join(dir, name, 'model.onnx')));
	return names.length === 0 ? 'none' : `${names.join(', ')} @ ${hash.digest('hex').slice(0, 8)}`;
}

/** One line about the machine. */
export function machine(): string {
	const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
	return `${os.cpus().length} cores (${cpu.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()}`;
}

/**
 * Print the tables and the RESULT line, and record them in BENCHMARKS.md (quick runs print only: the file holds
 * full runs).
 */
export function report(name: string, title: string, tables: {heading?: string; table: Table}[], result: Record<string, unknown>, options: {quick: boolean; notes?: string[]; command?: string}): void {
	const body = tables.map(t => `${t.heading ? `${t.heading}\n\n` : ''}${markdownTable(t.table)}`).join('\n\n');
	process.stdout.write(`\n${title}\n\n${body}\n\n`);
	for (const note of options.notes ?? []) {
		process.stdout.write(`${note}\n`);
	}
	const line = `RESULT ${JSON.stringify({bench: name, ...result})}`;
	if (!options.quick) {
		const file = path.join(ROOT, 'BENCHMARKS.md');
		const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEvery table is written by `npm run bench` (see bench/); the command, machine and date are given with it.\n';
		const section = [
			`<!-- bench:${name} -->`,
			`## ${title}`,
			'',
			`Command: \`${options.command ?? `npm run bench -- ${name}`}\`. Machine: ${machine()}. Date: ${new Date().toISOString().slice(0, 10)}. Bundled judges: ${judgesFingerprint()}.`,
			'',
			body,
			'',
			...(options.notes ?? []).flatMap(n => [n, '']),
			'```',
			line,
			'```',
			`<!-- /bench:${name} -->`,
		].join('\n');
		const pattern = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
		const next = pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}\n`;
		writeFileSync(file, next);
	}
	process.stdout.write(`${line}\n`);
}

/** Median of numbers. */
export function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Time an async function: median milliseconds over `reps` runs after `warmup` runs. */
export async function timeIt(fn: () => Promise<unknown>, reps: number, warmup = 1): Promise<number> {
	for (let i = 0; i < warmup; i++) {
		await fn();
	}
	const times: number[] = [];
	for (let i = 0; i < reps; i++) {
		const t0 = performance.now();
		await fn();
		times.push(performance.now() - t0);
	}
	return median(times);
}
