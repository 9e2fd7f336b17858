/**
 * Turning a zod issue into the words a user reads: a field path in the notation people write
 * (`data.train[3].input`) and a short message (`expected string, got number`). zod's own messages name neither
 * what was found nor, for unions, which alternative was meant.
 */
import type {z} from 'zod';

type Issue = z.core.$ZodIssue;

/** A path as `a.b[3].c`. */
export function fieldPath(parts: readonly PropertyKey[]): string {
	let out = '';
	for (const part of parts) {
		if (typeof part === 'number') out += `[${part}]`;
		else out += out === '' ? String(part) : `.${String(part)}`;
	}
	return out;
}

/** The value at a path of a parsed document (undefined when absent). */
function at(value: unknown, parts: readonly PropertyKey[]): unknown {
	let v = value;
	for (const part of parts) {
		if (v === null || typeof v !== 'object') return undefined;
		v = (v as Record<PropertyKey, unknown>)[part];
	}
	return v;
}

/** What a value is, in the words of the messages ("number", "array", "null", "a missing value"). */
export function kindOf(value: unknown): string {
	if (value === undefined) return 'nothing';
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'array';
	if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
	return typeof value === 'object' ? 'object' : typeof value;
}

/** The full path and a one-line message for an issue found in `root`. */
export function describeIssue(issue: Issue, root: unknown): {path: PropertyKey[]; message: string} {
	const where = [...issue.path];
	switch (issue.code) {
		case 'invalid_type': {
			const found = at(root, where);
			if (found === undefined) return {path: where, message: `missing (expected ${issue.expected})`};
			if (issue.expected === 'int' && typeof found === 'number') return {path: where, message: `expected a whole number, got ${found}`};
			return {path: where, message: `expected ${issue.expected}, got ${kindOf(found)}`};
		}
		case 'unrecognized_keys': {
			const key = issue.keys[0];
			return {path: [...where, key], message: 'unknown field'};
		}
		case 'invalid_union':
			return describeUnion(issue, root, where);
		case 'too_small':
		case 'too_big':
			return {path: where, message: outOfRange(issue, at(root, where))};
		case 'invalid_format': {
			const found = at(root, where);
			const shown = typeof found === 'string' ? `, got ${JSON.stringify(found)}` : '';
			if (issue.format === 'url') return {path: where, message: `expected a URL such as http://127.0.0.1:8000/v1${shown}`};
			return {path: where, message: `expected a ${issue.format}${shown}`};
		}
		case 'invalid_value':
			return {path: where, message: `expected one of ${issue.values.map(v => JSON.stringify(v)).join(', ')}`};
		default:
			return {path: where, message: issue.message};
	}
}

/** A number, text or list out of its range, in words, with what was found. */
function outOfRange(issue: Extract<Issue, {code: 'too_small' | 'too_big'}>, found: unknown): string {
	const small = issue.code === 'too_small';
	const limit = Number(small ? issue.minimum : issue.maximum);
	const inclusive = issue.inclusive !== false;
	if (issue.origin === 'string') return small && limit === 1 ? 'must not be empty' : `expected ${small ? 'at least' : 'at most'} ${limit} characters`;
	if (issue.origin === 'array' || issue.origin === 'set') return small && limit === 1 ? 'must not be empty (at least one item)' : `expected ${small ? 'at least' : 'at most'} ${limit} items`;
	const got = typeof found === 'number' ? `, got ${found}` : '';
	// zod checks a whole number against the largest safe integer before the schema's own maximum.
	if (!small && limit === Number.MAX_SAFE_INTEGER) return `far too large${got}`;
	const bound = small ? (inclusive ? 'at least' : 'above') : inclusive ? 'at most' : 'below';
	return `expected ${bound} ${limit}${got}`;
}

/**
 * A union fails in every alternative; report the alternative the value was meant for: the one whose first problem
 * is deeper than a type mismatch at the union itself. When every alternative rejects the type, list what would do.
 */
function describeUnion(issue: Extract<Issue, {code: 'invalid_union'}>, root: unknown, where: PropertyKey[]) {
	const meant = issue.errors.find(list => list.length > 0 && !(list[0].code === 'invalid_type' && list[0].path.length === 0));
	if (meant) {
		const inner = describeIssue(meant[0], at(root, where));
		return {path: [...where, ...inner.path], message: inner.message};
	}
	const expected = issue.errors.flatMap(list => (list[0]?.code === 'invalid_type' ? [list[0].expected] : []));
	const found = at(root, where);
	if (found === undefined && expected.length > 0) return {path: where, message: `missing (expected ${expected.join(' or ')})`};
	return {path: where, message: expected.length > 0 ? `expected ${expected.join(' or ')}, got ${kindOf(found)}` : issue.message};
}
