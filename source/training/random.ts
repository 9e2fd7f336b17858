/**
 * Seeded randomness and stable hashing for the synthetic corpus. Everything here is deterministic across platforms
 * (32-bit integer arithmetic only), so the same seed gives the same corpus on every machine.
 */
import {mulberry32} from '../core/random.js';

/** A sampler: uniform floats in [0, 1) from a seeded generator (core/random.ts), with helpers on top. */
export type Sampler = {
	/** Uniform float in [0, 1). */
	next(): number;
	/** Uniform integer in [lo, hi] (inclusive). */
	int(lo: number, hi: number): number;
	/** One element, uniformly. */
	pick<T>(items: readonly T[]): T;
	/** True with probability p. */
	chance(p: number): boolean;
	/** A shuffled copy (Fisher-Yates). */
	shuffle<T>(items: readonly T[]): T[];
};

/** A sampler over mulberry32 (the engine's generator): tiny, fast and good enough for sampling synthetic data. */
export function createSampler(seed: number): Sampler {
	const next = mulberry32(seed);
	const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
	return {
		next,
		int,
		pick: items => {
			if (items.length === 0) throw new Error('pick from an empty list');
			return items[int(0, items.length - 1)];
		},
		chance: p => next() < p,
		shuffle: items => {
			const out = [...items];
			for (let i = out.length - 1; i > 0; i--) {
				const j = int(0, i);
				[out[i], out[j]] = [out[j], out[i]];
			}
			return out;
		},
	};
}

/** A 32-bit hash of a string (FNV-1a over UTF-16 code units, then murmur3's finaliser for avalanche). */
export function hash32(text: string): number {
	let h = 0x811c9dc5;
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

/** A hash mapped to [0, 1), for splits by threshold. */
export function hashUnit(text: string): number {
	return hash32(text) / 4294967296;
}
