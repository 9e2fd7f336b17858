/**
 * The layout of onnxruntime's GPT-2 exports (onnxruntime-genai's tiny-random-gpt2 test models), rebuilt from the
 * project's GPT-2 builder by graph edits, so tests need no download:
 * - the token and position embeddings and block 0's first LayerNorm fused into one com.microsoft
 *   EmbedLayerNormalization node (its embedding_sum output carries the residual stream);
 * - int32 input_ids, attention_mask and position_ids;
 * - keys and values packed per layer: inputs past_<i> [2, batch, heads, past, head_dim], outputs present_<i>;
 * - optionally one fused kernel on the path that gmpo cannot differentiate, standing in for the Attention kernel those
 *   exports use: block 0's MLP input projection as com.microsoft FusedMatMul with the activation transposed into it
 *   (transA, as onnxruntime's MatMulTransposeFusion writes it), which the gradient rule refuses: leave-one-out.
 * The function computed is the builder's: scores must equal the plain model's.
 */
import {cloneModel, ensureOpset, tensorOf, type Model, type Node} from '../../source/onnx/ir.js';

/** Which of the layout's features to apply. */
export type GenaiLayout = {
	/** Fuse the embedding into EmbedLayerNormalization (default true). */
	fusedEmbedding?: boolean;
	/** int32 id inputs (default true). */
	int32?: boolean;
	/** Packed past_<i> inputs and present_<i> outputs (default true). */
	packedPast?: boolean;
	/** A FusedMatMul with transA in block 0's MLP (default false). */
	fusedKernel?: boolean;
};

const node = (op: string, name: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}, domain = ''): Node => ({op, domain, name, inputs, outputs, attrs});

/** The builder's GPT-2 graph `source` (not modified) in onnxruntime's GPT-2 export layout. */
export function genaiGpt2(source: Model, layers: number, layout: GenaiLayout = {}): Model {
	const m = cloneModel(source);
	const g = m.graph;
	if (layout.fusedEmbedding ?? true) {
		const tokenGather = g.nodes.find(n => n.op === 'Gather' && n.inputs[0] === 'transformer.wte.weight')!;
		const positionGather = g.nodes.find(n => n.op === 'Gather' && n.inputs[0] === 'transformer.wpe.weight')!;
		const add = g.nodes.find(n => n.op === 'Add' && n.inputs.includes(tokenGather.outputs[0]!))!;
		const ln = g.nodes.find(n => n.op === 'LayerNormalization' && n.inputs[0] === add.outputs[0])!;
		const epsilon = ln.attrs.epsilon ?? {type: 'float', value: 1e-5};
		const eln = node(
			'EmbedLayerNormalization',
			'embed_ln',
			[tokenGather.inputs[1]!, '', 'transformer.wte.weight', 'transformer.wpe.weight', '', ln.inputs[1]!, ln.inputs[2]!, '', positionGather.inputs[1]!],
			[ln.outputs[0]!, '', add.outputs[0]!],
			{epsilon},
			'com.microsoft',
		);
		const at = g.nodes.indexOf(tokenGather);
		g.nodes = g.nodes.filter(n => n !== tokenGather && n !== positionGather && n !== add && n !== ln);
		g.nodes.splice(at, 0, eln);
		ensureOpset(m, 'com.microsoft', 1);
	}
	if (layout.int32 ?? true) {
		g.inputs = g.inputs.map(v => (['input_ids', 'position_ids', 'attention_mask'].includes(v.name) ? {...v, dtype: 'int32'} : v));
	}
	if (layout.packedPast ?? true) {
		g.initializers.set('genai/zero', tensorOf('int64', [], [0]));
		g.initializers.set('genai/one', tensorOf('int64', [], [1]));
		g.initializers.set('genai/axis0', tensorOf('int64', [1], [0]));
		const inputs = g.inputs.filter(v => !v.name.startsWith('past_key_values.'));
		const outputs = g.outputs.filter(v => !v.name.startsWith('present.'));
		const unpack: Node[] = [];
		for (let i = 0; i < layers; i++) {
			const key = g.inputs.find(v => v.name === `past_key_values.${i}.key`)!;
			const [batch, heads, past, headDim] = key.shape!;
			inputs.push({name: `past_${i}`, dtype: key.dtype, shape: [2, batch!, heads!, past!, headDim!]});
			unpack.push(
				node('Gather', `genai/past_${i}_key`, [`past_${i}`, 'genai/zero'], [`past_key_values.${i}.key`], {axis: {type: 'int', value: 0}}),
				node('Gather', `genai/past_${i}_value`, [`past_${i}`, 'genai/one'], [`past_key_values.${i}.value`], {axis: {type: 'int', value: 0}}),
			);
			g.nodes.push(
				node('Unsqueeze', `genai/present_${i}_k`, [`present.${i}.key`, 'genai/axis0'], [`genai/present_${i}_k`]),
				node('Unsqueeze', `genai/present_${i}_v`, [`present.${i}.value`, 'genai/axis0'], [`genai/present_${i}_v`]),
				node('Concat', `genai/present_${i}`, [`genai/present_${i}_k`, `genai/present_${i}_v`], [`present_${i}`], {axis: {type: 'int', value: 0}}),
			);
			outputs.push({name: `present_${i}`, dtype: key.dtype});
		}
		g.nodes.unshift(...unpack);
		g.inputs = inputs;
		g.outputs = outputs;
	}
	if (layout.fusedKernel) {
		const fc = g.nodes.find(n => n.op === 'MatMul' && n.inputs[1] === 'transformer.h.0.mlp.c_fc.weight')!;
		const x = fc.inputs[0]!;
		g.nodes.splice(g.nodes.indexOf(fc), 0, node('Transpose', 'fused_fc_input', [x], ['fused_fc_input_t'], {perm: {type: 'ints', value: [0, 2, 1]}}));
		Object.assign(fc, {op: 'FusedMatMul', domain: 'com.microsoft', name: 'fused_fc', inputs: ['fused_fc_input_t', fc.inputs[1]!], attrs: {alpha: {type: 'float', value: 1}, transA: {type: 'int', value: 1}, transB: {type: 'int', value: 0}}});
		ensureOpset(m, 'com.microsoft', 1);
	}
	return m;
}
