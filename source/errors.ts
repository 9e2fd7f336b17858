/**
 * Errors a user can cause (a bad file, flag, model folder, endpoint). They carry what is at fault and are shown as
 * one clear line with a non-zero exit; anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
	/** The file at fault, when there is one. */
	readonly file?: string;
	/** The field (or flag) at fault, when there is one. */
	readonly field?: string;

	constructor(message: string, where: {file?: string; field?: string} = {}) {
		super(message);
		this.name = 'UserError';
		this.file = where.file;
		this.field = where.field;
	}

	/**
	 * The one line shown to the user: "<file>: <field>: <message>". A message that quotes the user's text (JSON.parse
	 * quotes the broken document) may hold line breaks: they are shown as \n, so it stays one line.
	 */
	get line(): string {
		return [this.file, this.field, this.message]
			.filter(Boolean)
			.join(': ')
			.replace(/\r?\n/g, '\\n');
	}
}

/** True for errors that should be shown without a stack trace. */
export function isUserError(error: unknown): error is UserError {
	return error instanceof UserError;
}
