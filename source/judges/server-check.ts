/**
 * `gmpo judges check` on a judge served by an inference engine: is the server reachable, does it serve the model,
 * does its tokenizer agree with the judge's tokenizer folder, and does it return prompt log-probabilities (a sample
 * loss), each with its latency. The steps run in that order and stop at the first failure, whose one line is the
 * command's error.
 */
import {isUserError} from '../errors.js';
import {checkServedModel, checkTokenizer, loadServerJudge, PROBE, ServerJudge, type ServerJudgeOptions} from './server-judge.js';

/** One step of the check. */
export type ServerCheckStep = {
	/** What was checked. */
	step: 'reachable' | 'model' | 'tokenizer' | 'sample';
	/** What was found. */
	detail: string;
	/** Time the step's requests took, in ms. */
	latencyMs: number;
};

/** The report of a server judge's check. */
export type ServerCheckReport = {
	/** Always "server". */
	kind: 'server';
	/** Judge name. */
	name: string;
	/** vllm or sglang. */
	engine: string;
	/** The server's base URL. */
	url: string;
	/** The model name the judge asks for. */
	model: string;
	/** Context length in tokens, when judge.json or the server states it. */
	contextLength?: number;
	/** Steps passed, in order. */
	steps: ServerCheckStep[];
	/** Mean loss of the sample (nats per token), when scored. */
	sampleLoss?: number;
	/** The first failure: the step and its one line. */
	failure?: {step: ServerCheckStep['step']; message: string};
};

/** Checks the server judge in `dir`. User errors found on the way end up in `failure` (with the error to rethrow). */
export async function checkServerJudge(dir: string, options: ServerJudgeOptions = {}): Promise<{report: ServerCheckReport; error?: Error}> {
	const parts = await loadServerJudge(dir, options);
	const {config} = parts;
	const report: ServerCheckReport = {kind: 'server', name: config.name, engine: config.engine, url: parts.client.root, model: config.model, steps: []};
	const timed = async <T>(step: ServerCheckStep['step'], run: () => Promise<T>, detail: (value: T) => string): Promise<T> => {
		const start = performance.now();
		try {
			const value = await run();
			report.steps.push({step, detail: detail(value), latencyMs: Math.round(performance.now() - start)});
			return value;
		} catch (error) {
			if (isUserError(error)) report.failure = {step, message: error.line};
			throw error;
		}
	};
	try {
		await timed('reachable', () => parts.protocol.models(parts.client), models => `answers, ${models.length} model${models.length === 1 ? '' : 's'} served`);
		const contextLength = await timed('model', () => checkServedModel(parts), length => `"${config.model}" is served${length ? ` (context ${length} tokens)` : ''}`);
		report.contextLength = config.maxTokens ?? contextLength ?? parts.text.maxTokens;
		await timed('tokenizer', () => checkTokenizer(parts), probe => `agrees with ${parts.text.tokenizerPath} on a ${probe.tokens}-token probe`);
		const judge = new ServerJudge(parts, {contextLength});
		const scored = await timed('sample', () => judge.score(PROBE.segments, PROBE.examples), r => `${r.losses.length} sequences scored from prompt log-probabilities`);
		report.sampleLoss = scored.losses.reduce((a, b) => a + b, 0) / scored.losses.length;
		return {report};
	} catch (error) {
		if (!isUserError(error)) throw error;
		return {report, error};
	}
}

/** The report as lines for a terminal. */
export function formatServerCheck(r: ServerCheckReport): string {
	const ms = (step: ServerCheckStep['step']) => r.steps.find(s => s.step === step);
	const line = (label: string, step: ServerCheckStep['step']) => {
		const s = ms(step);
		if (s) return `${label.padEnd(13)}${s.detail} (${s.latencyMs} ms)`;
		return `${label.padEnd(13)}${r.failure?.step === step ? 'FAILED' : 'not checked'}`;
	};
	return [
		`judge        ${r.name} (${r.engine} server at ${r.url}, model "${r.model}")`,
		line('reachable', 'reachable'),
		line('model', 'model'),
		line('tokenizer', 'tokenizer'),
		line('sample', 'sample'),
		`sample loss  ${r.sampleLoss === undefined ? 'not measured' : `${r.sampleLoss.toFixed(4)} nats/token`}`,
		`context      ${r.contextLength ?? 'unknown'} tokens`,
		'gradients    none from a server: importances are deletion leave-one-out (K+1 sequences per example)',
		'',
	].join('\n');
}

/**
 * The command's part: prints the report (JSON with `json`) and returns the exit code. A failed step is a user error:
 * in text mode the steps that passed are printed and the failure is thrown (one line, exit 2); in JSON mode the report
 * carries it and the code is 2.
 */
export async function runServerCheck(dir: string, json: boolean, out: {write(text: string): unknown}): Promise<number> {
	const {report, error} = await checkServerJudge(dir);
	if (json) {
		out.write(`${JSON.stringify(report, null, 2)}\n`);
		return error ? 2 : 0;
	}
	out.write(formatServerCheck(report));
	if (error) throw error;
	return 0;
}
