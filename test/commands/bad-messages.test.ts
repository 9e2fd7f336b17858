/**
 * Each mistake gets its own true message, one line naming the file and field (issue 13, item 10): a YAML alias
 * bomb, an unknown YAML tag (without a YAML warning on stderr), a session's task.json missing or a folder, a held-out
 * list from the task file (blamed on the file's field, not on --heldout), a judge.json whose parse error quotes
 * several lines, an export onto a place that cannot be written. And `segmentation: sentences` is accepted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {createExportCommand} from '../../source/commands/export.js';
import {ioError} from '../../source/fs-errors.js';
import {createOptimizeCommand} from '../../source/commands/optimize.js';
import {UserError} from '../../source/errors.js';
import {openJudges} from '../../source/judges/judge-set.js';
import {loadSession} from '../../source/sessions/store.js';
import {loadTask, parseTask} from '../../source/tasks/load-task.js';
import {makeSession, makeTask} from '../engine/fakes.js';
import {world} from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-bad-messages-'));
after(() => fs.rmSync(dir, {recursive: true, force: true}));
const examples = 'data:\n  train: [{input: a, target: b}]\n  test: [{input: c, target: d}]\n';

/** A UserError whose one line is exactly `line`. */
function oneLine(error: unknown, line: string | RegExp): true {
	assert.ok(error instanceof UserError, `a UserError, not ${String(error)}`);
	assert.ok(!error.line.includes('\n'), `one line: ${JSON.stringify(error.line)}`);
	if (typeof line === 'string') assert.equal(error.line, line);
	else assert.match(error.line, line);
	return true;
}

function write(name: string, text: string): string {
	const file = path.join(dir, name);
	fs.writeFileSync(file, text);
	return file;
}

/** Every file of a session folder with its bytes. */
const contents = (folder: string) => fs.readdirSync(folder, {recursive: true}).map(f => String(f)).sort().map(f => [f, fs.statSync(path.join(folder, f)).isFile() ? fs.readFileSync(path.join(folder, f), 'utf8') : 'dir']);

test('a YAML alias bomb is refused as one, not as "not valid JSON"', () => {
	const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
	for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcde'[i]}`).join(', ')}]`);
	const file = write('bomb.yaml', `${levels.join('\n')}\nname: [*f, *f, *f]\nprompt: x\n${examples}`);
	assert.throws(() => loadTask(file), e => oneLine(e, `${file}: refused: its aliases expand more than 1000 times (a YAML alias bomb would exhaust memory)`));
});

test('an unknown YAML tag is an error of the file, and no YAML warning is printed', async () => {
	const warnings: Error[] = [];
	const listen = (w: Error) => warnings.push(w);
	process.on('warning', listen);
	try {
		const file = write('fn.yaml', `name: !!js/function "function () {}"\nprompt: x\n${examples}`);
		assert.throws(() => loadTask(file), e => oneLine(e, `${file}: line 1: unsupported YAML tag !!js/function: a task file holds plain data`));
		// process.emitWarning reports on the next tick.
		await new Promise(resolve => setImmediate(resolve));
		assert.deepEqual(warnings, []);
	} finally {
		process.off('warning', listen);
	}
});

test('segmentation may be written as a string; a wrong one names segmentation.mode', () => {
	for (const mode of ['sentences', 'lines', 'markers'] as const) {
		const task = parseTask(`name: t\nprompt: "One. Two."\nsegmentation: ${mode}\n${examples}`, path.join(dir, 'seg.yaml'));
		assert.deepEqual(task.segmentation, {mode, marker: '||'});
	}
	assert.deepEqual(parseTask(`name: t\nprompt: x\nsegmentation: {mode: lines}\n${examples}`, path.join(dir, 'seg.yaml')).segmentation, {mode: 'lines', marker: '||'});
	assert.throws(
		() => parseTask(`name: t\nprompt: x\nsegmentation: words\n${examples}`, path.join(dir, 'seg.yaml')),
		e => oneLine(e, /seg\.yaml: segmentation\.mode: expected one of "sentences", "lines", "markers"$/),
	);
});

test("a session's task.json that is missing, or a folder, each gets its own message; the session is left as it was", () => {
	const sessions = path.join(dir, 'sessions');
	const gone = makeSession(makeTask(), {dir: sessions});
	const folder = makeSession(makeTask(), {dir: sessions});
	gone.close();
	folder.close();
	fs.rmSync(path.join(gone.dir, 'task.json'));
	fs.rmSync(path.join(folder.dir, 'task.json'));
	fs.mkdirSync(path.join(folder.dir, 'task.json'));
	const before = [contents(gone.dir), contents(folder.dir)];
	assert.throws(() => loadSession(gone.id, {dir: sessions}), e => oneLine(e, `${path.join(gone.dir, 'task.json')}: the session has no task snapshot`));
	assert.throws(() => loadSession(folder.id, {dir: sessions}), e => oneLine(e, `${path.join(folder.dir, 'task.json')}: cannot read the task snapshot: it is a folder, not a file (EISDIR)`));
	assert.deepEqual([contents(gone.dir), contents(folder.dir)], before);
});

test('a held-out list that holds every judge is blamed on where it came from: the task file, or --heldout', async () => {
	const file = write('held.yaml', `name: t\nprompt: x\njudges: [a]\nheldout: [a]\n${examples}`);
	const deps = world(path.join(dir, 'held-sessions'));
	await assert.rejects(createOptimizeCommand(deps).run([file], {auto: true}), e => oneLine(e, `${file}: heldout: every judge is held out (a); keep at least one for selection`));
	const plain = write('plain.yaml', `name: t\nprompt: x\n${examples}`);
	await assert.rejects(createOptimizeCommand(deps).run([plain], {auto: true, judges: 'a', heldout: 'a'}), e => oneLine(e, '--heldout: every judge is held out (a); keep at least one for selection'));
	assert.deepEqual(fs.existsSync(deps.sessionsDir) ? fs.readdirSync(deps.sessionsDir) : [], [], 'no session was made');
});

test("a judge.json whose parse error quotes several lines is still one line", async () => {
	const judge = path.join(dir, 'badjudge');
	fs.mkdirSync(judge);
	fs.writeFileSync(path.join(judge, 'judge.json'), '{\n  "name": x\n}\n');
	await assert.rejects(openJudges([judge]), e => oneLine(e, /judge\.json: not valid JSON: .*\\n/));
});

test('exporting where nothing can be written says why: a file in the way, a place without folders, EROFS/EACCES', async () => {
	const sessions = path.join(dir, 'export-sessions');
	const session = makeSession(makeTask(), {dir: sessions});
	session.close();
	const before = contents(session.dir);
	const run = (out: string) => createExportCommand(world(sessions)).run([session.id], {out});
	const plain = write('plainfile', 'x');
	await assert.rejects(run(path.join(plain, 'out')), e => oneLine(e, /plainfile\/out: cannot create the export folder: a part of the path is a file, not a folder \(ENOTDIR\)$/));
	if (fs.existsSync('/proc/self')) {
		await assert.rejects(run('/proc/gmpo-export-test/x'), e => oneLine(e, /gmpo-export-test\/x: cannot create the export folder: the file system there takes no new folders \(ENOENT\)$/));
	}
	const code = (c: string) => Object.assign(new Error(`${c}: raw message`), {code: c});
	assert.equal((ioError(code('EROFS'), 'write', 'f') as Error).message, 'cannot write: the file system is read-only (EROFS)');
	assert.equal((ioError(code('EACCES'), 'write', 'f') as Error).message, 'cannot write: permission denied (EACCES)');
	assert.equal((ioError(code('ENOSPC'), 'write', 'f') as Error).message, 'cannot write: no space left on the device (ENOSPC)');
	if (process.getuid?.() !== 0) {
		const locked = path.join(dir, 'locked');
		fs.mkdirSync(locked, {mode: 0o555});
		await assert.rejects(run(path.join(locked, 'out')), e => oneLine(e, /cannot create the export folder: permission denied \(EACCES\)$/));
	}
	assert.deepEqual(contents(session.dir), before, 'the session is unchanged');
});
