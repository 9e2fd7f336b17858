/**
 * How much memory judges may use, and what a judge needs: a judge too large for the memory that is free is refused
 * before anything is loaded, with one line naming it, its estimated need and the free memory.
 */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import {UserError} from '../errors.js';

/** Bytes the system can give without swapping: MemAvailable on Linux, else the free memory. */
export function availableMemory(): number {
	try {
		const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
		if (match) {
			return Number(match[1]) * 1024;
		}
	} catch {
		// Not Linux: fall through.
	}
	return os.freemem();
}

/** Judges whose weights take more bytes than this run lean: memory-lean sessions, one worker, a smaller activation budget. */
export const LEAN_ABOVE_BYTES = 256 * 2 ** 20;

/** Bytes besides the weights that a judge needs at least: its smallest batches' activations and the runtime's own. */
const MIN_OVERHEAD_BYTES = 512 * 2 ** 20;

/** The most a judge's activations may take: a 1B judge then attributes a few hundred tokens a batch. */
const MAX_ACTIVATION_BYTES = 2 * 2 ** 30;

/**
 * Bytes a judge's activations may take (the batch sizes follow from it, batching.ts). Small judges get the full 2 GiB
 * (it bounds batches that are never that large). A lean judge gets half its weight bytes, between 512 MiB and 2 GiB, so
 * that attributing stays near 1.5x the weights: a larger batch there buys little speed (the matmuls are already wide).
 */
export function activationBudget(weightBytes: number): number {
	return weightBytes > LEAN_ABOVE_BYTES ? Math.min(MAX_ACTIVATION_BYTES, Math.max(MIN_OVERHEAD_BYTES, weightBytes / 2)) : MAX_ACTIVATION_BYTES;
}

/** Estimated bytes a judge needs to score and attribute: its weights plus its activation budget (at least 512 MiB). */
export function judgeNeed(weightBytes: number): number {
	return weightBytes + (weightBytes > LEAN_ABOVE_BYTES ? activationBudget(weightBytes) : MIN_OVERHEAD_BYTES);
}

/** "4.6 GiB" */
export function gib(bytes: number): string {
	return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * Refuse the judges, in order, as soon as their total need passes the available memory: the one that does not fit
 * is named with its need and what is left for it.
 */
export function checkJudgesFit(judges: readonly {name: string; weightBytes: number}[], available: number): void {
	let left = available;
	for (const j of judges) {
		const need = judgeNeed(j.weightBytes);
		if (need > left) {
			const others = judges.length > 1 && left < available ? ` (after the judges before it, of ${gib(available)} free)` : '';
			throw new UserError(
				`judge "${j.name}" needs about ${gib(need)} of memory (${gib(j.weightBytes)} of weights), and ${gib(left)} is free${others}: ` +
					'close other programs, use fewer or smaller judges, or serve it on an inference server',
				{field: 'judges'},
			);
		}
		left -= need;
	}
}
