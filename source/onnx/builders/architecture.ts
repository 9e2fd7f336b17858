/**
 * What gmpo knows about one Hugging Face model architecture: how to read its config.json, which tensors its
 * checkpoint holds, and how to build the ONNX decoder graph (the Optimum interface of source/onnx/builders/common.ts)
 * over those tensors. The checkpoint importer (source/hf/) looks architectures up by config.json's model_type; each
 * builder module exports one.
 */
import type {Model, Tensor} from '../ir.js';

/** One architecture; C is its builder config. */
export type Architecture<C> = {
	/** config.json `model_type` values this architecture reads (e.g. ["llama", "mistral"]). */
	modelTypes: readonly string[];
	/** config.json (parsed) to the builder config; a missing or unsupported field is a UserError naming file and field. */
	readConfig(json: Record<string, unknown>, file: string): C;
	/** The config.json object transformers would write for `config` (test checkpoints are written with it). */
	configJson(config: C): Record<string, unknown>;
	/**
	 * The tensors of a checkpoint of this config, by the names transformers saves them under, with their shapes in
	 * the checkpoint's layout (nn.Linear [out, in], GPT-2 Conv1D [in, out]). Tied weights appear once.
	 */
	weightShapes(config: C): Map<string, number[]>;
	/**
	 * Checkpoint key as found in a file (some hub checkpoints omit or add a prefix) to the name weightShapes uses;
	 * undefined to drop the key (buffers such as GPT-2's attn.bias, an lm_head.weight saved beside a tied
	 * embedding). Identity when absent.
	 */
	canonicalName?(key: string, config: C): string | undefined;
	/** The decoder graph over `weights` (named as weightShapes), which become its initializers. */
	build(config: C, weights: ReadonlyMap<string, Tensor>): Model;
	/** Seeded random weights of the checkpoint's shapes (float32 or float64 as the config says). */
	randomWeights(config: C, seed: number): Map<string, Tensor>;
};
