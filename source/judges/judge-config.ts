/**
 * The schema of `judge.json`, the one file a user adds to a model folder (for example an Optimum export from a hub)
 * to make it a judge. Validation only; reading the folder is done by judge-folder.ts.
 */
import {z} from 'zod';
import {MAX_POINTS} from '../core/quadrature.js';

/** The plain template used when judge.json names none: the prompt, then the input, then the output to score. */
export const DEFAULT_PLAIN_TEMPLATE = '{prompt}\n\nInput: {input}\nOutput:';

const countOf = (text: string, part: string) => text.split(part).length - 1;

/** A plain-text format: the template with the prompt and input substituted, then the target. */
export const plainFormatSchema = z
	.object({
		type: z.literal('plain'),
		/**
		 * The text before the target. `{prompt}` and `{input}` (each exactly once) are replaced verbatim;
		 * everything else, other braces included, is literal.
		 */
		template: z
			.string()
			.default(DEFAULT_PLAIN_TEMPLATE)
			.refine(t => countOf(t, '{prompt}') === 1, {message: 'must contain {prompt} exactly once'})
			.refine(t => countOf(t, '{input}') === 1, {message: 'must contain {input} exactly once'}),
		/**
		 * Text put between the template and the target (default one space, so "Output:" + " Paris"). It counts as part
		 * of the target: a byte-level tokenizer then sees " Paris" as one target token instead of a token straddling
		 * the template and the target.
		 */
		targetPrefix: z.string().default(' '),
	})
	.strict();

/**
 * A chat format: system message = the prompt, user message = the input, rendered with the generation prompt; the
 * assistant's reply (the target) follows as given.
 */
export const chatFormatSchema = z
	.object({
		type: z.literal('chat'),
		/** A Jinja chat template overriding the one in tokenizer_config.json (or chat_template.jinja). */
		template: z.string().min(1).optional(),
	})
	.strict();

/** How the judge's text is laid out. */
export const judgeFormatSchema = z.discriminatedUnion('type', [plainFormatSchema, chatFormatSchema]);

export const judgeConfigSchema = z
	.object({
		/** A model folder (the default); a judge on an inference server is kind "server" (server-config.ts). */
		kind: z
			.literal('onnx', {
				error: issue =>
					issue.input === 'server'
						? 'a judge on an inference server: this needs a local model folder (kind "onnx")'
						: 'expected "onnx" (a model folder, the default) or "server" (a judge on an inference server)',
			})
			.optional(),
		/** Name shown in tables and used as the judge's key in sessions. */
		name: z.string().trim().min(1),
		/** What the judge does, for the judges list. */
		description: z.string().optional(),
		/**
		 * Model family, free text ("gpt2", "llama", "qwen2"). When absent, `model_type` from the folder's config.json
		 * is used (present in Optimum exports).
		 */
		family: z.string().trim().min(1).optional(),
		/**
		 * The ONNX model, relative to the folder. When absent: model.onnx if the folder has one, else the folder's
		 * Hugging Face checkpoint (config.json and safetensors), built into an ONNX graph on first use.
		 */
		model: z.string().min(1).optional(),
		/** The Hugging Face tokenizer.json, relative to the folder. */
		tokenizer: z.string().min(1).default('tokenizer.json'),
		/** Prompt format; plain with the default template when absent. */
		format: judgeFormatSchema.prefault({type: 'plain'}),
		/**
		 * Context length in tokens. When absent, taken from config.json (max_position_embeddings, n_positions, n_ctx)
		 * or tokenizer_config.json (model_max_length).
		 */
		maxTokens: z.number().int().positive().optional(),
		/** Held out of selection by default: its loss is reported, never used to choose a candidate. */
		heldout: z.boolean().default(false),
		/**
		 * Whether to put the beginning-of-sequence token before the text. "auto": for a plain format, whatever the
		 * tokenizer's post-processor adds to a single sequence (as `tokenizer(text)` does in transformers); for a chat
		 * format, nothing, since chat templates write their own. Never doubled when the text already starts with it.
		 */
		bos: z.enum(['auto', 'always', 'never']).default('auto'),
		/** "always": append the end-of-sequence token after the target and score it too (the answer ends here). */
		eos: z.enum(['never', 'always']).default('never'),
		/** The BOS token string, overriding tokenizer_config.json's bos_token. */
		bosToken: z.string().min(1).optional(),
		/** The EOS token string, overriding tokenizer_config.json's eos_token. */
		eosToken: z.string().min(1).optional(),
		/**
		 * How segment importances are taken (DESIGN §2): the embedding `baseline` the mask moves towards and the mask
		 * value `maskPoint` where the gradient is read. The defaults (mean embedding, 0.5: the midpoint rule for
		 * L(m=1) - L(m=0)) agree best with leave-one-out on the bundled judges and on stories260K; the paper's
		 * zero baseline at m = 1 is a poor estimate for pre-norm transformers (see README, BENCHMARKS.md).
		 */
		attribution: z
			.object({
				baseline: z.enum(['zero', 'pad', 'mean']).default('mean'),
				/** Mask value of the one-point rule (points = 1); default 0.5. */
				maskPoint: z.number().min(0).max(1).optional(),
				/**
				 * Gauss–Legendre points along the mask path from the baseline (m = 0) to the prompt (m = 1): the gradient
				 * is read at each (the batch's rows repeated once per point, so one run still) and the readings are
				 * combined with the rule's weights. 1 (default) reads it once, at maskPoint.
				 */
				points: z.number().int().min(1).max(MAX_POINTS).default(1),
			})
			.strict()
			.refine(a => a.points === 1 || a.maskPoint === undefined, {
				path: ['points'],
				message: 'more than one point integrates over the whole path from 0 to 1, so maskPoint cannot be set with it',
			})
			.transform(a => ({baseline: a.baseline, maskPoint: a.maskPoint ?? 0.5, points: a.points}))
			.prefault({}),
	})
	.strict();

/** judge.json after validation, defaults filled in. */
export type JudgeConfig = z.output<typeof judgeConfigSchema>;
/** judge.json as written. */
export type JudgeConfigInput = z.input<typeof judgeConfigSchema>;
/** The validated prompt format. */
export type JudgeFormat = z.output<typeof judgeFormatSchema>;
/** A validated plain format. */
export type PlainFormat = z.output<typeof plainFormatSchema>;
/** A validated chat format. */
export type ChatFormat = z.output<typeof chatFormatSchema>;

/** One problem found in judge.json: the field (dotted path, "" for the whole file) and what was expected. */
export type JudgeConfigIssue = {field: string; message: string};

/** Validates parsed judge.json content; returns the config or the first problem. */
export function parseJudgeConfig(
	value: unknown,
): {ok: true; config: JudgeConfig} | {ok: false; issue: JudgeConfigIssue} {
	const result = judgeConfigSchema.safeParse(value);
	if (result.success) return {ok: true, config: result.data};
	const issue = result.error.issues[0]!;
	const path = issue.path.map(String);
	if (issue.code === 'unrecognized_keys') {
		return {ok: false, issue: {field: [...path, issue.keys[0]].join('.'), message: 'unknown field'}};
	}
	const missing = /^Invalid input: (expected .*), received undefined$/.exec(issue.message);
	if (missing) return {ok: false, issue: {field: path.join('.'), message: `missing (${missing[1]})`}};
	return {ok: false, issue: {field: path.join('.'), message: issue.message.replace(/^Invalid input: (expected .*), received (.*)$/, '$1, got $2')}};
}
