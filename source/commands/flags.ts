/**
 * Reading the flags and arguments of the run commands, each problem one UserError naming the flag
 * (`--rounds: expected a whole number of at least 1, got "abc"`).
 */
import {UserError} from '../errors.js';
import type {Flags} from './types.js';

/** The flags of optimize, resume and eval, checked. */
export type RunFlags = {
	/** Decide by the acceptance rule. */
	auto: boolean;
	/** Machine-readable output. */
	json: boolean;
	/** Round budget. */
	rounds?: number;
	/** Candidate edits per round. */
	candidates?: number;
	/** Judge names or folders. */
	judges?: string[];
	/** Held-out judges. */
	heldout?: string[];
	/** Generator kind. */
	generator?: GeneratorKind;
	/** Generator endpoint. */
	baseUrl?: string;
	/** Generator model. */
	model?: string;
	/** Deadline of one generator request, in seconds. */
	timeout?: number;
	/** Retries of a generator request after a transient fault. */
	retries?: number;
	/** --racing on|off: racing candidate scoring, overriding the task's `racing.enabled` (new sessions). */
	racing?: boolean;
};

/** The generators a run can use. */
export type GeneratorKind = 'offline' | 'openai' | 'textual';

const generatorKinds: GeneratorKind[] = ['offline', 'openai', 'textual'];

/**
 * A flag's value when the command takes it. The run commands share runFlags but not every flag (resume takes no
 * --judges), and the dispatcher treats reading an undeclared flag as a bug: so look before reading.
 */
function given(flags: Flags, name: string): unknown {
	return Object.hasOwn(flags, name) ? flags[name] : undefined;
}

function text(flags: Flags, name: string, flag: string): string | undefined {
	const value = given(flags, name);
	if (value === undefined || value === null) return undefined;
	if (Array.isArray(value)) throw new UserError('given more than once', {field: flag});
	if (typeof value !== 'string' && typeof value !== 'number') throw new UserError('needs a value', {field: flag});
	const s = String(value).trim();
	if (s === '') throw new UserError('needs a value', {field: flag});
	return s;
}

/** A whole number of at least `min`. */
export function intFlag(flags: Flags, name: string, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
	const s = text(flags, name, flag);
	if (s === undefined) return undefined;
	if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max || !Number.isSafeInteger(Number(s))) {
		const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
		throw new UserError(`expected a whole number ${range}, got ${JSON.stringify(s)}`, {field: flag});
	}
	return Number(s);
}

/** A positive number of seconds (fractions allowed: 0.5). */
export function secondsFlag(flags: Flags, name: string, flag: string): number | undefined {
	const s = text(flags, name, flag);
	if (s === undefined) return undefined;
	const n = Number(s);
	if (!/^\d*\.?\d+$/.test(s) || !(n > 0) || n > 86_400) throw new UserError(`expected a number of seconds above 0 (at most 86400), got ${JSON.stringify(s)}`, {field: flag});
	return n;
}

/** A comma-separated list of names. */
export function listFlag(flags: Flags, name: string, flag: string): string[] | undefined {
	const s = text(flags, name, flag);
	if (s === undefined) return undefined;
	const items = s.split(',').map(x => x.trim());
	if (items.some(x => x === '')) throw new UserError(`expected names separated by commas, got ${JSON.stringify(s)}`, {field: flag});
	const twice = items.find((x, i) => items.indexOf(x) !== i);
	if (twice) throw new UserError(`"${twice}" is listed twice`, {field: flag});
	return items;
}

/** A string flag. */
export function stringFlag(flags: Flags, name: string, flag: string): string | undefined {
	return text(flags, name, flag);
}

/** "on" or "off". */
function onOff(flags: Flags, name: string, flag: string): boolean | undefined {
	const s = text(flags, name, flag);
	if (s === undefined) return undefined;
	if (s !== 'on' && s !== 'off') throw new UserError(`expected on or off, got ${JSON.stringify(s)}`, {field: flag});
	return s === 'on';
}

/** Reads the run flags. */
export function runFlags(flags: Flags): RunFlags {
	const generator = text(flags, 'generator', '--generator');
	if (generator !== undefined && !generatorKinds.includes(generator as GeneratorKind)) {
		throw new UserError(`expected ${generatorKinds.join(', ')}, got ${JSON.stringify(generator)}`, {field: '--generator'});
	}
	const baseUrl = text(flags, 'baseUrl', '--base-url');
	if (baseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(baseUrl)) {
		throw new UserError(`expected an http(s) URL, got ${JSON.stringify(baseUrl)}`, {field: '--base-url'});
	}
	return {
		auto: given(flags, 'auto') === true,
		json: given(flags, 'json') === true,
		rounds: intFlag(flags, 'rounds', '--rounds'),
		candidates: intFlag(flags, 'candidates', '--candidates', 1, 64),
		judges: listFlag(flags, 'judges', '--judges'),
		heldout: listFlag(flags, 'heldout', '--heldout'),
		generator: generator as GeneratorKind | undefined,
		baseUrl,
		model: text(flags, 'model', '--model'),
		timeout: secondsFlag(flags, 'timeout', '--timeout'),
		retries: intFlag(flags, 'retries', '--retries', 0),
		racing: onOff(flags, 'racing', '--racing'),
	};
}
