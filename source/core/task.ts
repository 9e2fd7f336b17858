/**
 * The task file a user writes (JSON or YAML): schema and defaults. Validation only; reading files and resolving
 * JSONL paths is done by source/tasks/load-task.ts, the one place task files are loaded.
 */
import {z} from 'zod';
import {DEFAULT_RACING, type RacingSettings} from './racing.js';

/** One example as written in a task file or a JSONL line. */
export const exampleSchema = z
	.object({
		input: z.string(),
		target: z.string().optional(),
		targets: z.record(z.string(), z.string()).optional(),
		weight: z.number().finite().optional(),
	})
	.strict()
	.refine(e => e.target !== undefined || e.targets !== undefined, {message: 'needs "target" or "targets"'});

/** Examples inline, or the path of a JSONL file (relative to the task file). */
const examplesSchema = z.union([z.array(exampleSchema).min(1), z.string().min(1)]);

export const objectiveSchema = z
	.object({
		/** Key in each example's `targets`. */
		name: z.string().min(1),
		/** What the objective measures. */
		description: z.string().optional(),
		/** Weight in the combined objective. */
		weight: z.number().positive().default(1),
	})
	.strict();

export const generatorSchema = z
	.object({
		kind: z.enum(['offline', 'openai', 'textual']).default('offline'),
		model: z.string().optional(),
		baseUrl: z.string().url().optional(),
		/** Candidate edits per round (N). */
		candidates: z.number().int().min(1).max(64).default(12),
		/** Textual-gradient decomposition (second seed): loss, gradient, optimizer each per objective (S) or combined (C). */
		textualMode: z.enum(['SSS', 'SSC', 'SCC', 'CCC']).optional(),
	})
	.strict();

const racingObject = z
	.object({
		enabled: z.boolean().default(DEFAULT_RACING.enabled),
		/** Fewest examples of the first rung. */
		firstRung: z.number().int().min(1).default(DEFAULT_RACING.firstRung),
		/** Halving stops once this many candidates or fewer are left. */
		survivors: z.number().int().min(1).default(DEFAULT_RACING.survivors),
	})
	.strict();

/** `racing: true | false | {enabled, firstRung, survivors}`, always read as the object. */
export const racingSchema = z
	.union([z.boolean(), racingObject])
	.default(DEFAULT_RACING.enabled)
	.transform((r): RacingSettings => (typeof r === 'boolean' ? {...DEFAULT_RACING, enabled: r} : r));

export const taskSchema = z
	.object({
		name: z.string().min(1),
		description: z.string().optional(),
		/** The initial prompt. */
		prompt: z.string().min(1),
		// `segmentation: sentences` is short for `segmentation: {mode: sentences}`.
		segmentation: z
			.preprocess(
				value => (typeof value === 'string' ? {mode: value} : value),
				z
					.object({
						mode: z.enum(['sentences', 'lines', 'markers']).default('sentences'),
						/** Separator for mode "markers" (removed from the prompt). */
						marker: z.string().min(1).default('||'),
					})
					.strict(),
			)
			.default({mode: 'sentences', marker: '||'}),
		data: z
			.object({
				train: examplesSchema,
				test: examplesSchema,
			})
			.strict(),
		objectives: z.array(objectiveSchema).min(1).optional(),
		multiObjective: z.enum(['sum', 'pcgrad', 'mgda', 'separate']).default('sum'),
		/** Judge names (bundled) or folders; default: every bundled judge. */
		judges: z.array(z.string().min(1)).min(1).optional(),
		/** Judges never used for selection, only reported (transfer check). */
		heldout: z.array(z.string().min(1)).optional(),
		generator: generatorSchema.default({kind: 'offline', candidates: 12}),
		/** Replacement phrases for the offline generator. */
		phraseBank: z.array(z.string().min(1)).default([]),
		/** Segments to edit per round (m). */
		editSegments: z.number().int().min(1).max(16).default(2),
		/** Examples per round's minibatch. */
		batchSize: z.number().int().min(1).max(1024).default(8),
		/** Every round uses the same minibatch (the first round's), so batch losses compare across rounds. */
		fixedBatch: z.boolean().default(false),
		rounds: z.number().int().min(1).max(1000).default(5),
		aggregation: z.enum(['mean', 'median', 'min', 'borda']).default('mean'),
		normalisation: z.enum(['l2', 'loss', 'none']).default('l2'),
		/** On a transfer alarm (held-out test loss up, selection judges' down): warn, or also stop an automatic run. */
		transferAlarm: z.enum(['warn', 'stop']).default('warn'),
		/**
		 * Racing candidate scoring (see core/racing.ts): true (default) races with the default rungs, false scores every
		 * candidate on the whole batch, an object sets the first rung and the survivors.
		 */
		racing: racingSchema,
		/** The aggregate loss decrease (nats/token) the top candidate must beat to be accepted automatically. */
		threshold: z.number().default(0),
		seed: z.number().int().default(1),
	})
	.strict();

/** A task file as written (before JSONL paths are resolved). */
export type TaskFile = z.infer<typeof taskSchema>;
export type TaskExample = z.infer<typeof exampleSchema>;

/** A task with its examples loaded. */
export type Task = Omit<TaskFile, 'data'> & {
	data: {train: TaskExample[]; test: TaskExample[]};
	/** Where the task file was read from (absolute path), if from a file. */
	file?: string;
};
