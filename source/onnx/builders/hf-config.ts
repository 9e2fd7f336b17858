/**
 * Typed reading of a Hugging Face config.json for the architecture builders: transformers' defaults where a key is
 * absent, and a UserError naming the file and the field (nested ones as "rope_scaling.short_factor") for anything
 * malformed or unsupported. Both config styles are read: transformers 4 (top-level rope_theta, rope_scaling,
 * torch_dtype) and transformers 5 (a rope_parameters object, dtype).
 */
import {UserError} from '../../errors.js';
import type {FloatDType} from './common.js';

/** Checkpoint storage types whose values transformers rounds some constants to (the model runs in that type). */
export type HalfDType = 'bfloat16' | 'float16';

export class HfConfigReader {
	constructor(
		private readonly json: Record<string, unknown>,
		/** The config.json path, named in every error. */
		readonly file: string,
		private readonly prefix = '',
	) {}

	/** The value as stored (undefined when absent). */
	raw(key: string): unknown {
		return this.json[key];
	}

	/** True when the key is present and not null. */
	has(key: string): boolean {
		return this.json[key] !== undefined && this.json[key] !== null;
	}

	/** The full field name of `key` for messages. */
	field(key: string): string {
		return `${this.prefix}${key}`;
	}

	fail(key: string, message: string): never {
		throw new UserError(message, {file: this.file, field: this.field(key)});
	}

	/** Fail naming a field by its full name (one found by rope(), or a check on the finished config). */
	failField(field: string, message: string): never {
		throw new UserError(message, {file: this.file, field});
	}

	/** A finite number; null or absent takes `fallback` (an error when there is none). */
	num(key: string, fallback?: number): number {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'number' || !Number.isFinite(v)) {
			this.fail(key, v === undefined ? 'missing (expected a number)' : `expected a number, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	/** A positive number, or undefined when the key is absent or null. */
	optionalPositive(key: string): number | undefined {
		if (!this.has(key)) {
			return undefined;
		}
		const v = this.num(key);
		if (v <= 0) {
			this.fail(key, `expected a positive number or null, got ${v}`);
		}
		return v;
	}

	/** A positive integer. */
	int(key: string, fallback?: number): number {
		const v = this.num(key, fallback);
		if (!Number.isInteger(v) || v <= 0) {
			this.fail(key, `expected a positive integer, got ${v}`);
		}
		return v;
	}

	bool(key: string, fallback: boolean): boolean {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'boolean') {
			this.fail(key, `expected true or false, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	str(key: string, fallback: string): string {
		const v = this.json[key] ?? fallback;
		if (typeof v !== 'string') {
			this.fail(key, `expected a string, got ${JSON.stringify(v)}`);
		}
		return v;
	}

	/** A non-empty list of finite numbers. */
	numbers(key: string): number[] {
		const v = this.json[key];
		if (!Array.isArray(v) || v.length === 0 || v.some(x => typeof x !== 'number' || !Number.isFinite(x))) {
			this.fail(key, `expected a list of numbers, got ${v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 60)}`);
		}
		return v as number[];
	}

	/** A nested object (undefined when absent or null); its fields are named "key.field" in errors. */
	object(key: string): HfConfigReader | undefined {
		const v = this.json[key];
		if (v === undefined || v === null) {
			return undefined;
		}
		if (typeof v !== 'object' || Array.isArray(v)) {
			this.fail(key, `expected an object or null, got ${JSON.stringify(v)}`);
		}
		return new HfConfigReader(v as Record<string, unknown>, this.file, `${this.field(key)}.`);
	}

	/** A token id; a list (several stop tokens) gives its first; null or absent gives `fallback`. */
	tokenId(key: string, fallback: number): number {
		return this.optionalTokenId(key) ?? fallback;
	}

	/** A token id, or undefined when absent or null. */
	optionalTokenId(key: string): number | undefined {
		const raw = this.json[key];
		const v = Array.isArray(raw) ? raw[0] : raw;
		if (v === undefined || v === null) {
			return undefined;
		}
		if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
			this.fail(key, `expected a token id (a non-negative integer), got ${JSON.stringify(raw)}`);
		}
		return v;
	}

	/** pad_token_id as a spreadable field: absent from the config when the model has none (HF default `fallback`). */
	padTokenId(fallback?: number): {padTokenId?: number} {
		const pad = this.json['pad_token_id'] === null ? undefined : (this.optionalTokenId('pad_token_id') ?? fallback);
		return pad === undefined ? {} : {padTokenId: pad};
	}

	/** The stored weight type (torch_dtype in transformers 4, dtype in 5), when given. */
	storedDtype(): string | undefined {
		const v = this.json['torch_dtype'] ?? this.json['dtype'];
		return typeof v === 'string' ? v : undefined;
	}

	/** float64 when the weights are float64; every other stored type (float16, bfloat16, float32) runs as float32. */
	dtype(): FloatDType {
		return this.storedDtype() === 'float64' ? 'float64' : 'float32';
	}

	/** bfloat16 or float16 when the checkpoint is stored in one of them. */
	halfDtype(): HalfDType | undefined {
		const v = this.storedDtype();
		return v === 'bfloat16' || v === 'float16' ? v : undefined;
	}

	/**
	 * The RoPE settings of either config style: transformers 5 keeps them in rope_parameters (with rope_theta and
	 * partial_rotary_factor inside), transformers 4 has a top-level rope_theta and a rope_scaling object or null.
	 * `scaling` is the object holding the scaling keys (rope_type or type, factors), undefined when there is none.
	 */
	rope(defaults: {theta: number; partialRotaryFactor: number; thetaKey?: string; partialKey?: string}): RopeFields {
		const params = this.object('rope_parameters');
		const scaling = params ?? this.object('rope_scaling');
		const theta = params?.has('rope_theta') ? params.num('rope_theta') : this.num(defaults.thetaKey ?? 'rope_theta', defaults.theta);
		const partialKey = defaults.partialKey ?? 'partial_rotary_factor';
		const partial = params?.has('partial_rotary_factor') ? params.num('partial_rotary_factor') : this.num(partialKey, defaults.partialRotaryFactor);
		const typeKey = scaling?.has('rope_type') ? 'rope_type' : 'type';
		const type = scaling?.has(typeKey) ? scaling.str(typeKey, 'default') : 'default';
		return {theta, partialRotaryFactor: partial, type, typeField: scaling ? scaling.field(typeKey) : 'rope_scaling', scaling};
	}
}

/** What HfConfigReader.rope found. */
export type RopeFields = {
	/** RoPE base. */
	theta: number;
	/** Fraction of each head that is rotated. */
	partialRotaryFactor: number;
	/** The scaling type ("default" when there is none). */
	type: string;
	/** The full name of the field holding the type, for messages. */
	typeField: string;
	/** The object holding the scaling keys, when there is one. */
	scaling?: HfConfigReader;
};

/**
 * `value` rounded as transformers rounds a Python float it stores in a float32 buffer and then casts to the
 * model's type (Gemma's sqrt(hidden_size) embedding scale): to float32, then to bfloat16 or float16 when given
 * (round to nearest, ties to even).
 */
export function roundLikeTorch(value: number, half?: HalfDType): number {
	const f = Math.fround(value);
	if (half === undefined || f === 0 || !Number.isFinite(f)) {
		return f;
	}
	const mantissaBits = half === 'bfloat16' ? 7 : 10;
	const exponent = Math.floor(Math.log2(Math.abs(f)));
	const step = 2 ** (exponent - mantissaBits);
	const q = f / step;
	const down = Math.floor(q);
	const rounded = q - down > 0.5 || (q - down === 0.5 && down % 2 === 1) ? down + 1 : down;
	return rounded * step;
}
