/**
 * Typed access to a Hugging Face config.json, with transformers' defaults and errors that name the file and field.
 * Reads both generations of the format: transformers 4 (top-level `rope_theta`, `rope_scaling`, `torch_dtype`) and
 * transformers 5 (`rope_parameters`, `dtype`).
 */
import {UserError} from '../errors.js';
import type {FloatDType} from '../onnx/builders/common.js';

/** float64 when the weights are float64; every other stored type (float16, bfloat16, float32) runs as float32. */
export function computeDType(json: Record<string, unknown>): FloatDType {
	return (json['torch_dtype'] ?? json['dtype']) === 'float64' ? 'float64' : 'float32';
}

/** Reads fields of one config.json object. */
export class ConfigReader {
	constructor(
		readonly json: Record<string, unknown>,
		readonly file: string,
	) {}

	raw(key: string): unknown {
		return this.json[key];
	}

	/** True when the key is absent or null. */
	absent(key: string): boolean {
		return this.json[key] === undefined || this.json[key] === null;
	}

	fail(field: string, message: string): never {
		throw new UserError(message, {file: this.file, field});
	}

	num(key: string, fallback?: number): number {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'number' || !Number.isFinite(v)) {
			this.fail(key, v === undefined ? 'missing (expected a number)' : `expected a number, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	int(key: string, fallback?: number): number {
		const v = this.num(key, fallback);
		if (!Number.isInteger(v) || v <= 0) {
			this.fail(key, `expected a positive integer, got ${v}`);
		}
		return v;
	}

	/** A positive integer, or undefined when the key is absent or null. */
	optionalInt(key: string): number | undefined {
		return this.absent(key) ? undefined : this.int(key);
	}

	bool(key: string, fallback: boolean): boolean {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'boolean') {
			this.fail(key, `expected true or false, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	/** A token id; HF allows a list for eos (several stop tokens), of which the first is the canonical one. */
	tokenId(key: string, fallback: number): number {
		return this.optionalTokenId(key) ?? fallback;
	}

	optionalTokenId(key: string): number | undefined {
		return this.tokenIds(key)[0];
	}

	/** Every id of a token-id field (a number or a list of numbers). */
	tokenIds(key: string): number[] {
		const raw = this.json[key];
		if (raw === undefined || raw === null) {
			return [];
		}
		const list = Array.isArray(raw) ? raw : [raw];
		if (!list.every(v => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
			this.fail(key, `expected a token id (a non-negative integer) or a list of them, got ${JSON.stringify(raw)}`);
		}
		return list as number[];
	}

	dtype(): FloatDType {
		return computeDType(this.json);
	}

	/** pad_token_id only when the config has one, so a config without it round-trips without an undefined key. */
	optionalPad(): {padTokenId?: number} {
		const pad = this.optionalTokenId('pad_token_id');
		return pad === undefined ? {} : {padTokenId: pad};
	}

	/**
	 * RoPE settings: theta and the scaling dict (transformers 5 `rope_parameters`, else transformers 4 `rope_theta`
	 * and `rope_scaling`). `type` is "default" when there is no scaling.
	 */
	rope(defaultTheta = 10000): {theta: number; type: string; params: Record<string, unknown>; field: string} {
		const p5 = this.json['rope_parameters'];
		const p4 = this.json['rope_scaling'];
		const field = p5 !== undefined && p5 !== null ? 'rope_parameters' : 'rope_scaling';
		const params = (field === 'rope_parameters' ? p5 : p4) ?? {};
		if (typeof params !== 'object' || Array.isArray(params)) {
			this.fail(field, `expected an object or null, got ${JSON.stringify(params)}`);
		}
		const dict = params as Record<string, unknown>;
		const theta = dict['rope_theta'] ?? this.json['rope_theta'] ?? defaultTheta;
		if (typeof theta !== 'number' || !(theta > 0)) {
			this.fail(dict['rope_theta'] === undefined ? 'rope_theta' : `${field}.rope_theta`, `expected a positive number, got ${JSON.stringify(theta)}`);
		}
		const type = dict['rope_type'] ?? dict['type'] ?? 'default';
		if (typeof type !== 'string') {
			this.fail(`${field}.rope_type`, `expected a string, got ${JSON.stringify(type)}`);
		}
		return {theta, type, params: dict, field};
	}

	/** A number inside a nested dict such as rope_scaling, named `<field>.<key>` in errors. */
	nested(dict: Record<string, unknown>, field: string, key: string, fallback?: number): number {
		const v = dict[key] ?? fallback;
		if (typeof v !== 'number' || !Number.isFinite(v)) {
			this.fail(`${field}.${key}`, v === undefined ? 'missing (expected a number)' : `expected a number, got ${JSON.stringify(v)}`);
		}
		return v;
	}
}
