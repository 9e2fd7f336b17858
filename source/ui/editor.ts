/**
 * Editing the whole prompt in the user's editor ($VISUAL, $EDITOR, else vi). The terminal is handed over: raw mode
 * off, the editor run to completion with the terminal as its stdio, raw mode back on. Ink does not draw meanwhile
 * (the event loop waits for the editor), and full-screen editors restore the screen they found when they exit.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The terminal to hand over. */
export type EditorTerminal = {
	/** Input stream, for raw mode. */
	stdin: NodeJS.ReadStream;
	/** Environment (VISUAL, EDITOR). */
	env: NodeJS.ProcessEnv;
};

/** Opens `text` in the editor; the edited text, or undefined when unchanged. Throws when the editor fails. */
export async function editInEditor(text: string, terminal: EditorTerminal): Promise<string | undefined> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gmpo-prompt-'));
	const file = path.join(dir, 'prompt.txt');
	fs.writeFileSync(file, text);
	const editor = terminal.env.VISUAL || terminal.env.EDITOR || 'vi';
	const raw = terminal.stdin.isTTY && terminal.stdin.isRaw;
	try {
		if (raw) terminal.stdin.setRawMode(false);
		// The editor command may carry arguments ("code --wait"); the shell splits it as the user wrote it.
		const result = spawnSync(`${editor} "${file}"`, {stdio: 'inherit', shell: true});
		if (result.error) throw result.error;
		if (result.status !== 0) throw new Error(`${editor} exited with status ${result.status}`);
		const edited = fs.readFileSync(file, 'utf8').replace(/\n$/, '');
		return edited === text ? undefined : edited;
	} finally {
		if (raw) terminal.stdin.setRawMode(true);
		fs.rmSync(dir, {recursive: true, force: true});
	}
}
