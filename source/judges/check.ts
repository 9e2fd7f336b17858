/**
 * `gmpo judges check`: what a judge folder holds and whether it works: facts, loss on a sample, and a
 * finite-difference spot check of one segment's gradient (central difference of the masked loss at the judge's
 * mask point).
 */
import {OnnxJudge} from './onnx-judge.js';
import type {OrtPool} from './pool.js';
import type {JudgeInfo} from './types.js';

/** The sample every check scores. */
export const CHECK_SAMPLE = {
	segments: ['You are a careful assistant. ', 'Convert the word to uppercase. ', 'Answer with the word only.'],
	examples: [
		{input: 'apple', target: 'APPLE'},
		{input: 'river', target: 'RIVER'},
	],
};

/** The report of a check: the judge's facts, its loss on the sample and the spot check. */
export type CheckReport = Omit<JudgeInfo, 'gradient'> & {
	/** Whether gradients are available, or why not. */
	gradient: {available: boolean; reason?: string};
	/** Mean loss on the sample. */
	sampleLoss: number;
	/** The gradient of one segment against a central finite difference of the masked loss. */
	spotCheck?: {segment: number; gradient: number; finiteDifference: number; relativeError: number; ok: boolean};
};

/** Check the judge folder at `dir`. */
export async function checkJudge(dir: string, pool: OrtPool): Promise<CheckReport> {
	const judge = await OnnxJudge.open(dir, {pool});
	const {segments, examples} = CHECK_SAMPLE;
	const score = await judge.score(segments, examples);
	const sampleLoss = score.losses.reduce((a, b) => a + b, 0) / score.losses.length;
	const report: CheckReport = {
		name: judge.info.name,
		family: judge.info.family,
		heldout: judge.info.heldout,
		parameters: judge.info.parameters,
		vocabSize: judge.info.vocabSize,
		contextLength: judge.info.contextLength,
		gradient: judge.info.gradient.available ? {available: true} : {available: false, reason: judge.info.gradient.reason},
		sampleLoss,
	};
	if (judge.info.gradient.available) {
		const attributed = await judge.attribute(segments, examples);
		// The segment with the largest gradient gives the best-conditioned check in float32.
		const mean = segments.map((_, k) => attributed.importance.reduce((s, row) => s + row[k]!, 0) / examples.length);
		const k = mean.reduce((best, v, i) => (Math.abs(v) > Math.abs(mean[best]!) ? i : best), 0);
		// The gradient is read with every mask at the judge's mask point, so the difference is taken there too.
		const eps = 0.02;
		const point = judge.maskPoint;
		const at = async (m: number) => {
			const losses = await judge.maskedLoss(segments, examples, segments.map((_, i) => (i === k ? m : point)));
			return losses.reduce((a, b) => a + b, 0) / losses.length;
		};
		const finiteDifference = -((await at(point + eps)) - (await at(point - eps))) / (2 * eps);
		const gradient = mean[k]!;
		const relativeError = Math.abs(gradient - finiteDifference) / Math.max(Math.abs(finiteDifference), 1e-6);
		report.spotCheck = {segment: k, gradient, finiteDifference, relativeError, ok: relativeError < 0.05 || Math.abs(gradient - finiteDifference) < 1e-4};
	}
	await judge.close();
	return report;
}
