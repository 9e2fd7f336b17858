import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createFormatter, type RenderedText} from '../../source/judges/format.js';
import {parseJudgeConfig, type JudgeFormat} from '../../source/judges/judge-config.js';
import {encodeJudgeText} from '../../source/judges/segment-map.js';
import {tokenizerFromJson} from '../../source/judges/tokenizer.js';
import {byteLevelTokenizerJson, CHATML_TEMPLATE, LLAMA2_TEMPLATE} from './fixtures.js';

function formatOf(format: unknown): JudgeFormat {
	const parsed = parseJudgeConfig({name: 't', format});
	assert.ok(parsed.ok, JSON.stringify(parsed));
	return parsed.config.format;
}

const chat = formatOf({type: 'chat'});
const llamaTokens = {bos_token: '<s>', eos_token: '</s>'};

/** Every span holds exactly its content. */
function assertSpans(r: RenderedText, segments: string[], input: string, target: string) {
	segments.forEach((s, k) => assert.equal(r.text.slice(r.segments[k]!.start, r.segments[k]!.end), s, `segment ${k}`));
	assert.equal(r.text.slice(r.prompt.start, r.prompt.end), segments.join(''));
	assert.equal(r.text.slice(r.input.start, r.input.end), input);
	assert.equal(r.text.slice(r.target.start, r.target.end), target);
	assert.equal(r.target.end, r.text.length);
}

test('the default plain template puts the target after a space', () => {
	const f = createFormatter({judge: 't', format: formatOf(undefined)});
	const segments = ['Translate to French. ', 'Be brief.'];
	const r = f.render(segments, 'cheese', 'fromage');
	assert.equal(r.text, 'Translate to French. Be brief.\n\nInput: cheese\nOutput: fromage');
	assertSpans(r, segments, 'cheese', ' fromage');
});

test('plain spans are found by construction, even when a segment repeats or looks like a placeholder', () => {
	const format = formatOf({type: 'plain', template: 'Q: {input}\n{prompt}\nA:', targetPrefix: '\n'});
	const f = createFormatter({judge: 't', format});
	const segments = ['Q: ', 'Q: ', '{input} ', '', '😀 é'];
	const r = f.render(segments, 'Q: {prompt}', 'yes');
	assert.equal(r.text, 'Q: Q: {prompt}\nQ: Q: {input} 😀 é\nA:\nyes');
	assertSpans(r, segments, 'Q: {prompt}', '\nyes');
	const at = r.segments[2]!.end;
	assert.deepEqual(r.segments[3], {start: at, end: at}, 'an empty segment has an empty span in place');
});

test('a plain template must hold {prompt} and {input} exactly once', () => {
	for (const template of ['{input} only', '{prompt} {prompt} {input}', '{prompt} no input', '{prompt}{input}{input}']) {
		const parsed = parseJudgeConfig({name: 't', format: {type: 'plain', template}});
		assert.ok(!parsed.ok && parsed.issue.field === 'format.template', template);
	}
});

test('a ChatML template: system = prompt, user = input, generation prompt, then the target', async () => {
	const f = createFormatter({judge: 'qwen', format: chat, chatTemplate: CHATML_TEMPLATE});
	const segments = ['You are terse. ', 'Answer in French.'];
	const r = f.render(segments, 'Capital of France?', 'Paris');
	assert.equal(
		r.text,
		'<|im_start|>system\nYou are terse. Answer in French.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n' +
			'<|im_start|>assistant\nParis',
	);
	assertSpans(r, segments, 'Capital of France?', 'Paris');
	const tokenizer = await tokenizerFromJson(await byteLevelTokenizerJson());
	const tokens = await encodeJudgeText(tokenizer, r);
	assert.equal(tokens.splitBoundary, false);
	assert.equal(await tokenizer.decode(tokens.targetIds), 'Paris');
	const imStart = tokenizer.tokenId('<|im_start|>');
	tokens.contextIds.forEach((id, i) => {
		if (id === imStart) assert.equal(tokens.contextSegments[i], -1);
	});
	for (const k of [0, 1]) {
		const ids = tokens.contextIds.filter((_, i) => tokens.contextSegments[i] === k);
		assert.equal(await tokenizer.decode(ids), segments[k]);
	}
});

test('a Llama-2 template folds the system prompt into the first user turn and writes BOS itself', () => {
	const f = createFormatter({judge: 'llama', format: chat, chatTemplate: LLAMA2_TEMPLATE, specialTokens: llamaTokens});
	const segments = ['Be terse.', ' Use French.'];
	const r = f.render(segments, 'Capital of France?', ' Paris');
	assert.equal(r.text, '<s>[INST] <<SYS>>\nBe terse. Use French.\n<</SYS>>\n\nCapital of France? [/INST] Paris');
	assertSpans(r, segments, 'Capital of France?', ' Paris');
});

test('judge.json may carry its own chat template; tools and documents are none, as in transformers', () => {
	const template =
		'{% if tools is not none or documents is not none %}T{% endif %}' +
		'{{ messages[0].content }}|{{ messages[1].content }}|';
	const format = formatOf({type: 'chat', template});
	const r = createFormatter({judge: 't', format}).render(['a', 'b'], 'c', 'd');
	assert.equal(r.text, 'ab|c|d');
});

test('templates that do not place the prompt verbatim are refused, naming the judge', () => {
	const render = (template: string, segments = ['Be brief.'], input = 'x') =>
		createFormatter({judge: 'picky', format: chat, chatTemplate: template, specialTokens: llamaTokens}).render(
			segments,
			input,
			'y',
		);
	// Llama-2 strips the user turn, so an input ending in spaces loses them.
	assert.throws(() => render(LLAMA2_TEMPLATE, ['Be brief.'], 'x  '), {
		name: 'UserError',
		message: /judge "picky".*verbatim/,
	});
	assert.throws(() => render("{{ messages[0]['content'] | trim }}{{ messages[1]['content'] }}", ['Be brief.\n']), {
		message: /judge "picky".*verbatim/,
	});
	assert.throws(() => render("{{ messages[0]['content'] | upper }}{{ messages[1]['content'] }}"), {
		message: /judge "picky": its chat template does not print the system message/,
	});
	assert.throws(() => render("{{ messages[0]['content'] }}{{ messages[0]['content'] }}{{ messages[1]['content'] }}"), {
		message: /judge "picky": its chat template prints 2 times the system message/,
	});
	assert.throws(() => render("{{ messages[0]['content'] }}"), {message: /does not print the user message/});
	const refuseSystem =
		"{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}";
	assert.throws(() => render(refuseSystem), {
		message: /judge "picky": its chat template failed: System role not supported/,
	});
	assert.throws(() => render('{% for m in messages %}{{ m.content }'), {
		message: /judge "picky": its chat template does not parse/,
	});
	assert.throws(() => createFormatter({judge: 'bare', format: chat}), {
		message: /judge "bare" uses a chat format but has no chat template/,
	});
});
