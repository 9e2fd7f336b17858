/**
 * Keeps secrets out of session files: fields whose name says key, token, secret, password or authorization are
 * dropped, and known secret values (the resolved API key) are masked wherever they appear in a string.
 */

/** Last words of a field name that mark a secret ("apiKey", "api_key", "accessToken", "Authorization"). */
const secretWords = new Set([
	'key',
	'apikey',
	'token',
	'secret',
	'password',
	'passwd',
	'authorization',
	'credential',
	'credentials',
	'bearer',
]);

/**
 * True for field names that hold secrets. The name is split into words so that counters like "promptTokens" and
 * names like "monkey" are kept, while "apiKey", "OPENAI_API_KEY" and "x-api-key" are not.
 */
export function isSecretField(name: string): boolean {
	const words = name
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.split(/[^a-zA-Z0-9]+/)
		.filter(Boolean)
		.map(w => w.toLowerCase());
	if (words.length === 0) return false;
	return secretWords.has(words.at(-1)!) || words.some(w => w === 'secret' || w === 'password' || w === 'authorization');
}

/** Masks every occurrence of the given secrets in a string. */
function mask(text: string, secrets: readonly string[]): string {
	let out = text;
	// Very short "secrets" (an empty or placeholder key) would mask ordinary words; they protect nothing anyway.
	for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('***');
	return out;
}

/** A deep copy of `value` without secret fields and with known secret values masked. */
export function redact<T>(value: T, secrets: readonly string[] = []): T {
	const walk = (v: unknown): unknown => {
		if (typeof v === 'string') return mask(v, secrets);
		if (Array.isArray(v)) return v.map(walk);
		if (v !== null && typeof v === 'object') {
			const out: Record<string, unknown> = {};
			for (const [k, x] of Object.entries(v)) {
				if (isSecretField(k) || x === undefined) continue;
				out[mask(k, secrets)] = walk(x);
			}
			return out;
		}
		return v;
	};
	return walk(value) as T;
}
