/**
 * Seeded randomness. Everything random in a session (minibatches, the offline generator's choices) comes from here,
 * so a session replays identically from its seed. Math.random is never used by the engine.
 */

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a small, fast 32-bit generator; plenty for sampling minibatches and shuffling a dozen candidates. */
export function mulberry32(seed: number): Rng {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * A 32-bit seed derived from several parts (numbers or strings), e.g. (seed, "minibatch", round). Nearby inputs
 * give unrelated seeds, so round 2's stream is not round 1's shifted by one.
 */
export function deriveSeed(...parts: ReadonlyArray<number | string>): number {
	// FNV-1a over a canonical text form, then a murmur3 finaliser to spread the bits.
	let h = 0x811c9dc5;
	const text = parts.map(p => `${typeof p}:${String(p)}`).join('\u0000');
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

/** A generator seeded from several parts (see deriveSeed). */
export function rngFor(...parts: ReadonlyArray<number | string>): Rng {
	return mulberry32(deriveSeed(...parts));
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
	if (!Number.isInteger(n) || n < 1) throw new RangeError(`randomInt needs a positive integer bound, got ${n}`);
	return Math.floor(rng() * n);
}

/** A shuffled copy (Fisher-Yates); the input is not changed. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = randomInt(rng, i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

/**
 * Indices of a round's minibatch: `size` distinct indices out of n, in ascending order, the same for the same
 * (seed, round) whatever happened before, so a resumed session evaluates the same examples. Each round is an
 * independent draw without replacement; size >= n gives every index.
 */
export function sampleMinibatch(n: number, size: number, seed: number, round: number): number[] {
	if (!Number.isInteger(n) || n < 0) throw new RangeError(`minibatch population must be a count, got ${n}`);
	if (!Number.isInteger(size) || size < 1) throw new RangeError(`minibatch size must be positive, got ${size}`);
	const all = Array.from({length: n}, (_, i) => i);
	if (size >= n) return all;
	return shuffle(all, rngFor(seed, 'minibatch', round))
		.slice(0, size)
		.sort((a, b) => a - b);
}

/** `sampleMinibatch` applied to the items themselves. */
export function minibatch<T>(items: readonly T[], size: number, seed: number, round: number): T[] {
	return sampleMinibatch(items.length, size, seed, round).map(i => items[i]);
}
