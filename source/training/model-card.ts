/**
 * The model card (README.md) of a bundled judge: what it is, what it was trained on and how, its training curve
 * and its quality figures, with the command that reproduces it.
 */
import {HELDOUT_FRACTION} from './corpus.js';
import type {JudgeSpec} from './judge-specs.js';
import {QUALITY_PER_TASK, QUALITY_SEED, type QualityReport} from './quality.js';
import {TASK_TYPES} from './task-types.js';
import {duration, type CurvePoint} from './train.js';
import {parameterCount} from './train-graph.js';

/** What the card reports besides the spec. */
export type CardFacts = {
	/** Base seed of the build. */
	seed: number;
	/** Quality figures of the written folder. */
	quality: QualityReport;
	/** Held-out curve of the run. */
	curve: CurvePoint[];
	/** Training examples (one pass, each seen once). */
	trainExamples: number;
	/** Training tokens (padding excluded). */
	trainTokens: number;
	/** Seconds of training (this judge alone). */
	seconds: number;
	/** Size of model.onnx in bytes. */
	modelBytes: number;
	/** Command that rebuilds the judge. */
	command: string;
};

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function architecture(spec: JudgeSpec): string {
	const m = spec.train.spec;
	if (m.family === 'gpt2') {
		const c = m.config;
		return `GPT-2 style: ${c.nLayer} layers, hidden ${c.nEmbd}, ${c.nHead} heads, MLP ${4 * c.nEmbd}, learned positions (${c.nPositions}), LayerNorm, tanh GELU, LM head tied to the token embedding`;
	}
	const c = m.config;
	return `Llama style: ${c.numHiddenLayers} layers, hidden ${c.hiddenSize}, ${c.numAttentionHeads} query / ${c.numKeyValueHeads} key-value heads, SwiGLU MLP ${c.intermediateSize}, RoPE (theta ${c.ropeTheta}), RMSNorm, LM head tied to the token embedding`;
}

function taskMix(spec: JudgeSpec): string {
	const heavy = Object.entries(spec.taskWeights ?? {}).filter(([, w]) => w !== 1);
	if (heavy.length === 0) return 'Task types are drawn uniformly.';
	return `Task types are drawn in proportion to their weight: ${heavy.map(([t, w]) => `${t} ${w}`).join(', ')}, the others 1 (the slowest-learned tasks get more examples).`;
}

/** The card's Markdown. */
export function modelCard(spec: JudgeSpec, facts: CardFacts): string {
	const t = spec.train;
	const q = facts.quality;
	const mix = spec.mix;
	const curveRows = facts.curve.map(p => `| ${p.step} | ${p.lr.toExponential(2)} | ${f3(p.trainLoss)} | ${f3(p.heldoutLoss)} |`);
	return `# ${spec.name}

${spec.description}.${spec.heldout ? ' Marked `heldout` in judge.json: by default it is never used to select candidates, only to measure transfer.' : ''}

Built by \`npm run build:judges\` (scripts/build-judges.ts) from project code only: the corpus, the tokenizer and the
training run are all seeded, and nothing was downloaded.

## Model

- ${architecture(spec)}.
- ${parameterCount(t.spec).toLocaleString('en-US')} parameters, float32; model.onnx is ${(facts.modelBytes / 1e6).toFixed(2)} MB.
- Tokenizer: the project's byte-level BPE (768 tokens, digits split one per token, \`<|endoftext|>\` = id 767), learned from the corpus.
- Format (judge.json): plain template \`{prompt}\\n\\nInput: {input}\\nOutput:\`, target prefix " ", \`<|endoftext|>\` before
  the text and after the target (scored). This is exactly the layout it was trained on. Context: ${spec.maxTokens} tokens.

## Training data

The synthetic instruction-following corpus of source/training/corpus.ts (seed ${spec.dataSeed}): ${TASK_TYPES.length} task types
(string transforms, arithmetic, counting, comparison, sorting, rule-based sentiment, ...), each stated by paraphrased
instructions, with filler ("useless") sentences and modifiers ("misleading": they change the answer, and the target
follows them) mixed in. Mix: second paraphrase ${mix.secondHelpful}, "Please" ${mix.please}, 0-4 filler sentences with
probabilities [${mix.useless.join(', ')}], content modifier ${mix.content}, format modifier ${mix.format}.
${taskMix(spec)}
${pct(HELDOUT_FRACTION)} of (task, input) problems are held out by a hash and never trained on.
${facts.trainExamples.toLocaleString('en-US')} training examples, each seen once (${facts.trainTokens.toLocaleString('en-US')} tokens).

## Training

- Loss: next-token cross-entropy over the whole text; answer and final \`<|endoftext|>\` tokens weigh 1, context tokens
  ${t.contextWeight} (the model learns the language of instructions, but the answers it must score dominate).
- AdamW (beta ${t.adamw.beta1}/${t.adamw.beta2}, eps ${t.adamw.eps}, weight decay ${t.adamw.weightDecay} on block matrices only, not on norms, biases or embeddings),
  peak learning rate ${t.lr}, ${t.warmup} warmup steps, cosine decay to ${Number((t.lr * t.minLrRatio).toPrecision(6))} (${t.minLrRatio} of the peak), gradient clipping at global norm ${t.clip}.
- ${t.steps} steps of ${t.batchSize} sequences (length-bucketed batches in a seeded order); init seed ${t.initSeed}, batch seed ${t.batchSeed}.
- Gradients by the project's ONNX autodiff, run on onnxruntime-node with one intra-op thread (deterministic).
  Training took ${duration(facts.seconds)} on a 2-core machine.

### Training curve

Train loss: weighted mean over the steps since the previous row. Held-out: mean cross-entropy (nats/token) of the
target tokens of 256 held-out examples.

| step | lr | train loss | held-out target loss |
|---:|---:|---:|---:|
${curveRows.join('\n')}

## Quality

On ${q.examples} held-out problems, ${QUALITY_PER_TASK} of each task type (quality sample seed ${QUALITY_SEED}, source/training/quality.ts; checked by
test/training/judges-quality.test.ts on the committed files):

| figure | value | required |
|---|---:|---:|
| held-out target loss (nats/token) | ${f3(q.heldoutLoss)} | |
| unigram baseline (target-token unigram from training examples) | ${f3(q.unigramLoss)} | |
| ratio | ${pct(q.lossRatio)} | <= 50% |
| greedy decoding gives exactly the answer for a clear instruction | ${pct(q.greedyRate)} | >= 60% |
| clean instruction scores the answer better than with a misleading sentence added | ${pct(q.misleadingRate)} | >= 90% |

## Reproduce

\`\`\`
${facts.command}
\`\`\`

<!-- build-time -->

The same seed gives the same weights and so the same figures: held-out target loss ${f3(q.heldoutLoss)} on the
quality sample${facts.curve.length > 0 ? `, ${f3(facts.curve[facts.curve.length - 1]!.heldoutLoss)} on the curve set` : ''} (seed ${facts.seed}).
`;
}

