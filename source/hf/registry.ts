/**
 * The architectures gmpo imports, by config.json `model_type`. Adding one is one line here: its model_type and the
 * module exporting its Architecture (loaded only when a checkpoint of that type is opened).
 */
import {UserError} from '../errors.js';
import type {Architecture} from '../onnx/builders/architecture.js';

/** Each entry has its own config type; the loader only passes a config between the methods of one entry. */
type AnyArchitecture = Architecture<any>;

const ARCHITECTURES: Record<string, () => Promise<AnyArchitecture>> = {
	llama: async () => (await import('./llama-family.js')).llamaArchitecture,
	mistral: async () => (await import('./llama-family.js')).mistralArchitecture,
	qwen2: async () => (await import('./llama-family.js')).qwen2Architecture,
	qwen3: async () => (await import('./llama-family.js')).qwen3Architecture,
	gpt2: async () => (await import('./gpt2.js')).gpt2Architecture,
	phi3: async () => (await import('../onnx/builders/phi3.js')).phi3Architecture,
	gemma: async () => (await import('../onnx/builders/gemma.js')).gemmaArchitecture,
	gemma2: async () => (await import('../onnx/builders/gemma.js')).gemma2Architecture,
	gpt_neox: async () => (await import('../onnx/builders/gpt-neox.js')).gptNeoxArchitecture,
};

/** The model_type values gmpo imports, sorted. */
export function supportedModelTypes(): string[] {
	return Object.keys(ARCHITECTURES).sort();
}

/** The architecture of a config.json `model_type`; an unsupported one is a UserError listing the supported ones. */
export async function architectureFor(modelType: unknown, file: string): Promise<AnyArchitecture> {
	const load = typeof modelType === 'string' && Object.hasOwn(ARCHITECTURES, modelType) ? ARCHITECTURES[modelType] : undefined;
	if (!load) {
		const what = modelType === undefined ? 'missing' : `${JSON.stringify(modelType)} is not supported`;
		throw new UserError(`${what}; supported model types: ${supportedModelTypes().join(', ')}`, {file, field: 'model_type'});
	}
	const architecture = await load();
	if (!architecture.modelTypes.includes(modelType as string)) {
		throw new Error(`registry: the architecture listed for ${String(modelType)} reads ${architecture.modelTypes.join(', ')}`);
	}
	return architecture;
}
