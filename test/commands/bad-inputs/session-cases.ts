/**
 * Bad session folders: a log that is empty, garbage, cut off in its middle, out of order, of an unknown version or
 * event, a link to a device that never ends; a task snapshot that is missing, empty, not a task, another session's;
 * a session that is a file; ids that are not ids. Each through resume, export or eval --session: refused in one line
 * naming the file (and line), and the session left byte for byte as it was (the harness checks every saved session).
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Case, Files} from './harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `good`: the id of a saved session with one decided round, in `dir`; `other`: the folder of one of another task. */
export function sessionCases(f: Files, dir: string, good: string, other: string, taskFile: string): Case[] {
	const otherId = path.basename(other);
	const cases: Case[] = [];
	/** A copy of the good session under `id` (its log renamed to it), broken by `change`. */
	const copy = (id: string, change: (folder: string) => void) => {
		const folder = path.join(dir, id);
		fs.cpSync(path.join(dir, good), folder, {recursive: true});
		const log = path.join(folder, 'events.jsonl');
		fs.writeFileSync(log, fs.readFileSync(log, 'utf8').replace(`"id":"${good}"`, `"id":"${id}"`));
		change(folder);
		return id;
	};
	const lines = (folder: string) => fs.readFileSync(path.join(folder, 'events.jsonl'), 'utf8').split('\n');
	const setLines = (folder: string, rows: string[]) => fs.writeFileSync(path.join(folder, 'events.jsonl'), rows.join('\n'));
	/** The line: "<session folder>/<file>: <rest>". */
	const add = (name: string, argv: string[], id: string, file: string, rest: string | RegExp) => {
		const tail = typeof rest === 'string' ? escape(rest) : rest.source;
		cases.push({name: `session: ${name}`, argv, line: new RegExp(`^${escape(path.join(dir, id, file))}: ${tail}$`)});
	};
	const resume = (id: string) => ['resume', id, '--auto'];
	const exporter = (id: string) => ['export', id];
	const evalOf = (id: string) => ['eval', taskFile, '--session', id];

	// The event log.
	add('empty log', resume(copy('empty-log', d => fs.writeFileSync(path.join(d, 'events.jsonl'), ''))), 'empty-log', 'events.jsonl', 'line 1: the log must start with a "created" event');
	add('garbage log', resume(copy('garbage-log', d => fs.writeFileSync(path.join(d, 'events.jsonl'), Buffer.from([0x00, 0xff, 0x10, 0x0a, 0x41, 0x0a])))), 'garbage-log', 'events.jsonl', /line 1: not valid JSON \(.+\)/);
	add('no log', exporter(copy('no-log', d => fs.rmSync(path.join(d, 'events.jsonl')))), 'no-log', 'events.jsonl', 'the session has no event log');
	add('a line cut in the middle of the log', exporter(copy('cut-middle', d => {
		const rows = lines(d);
		rows[1] = rows[1]!.slice(0, 25);
		setLines(d, rows);
	})), 'cut-middle', 'events.jsonl', /line 2: not valid JSON \(.+\)/);
	add('only a cut first line', resume(copy('cut-first', d => fs.writeFileSync(path.join(d, 'events.jsonl'), lines(d)[0]!.slice(0, 40)))), 'cut-first', 'events.jsonl', 'line 1: the log must start with a "created" event');
	add('a line that is a list', resume(copy('list-line', d => setLines(d, [lines(d)[0]!, '[1, 2, 3]', ...lines(d).slice(1)]))), 'list-line', 'events.jsonl', 'line 2: not a JSON object');
	add('an unknown schema version', evalOf(copy('version', d => {
		const rows = lines(d);
		rows[0] = rows[0]!.replace('"v":1', '"v":99');
		setLines(d, rows);
	})), 'version', 'events.jsonl', 'line 1: schema version 99 is not supported (this gmpo reads version 1)');
	add('an unknown event type', resume(copy('unknown-event', d => {
		const rows = lines(d);
		rows[1] = rows[1]!.replace(/"type":"[a-z_]+"/, '"type":"teleported"');
		setLines(d, rows);
	})), 'unknown-event', 'events.jsonl', 'line 2: unknown event type "teleported"');
	add('seq out of order', resume(copy('out-of-order', d => {
		const rows = lines(d);
		rows[2] = rows[2]!.replace(/"seq":\d+/, '"seq":9');
		setLines(d, rows);
	})), 'out-of-order', 'events.jsonl', 'line 3: seq 9 does not follow 2 (the log is out of order)');
	add('the created line twice', exporter(copy('created-twice', d => {
		const rows = lines(d);
		setLines(d, [rows[0]!, rows[0]!.replace('"seq":1', '"seq":2'), ...rows.slice(1).map(r => r.replace(/"seq":(\d+)/, (_, s: string) => `"seq":${Number(s) + 1}`))]);
	})), 'created-twice', 'events.jsonl', 'line 2: a second "created" event');
	add('a field of the wrong type', resume(copy('wrong-type', d => {
		const rows = lines(d);
		rows[0] = rows[0]!.replace(/"segments":\[/, '"segments":"oops","x":[');
		setLines(d, rows);
	})), 'wrong-type', 'events.jsonl', 'line 1: segments: Invalid input: expected array, received string');
	add('the first line not "created"', resume(copy('no-created', d => setLines(d, lines(d).slice(1).map(r => r.replace(/"seq":(\d+)/, (_, s: string) => `"seq":${Number(s) - 1}`))))), 'no-created', 'events.jsonl', /line 1: the log must start with a "created" event/);
	add('the log a link to /dev/zero', exporter(copy('dev-zero', d => {
		fs.rmSync(path.join(d, 'events.jsonl'));
		fs.symlinkSync('/dev/zero', path.join(d, 'events.jsonl'));
	})), 'dev-zero', 'events.jsonl', 'cannot read the event log: it is a device, not a regular file');
	add('the log a link to itself', resume(copy('log-loop', d => {
		fs.rmSync(path.join(d, 'events.jsonl'));
		fs.symlinkSync(path.join(d, 'events.jsonl'), path.join(d, 'events.jsonl'));
	})), 'log-loop', 'events.jsonl', /cannot read the event log: too many symbolic links \(ELOOP\)/);
	add("another session's log", resume(copy('foreign-log', d => fs.copyFileSync(path.join(other, 'events.jsonl'), path.join(d, 'events.jsonl')))), 'foreign-log', 'events.jsonl', new RegExp(`line 1: this log belongs to session "${otherId}", not to "foreign-log" \\(copied from another session\\?\\)`));

	// The task snapshot.
	add('empty snapshot', resume(copy('empty-task', d => fs.writeFileSync(path.join(d, 'task.json'), ''))), 'empty-task', 'task.json', /not valid JSON \(.+\)/);
	add('snapshot not a task', exporter(copy('not-a-task', d => fs.writeFileSync(path.join(d, 'task.json'), '{"name": 1}'))), 'not-a-task', 'task.json', 'name: Invalid input: expected string, received number');
	add('snapshot a list', resume(copy('list-task', d => fs.writeFileSync(path.join(d, 'task.json'), '[]'))), 'list-task', 'task.json', 'Invalid input: expected object, received array');
	add('snapshot with a path for examples', resume(copy('path-task', d => {
		const task = JSON.parse(fs.readFileSync(path.join(d, 'task.json'), 'utf8')) as {data: {train: unknown}};
		task.data.train = 'train.jsonl';
		fs.writeFileSync(path.join(d, 'task.json'), JSON.stringify(task));
	})), 'path-task', 'task.json', 'data: the snapshot must hold the examples, not a path');
	add('snapshot edited by hand', evalOf(copy('edited-task', d => {
		const file = path.join(d, 'task.json');
		fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Be helpful.', 'Be very helpful.'));
	})), 'edited-task', 'task.json', /this is not the task the session was created with .+/);
	add("another session's snapshot", exporter(copy('foreign-task', d => fs.copyFileSync(path.join(other, 'task.json'), path.join(d, 'task.json')))), 'foreign-task', 'task.json', /this is not the task the session was created with .+/);
	add('snapshot a link to /dev/zero', resume(copy('task-zero', d => {
		fs.rmSync(path.join(d, 'task.json'));
		fs.symlinkSync('/dev/zero', path.join(d, 'task.json'));
	})), 'task-zero', 'task.json', 'cannot read the task snapshot: it is a device, not a regular file');
	add('no snapshot', evalOf(copy('no-task', d => fs.rmSync(path.join(d, 'task.json')))), 'no-task', 'task.json', 'the session has no task snapshot');

	// The folder and the id.
	f.write(path.relative(f.dir, path.join(dir, 'a-file')), 'not a session');
	cases.push({name: 'session: a file, not a folder', argv: resume('a-file'), line: new RegExp(`^${escape(path.join(dir, 'a-file'))}: not a session: a file, not a session folder$`)});
	for (const [name, id] of [['an id with a slash', '../sessions'], ['an id with a space', 'my session'], ['a hidden name', '.lock']]) {
		cases.push({name: `session: ${name}`, argv: exporter(id!), line: new RegExp(`^session: ${escape(JSON.stringify(id))} is not a session id$`)});
	}
	const long = 'x'.repeat(300);
	cases.push({name: 'session: an id of 300 characters', argv: exporter(long), line: new RegExp(`^session: no session "${long}" in ${escape(dir)}$`)});
	cases.push({name: 'session: an unknown id', argv: evalOf('20990101-000000-abcdef'), line: new RegExp(`^session: no session "20990101-000000-abcdef" in ${escape(dir)}$`)});
	cases.push({name: 'session: rm of an unknown id', argv: ['sessions', 'rm', 'nope-nope'], line: new RegExp(`^session: no session "nope-nope" in ${escape(dir)}$`)});
	return cases;
}
