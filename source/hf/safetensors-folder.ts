/**
 * The safetensors files of a Hugging Face checkpoint folder: model.safetensors, or the shards that
 * model.safetensors.index.json lists, with their headers merged into one map of tensors.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';
import {readSafetensorsHeader, type SafetensorsEntry} from './safetensors.js';

/** The index file of a sharded checkpoint. */
export const INDEX_FILE = 'model.safetensors.index.json';
/** The file of a single-file checkpoint. */
export const SINGLE_FILE = 'model.safetensors';

/**
 * The safetensors files of a checkpoint folder: the shards its index lists, else model.safetensors, else the
 * folder's only *.safetensors file. Undefined when the folder has none.
 */
export function checkpointFiles(dir: string): {files: string[]; index?: string} | undefined {
	const indexFile = path.join(dir, INDEX_FILE);
	if (existsSync(indexFile)) {
		const files = [...new Set(Object.values(readIndex(indexFile)))].sort().map(f => path.join(dir, f));
		return {files, index: indexFile};
	}
	if (existsSync(path.join(dir, SINGLE_FILE))) return {files: [path.join(dir, SINGLE_FILE)]};
	return undefined;
}

/** The weight_map of an index file (tensor name to shard file name). */
function readIndex(file: string): Record<string, string> {
	let json: unknown;
	try {
		json = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new UserError(`not valid JSON (${(error as Error).message})`, {file});
	}
	const map = (json as {weight_map?: unknown} | null)?.weight_map;
	if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every(v => typeof v === 'string' && v.length > 0)) {
		throw new UserError('expected {"weight_map": {tensor name: shard file name}}', {file, field: 'weight_map'});
	}
	for (const shard of Object.values(map as Record<string, string>)) {
		if (shard.includes('/') || shard.includes('\\') || shard === '..') {
			throw new UserError(`shard file names must be plain file names in the folder, got ${JSON.stringify(shard)}`, {file, field: 'weight_map'});
		}
	}
	return map as Record<string, string>;
}

/**
 * The headers of every file of a checkpoint folder, merged into one map of entries by tensor name. A tensor in two
 * files, or listed by the index in a file that lacks it, is a UserError naming both.
 */
export function readCheckpointEntries(dir: string, onFile?: (done: number, total: number) => void): Map<string, SafetensorsEntry> {
	const found = checkpointFiles(dir);
	if (!found) {
		throw new UserError(`no ${SINGLE_FILE} or ${INDEX_FILE} in the checkpoint folder`, {file: path.resolve(dir)});
	}
	const entries = new Map<string, SafetensorsEntry>();
	found.files.forEach((file, i) => {
		if (!existsSync(file)) {
			throw new UserError(`the index lists shard ${path.basename(file)}, which is missing`, {file: found.index ?? file});
		}
		for (const [name, e] of readSafetensorsHeader(file).entries) {
			const other = entries.get(name);
			if (other) throw new UserError(`tensor ${name} is in both ${path.basename(other.file)} and ${path.basename(file)}`, {file: path.resolve(dir)});
			entries.set(name, e);
		}
		onFile?.(i + 1, found.files.length);
	});
	if (found.index) {
		for (const [name, shard] of Object.entries(readIndex(found.index))) {
			const e = entries.get(name);
			if (!e) throw new UserError(`the index puts tensor ${name} in ${shard}, which does not hold it`, {file: found.index});
			if (path.basename(e.file) !== shard) throw new UserError(`the index puts tensor ${name} in ${shard}, but it is in ${path.basename(e.file)}`, {file: found.index});
		}
	}
	return entries;
}
