/**
 * Temporary folders for tests (`<tmpdir>/gmpo-...`), removed when the test process exits: after its last test, when
 * a test fails, and when the runner forces the exit (--test-force-exit). One place, so no test file forgets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();
process.on('exit', () => {
	for (const dir of made) fs.rmSync(dir, {recursive: true, force: true});
});

/** A fresh temp folder named `<prefix>XXXXXX` (the prefix should start with "gmpo-"), removed at exit. */
export function tempDir(prefix = 'gmpo-test-'): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	made.add(dir);
	return dir;
}
