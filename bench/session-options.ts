/**
 * `npm run bench -- session-options [--quick] [--shape NAME]`: what each onnxruntime session option costs in memory
 * and time for a judge of real size (default the SmolLM2-360M shape; NAME is one of REAL_SHAPES). The judge is built
 * with seeded random weights in a temporary folder (model.onnx + model.onnx_data, as Optimum exports it), opened
 * once through the product so that GMPO_CACHE_DIR (in the same folder) holds its unified graph, and then every row
 * creates its session(s) and runs one fixed batch (8 x 64 tokens) in a process of its own
 * (bench/session-options-child.ts), one at a time: peak RSS by /usr/bin/time, and how the memory splits at the end
 * (anonymous, resident pages mapped from the weights file, proportional set size). Everything is deleted afterwards.
 *
 * --quick: the few rows that justify the product's choice. Memory figures are machine-independent; times depend on
 * the load (the load average is stated with the table).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {REAL_SHAPES} from '../source/training/random-judge.js';
import {fmt, report, type Table} from './report.js';
import type {Interleaved, Measured, Spec} from './session-options-child.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const GiB = 2 ** 30;
const BATCH = 8;
const TOKENS = 64;
type Shape = keyof typeof REAL_SHAPES;

/** A row: what it measures, and the child's spec without the parts every row shares. */
type RowSpec = {name: string; quick?: boolean; spec: Omit<Spec, 'info' | 'batch' | 'tokens' | 'threads'>};

/** A child in a process of its own: seconds, peak RSS in bytes (/usr/bin/time), stdout, and the error if it failed. */
function measured(args: string[], env: NodeJS.ProcessEnv = {}): {seconds: number; peak: number; stdout: string; error?: string} {
	const t = performance.now();
	const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', 'bench/session-options-child.ts', ...args], {cwd: ROOT, env: {...process.env, ...env, NODE_NO_WARNINGS: '1'}, encoding: 'utf8', maxBuffer: 1 << 24});
	const seconds = (performance.now() - t) / 1000;
	const lines = r.stderr.trim().split('\n');
	const peak = Number(lines.at(-1)) * 1024;
	return {seconds, peak, stdout: r.stdout, error: r.status === 0 ? undefined : lines.slice(-4, -1).join(' | ').slice(0, 300) || `exit ${r.status}`};
}

/** The gmpo graph's session as the rows vary it: from bytes with the weights' folder, basic, no prepacking. */
function productSpec(judge: string, dataDir: string) {
	return {graph: judge, kind: 'judge', load: 'bytes', dataDir, dataFile: 'model.onnx_data', optimization: 'basic', prepack: false, arena: true, memPattern: true, sessions: 1} as const;
}

/** The rows: each option against the product's choice. */
function rows(source: string, judge: string, dataDir: string): RowSpec[] {
	const lean = productSpec(judge, dataDir);
	// What the product does for judges over 256 MiB (onnx-judge.ts sessionOptions), through ort.ts.
	const product = {...lean, optimization: 'disabled', product: true} as const;
	const src = {...lean, graph: source, kind: 'source', load: 'path'} as const;
	return [
		{name: 'export, onnxruntime defaults (all, prepack)', quick: true, spec: {...src, optimization: 'all', prepack: true}},
		{name: 'export, basic, no prepack', spec: {...src}},
		{name: 'export, basic, no prepack, from bytes + folder', spec: {...src, load: 'bytes'}},
		{name: 'gmpo graph, product (disabled, no prepack)', quick: true, spec: {...product}},
		{name: 'gmpo graph, all, prepack', quick: true, spec: {...lean, optimization: 'all', prepack: true}},
		{name: 'gmpo graph, all, no prepack', spec: {...lean, optimization: 'all'}},
		{name: 'gmpo graph, extended, no prepack', quick: true, spec: {...lean, optimization: 'extended'}},
		{name: 'gmpo graph, disabled, no prepack', spec: {...lean, optimization: 'disabled'}},
		{name: 'gmpo graph, basic, prepack', spec: {...lean, prepack: true}},
		{name: 'gmpo graph, basic, no arena', spec: {...lean, arena: false}},
		{name: 'gmpo graph, basic, no mem pattern', spec: {...lean, memPattern: false}},
		{name: 'gmpo graph, basic, initializers outside the arena', spec: {...lean, config: {use_device_allocator_for_initializers: '1'}}},
		{name: 'gmpo graph, basic, weights in memory', spec: {...lean, load: 'memory'}},
		{name: 'gmpo graph, product, 2 sessions', quick: true, spec: {...product, sessions: 2}},
		{name: 'gmpo graph, basic, 2 sessions, one weights buffer', spec: {...lean, load: 'memory', sessions: 2}},
		{name: 'gmpo graph, product, + 1 attribution pass', spec: {...product, attribution: true}},
	];
}

type Result = {row: RowSpec; seconds: number; peak: number; m?: Measured; error?: string};

/**
 * Speed, apart from memory: the gmpo graph's warm forward under each variant, the variants' sessions in one process
 * taking turns (bench/session-options-child.ts interleave). Two groups, so that no process holds more than four
 * sessions (the mapped weights count once per session in RSS) nor more than one prepacked one.
 */
const TIMING_GROUPS: {name: string; quick?: boolean; attribution?: boolean; variants: NonNullable<Spec['variants']>}[] = [
	{
		name: 'optimisation level (no prepacking)',
		quick: true,
		variants: (['basic', 'extended', 'all', 'disabled'] as const).map(o => ({name: o, optimization: o, prepack: false})),
	},
	// Apart, with two sessions only: an attribution pass grows each session's arena by gigabytes (four sessions that
	// had all attributed peaked at 18 GiB).
	{
		name: 'attribution by level (no prepacking)',
		quick: true,
		attribution: true,
		variants: (['basic', 'disabled'] as const).map(o => ({name: o, optimization: o, prepack: false})),
	},
	{
		name: 'prepacking (basic)',
		quick: true,
		variants: [
			{name: 'basic', optimization: 'basic', prepack: false},
			{name: 'basic + prepack', optimization: 'basic', prepack: true},
		],
	},
];
const ROUNDS = 7;

type Timing = {group: string; times?: Interleaved; peak: number; error?: string};

function shapeArg(): Shape {
	const args = process.argv.slice(2);
	const at = args.indexOf('--shape');
	const shape = at < 0 ? 'smollm2-360m' : args[at + 1];
	if (!shape || !(shape in REAL_SHAPES)) {
		process.stderr.write(`--shape: expected one of ${Object.keys(REAL_SHAPES).join(', ')}, got ${shape ?? 'nothing'}\n`);
		process.exit(2);
	}
	return shape as Shape;
}

export async function run(quick: boolean): Promise<void> {
	const shape = shapeArg();
	const work = mkdtempSync(path.join(os.tmpdir(), 'gmpo-session-options-'));
	const load = os.loadavg()[0]!;
	const results: Result[] = [];
	const timings: Timing[] = [];
	let weightBytes = 0;
	let open: ReturnType<typeof measured> | undefined;
	try {
		const dir = path.join(work, 'judge');
		const cache = path.join(work, 'cache');
		execFileSync(process.execPath, ['--import', 'tsx', '-e', `const m = await import(${JSON.stringify(path.join(ROOT, 'source/training/random-judge.ts'))}); await m.writeRealShapeJudge(${JSON.stringify(dir)}, ${JSON.stringify(shape)});`], {cwd: ROOT, stdio: 'inherit'});
		weightBytes = statSync(path.join(dir, 'model.onnx_data')).size;
		open = measured(['open', dir], {GMPO_CACHE_DIR: cache});
		process.stderr.write(`session-options ${shape}: first open through the product ${open.seconds.toFixed(1)} s, peak ${(open.peak / GiB).toFixed(2)} GiB${open.error ? ` FAILED ${open.error}` : ''}\n`);
		if (open.error) throw new Error(`the product could not open the judge: ${open.error}`);
		// The one entry the open wrote: its unified graph, and the folder its weights are resolved against.
		const entry = path.join(cache, readdirSync(cache).find(n => !n.startsWith('.'))!);
		const manifest = JSON.parse(readFileSync(path.join(entry, 'manifest.json'), 'utf8')) as {info: Spec['info']; dataDir: string};
		const dataDir = manifest.dataDir || entry;
		for (const row of rows(path.join(dir, 'model.onnx'), path.join(entry, 'judge.onnx'), dataDir)) {
			if (quick && !row.quick) continue;
			const file = path.join(work, 'spec.json');
			writeFileSync(file, JSON.stringify({...row.spec, info: manifest.info, batch: BATCH, tokens: TOKENS, threads: 0}));
			const r = measured(['run', file]);
			const m = r.error ? undefined : (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measured);
			results.push({row, seconds: r.seconds, peak: r.peak, m, error: r.error});
			process.stderr.write(`session-options ${shape}: ${row.name}: peak ${(r.peak / GiB).toFixed(2)} GiB, ${r.seconds.toFixed(1)} s${r.error ? ` FAILED ${r.error}` : ''}\n`);
		}
		for (const group of TIMING_GROUPS) {
			if (quick && !group.quick) continue;
			const file = path.join(work, 'spec.json');
			const rounds = quick ? 3 : ROUNDS;
			writeFileSync(file, JSON.stringify({...productSpec(path.join(entry, 'judge.onnx'), dataDir), info: manifest.info, batch: BATCH, tokens: TOKENS, threads: 0, variants: group.variants, rounds, attributionRounds: group.attribution ? 3 : 0}));
			const r = measured(['interleave', file]);
			timings.push({group: group.name, times: r.error ? undefined : JSON.parse(r.stdout.trim().split('\n').at(-1)!), peak: r.peak, error: r.error});
			process.stderr.write(`session-options ${shape}: timing ${group.name}: ${r.seconds.toFixed(1)} s, peak ${(r.peak / GiB).toFixed(2)} GiB${r.error ? ` FAILED ${r.error}` : ''}\n`);
		}
	} finally {
		rmSync(work, {recursive: true, force: true});
	}
	const g = (b: number | undefined) => (b === undefined ? '-' : fmt(b / GiB, 2));
	const s = (x: number | undefined) => (x === undefined ? '-' : fmt(x, 2));
	const table: Table = {
		columns: ['row', 'create s', 'first run s', 'forward s', 'peak RSS GiB', 'peak / weights', 'after create GiB', 'anon GiB', 'mapped GiB', 'PSS GiB', 'agree'],
		rows: results.map(r =>
			r.m
				? [r.row.name, s(r.m.createS), s(r.m.firstS), r.m.attributionS === undefined ? s(r.m.forwardS) : `${s(r.m.forwardS)} (+ attribution ${s(r.m.attributionS)})`, g(r.peak), fmt(r.peak / weightBytes, 2), g(r.m.peakAfterCreate), g(r.m.anon), g(r.m.mapped), g(r.m.pss), r.m.agree ? 'yes' : 'NO']
				: [r.row.name, 'failed', r.error ?? '', '-', g(r.peak), '-', '-', '-', '-', '-', '-'],
		),
	};
	const speed: Table = {
		columns: ['variants timed in turns', 'variant', 'create median s', 'create least s', 'forward median s', 'forward least s', 'forward median / basic', 'attribution median s'],
		rows: timings.flatMap(t => {
			if (!t.times) return [[t.group, 'failed', t.error ?? '', '-', '-', '-', '-', '-']];
			const base = t.times.basic?.median ?? NaN;
			return Object.entries(t.times).map(([name, x]) => [t.group, name, fmt(x.createMedian, 2), fmt(x.createMin, 2), fmt(x.median, 2), fmt(x.min, 2), fmt(x.median / base, 2), x.attributionMedian === undefined ? '' : fmt(x.attributionMedian, 2)]);
		}),
	};
	const by = (name: string) => results.find(r => r.row.name === name);
	const product = by('gmpo graph, product (disabled, no prepack)');
	const two = by('gmpo graph, product, 2 sessions');
	const shared = by('gmpo graph, basic, 2 sessions, one weights buffer');
	const memory = by('gmpo graph, basic, weights in memory');
	const done = results.filter(r => r.m);
	const lowest = Math.min(...done.map(r => r.peak));
	// Rows as lean as the leanest (peak RSS within 2%: closer than that is noise).
	const lean = done.filter(r => r.peak <= lowest * 1.02 && r.m!.attributionS === undefined && r.row.spec.sessions === 1);
	const median = (group: string, name: string) => timings.find(t => t.group === group)?.times?.[name]?.median;
	const levels = TIMING_GROUPS[0]!;
	const packed = median('prepacking (basic)', 'basic + prepack');
	const unpacked = median('prepacking (basic)', 'basic');
	const gib = (b: number | undefined) => (b === undefined ? null : Number((b / GiB).toFixed(3)));
	const result = {
		shape,
		weights_gib: gib(weightBytes),
		product_peak_gib: gib(product?.peak),
		product_peak_ratio: product ? Number((product.peak / weightBytes).toFixed(3)) : null,
		product_forward_s: product?.m ? Number(product.m.forwardS.toFixed(2)) : null,
		export_default_peak_gib: gib(by('export, onnxruntime defaults (all, prepack)')?.peak),
		lowest_peak_gib: done.length > 0 ? gib(lowest) : null,
		as_lean_rows: lean.map(r => r.row.name),
		// Warm forward seconds, the variants taking turns in one process.
		create_by_level_s: Object.fromEntries(levels.variants.map(v => [v.name, timings.find(t => t.group === levels.name)?.times?.[v.name]?.createMedian ?? null]).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(2)) : null])),
		attribution_by_level_s: Object.fromEntries(Object.entries(timings.find(t => t.group === 'attribution by level (no prepacking)')?.times ?? {}).map(([k, v]) => [k, v.attributionMedian === undefined ? null : Number(v.attributionMedian.toFixed(2))])),
		forward_by_level_s: Object.fromEntries(levels.variants.map(v => [v.name, median(levels.name, v.name) ?? null]).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : null])),
		prepack_speedup: packed && unpacked ? Number((unpacked / packed).toFixed(3)) : null,
		// The weights file's pages resident through mmap in the product's session: onnxruntime maps external data.
		product_mapped_gib: gib(product?.m?.mapped),
		// What a second session of the same graph adds: by peak RSS (which counts the mapped weights once per mapping)
		// and by PSS (physical pages, each counted once).
		second_session_rss_gib: two?.m && product?.m ? gib(two.peak - product.peak) : null,
		second_session_pss_gib: two?.m && product?.m ? gib(two.m.pss - product.m.pss) : null,
		second_session_shared_buffer_pss_gib: shared?.m && memory?.m ? gib(shared.m.pss - memory.m.pss) : null,
		failed: [...results.filter(r => r.error).map(r => r.row.name), ...timings.filter(t => t.error).map(t => `timing: ${t.group}`)],
	};
	report(
		'session-options',
		`Session options of a real-size judge: ${shape}, ${fmt(weightBytes / GiB, 2)} GiB of fp32 weights (load average ${load.toFixed(1)} at the start)`,
		[
			{heading: `Memory: one fixed batch of ${BATCH} x ${TOKENS} tokens, each row a process of its own (peak RSS by /usr/bin/time; the rest read from /proc/self at the end)`, table},
			{heading: `Speed: creating the gmpo graph's session (3 times each) and its warm forward on the same batch (${quick ? 3 : ROUNDS} rounds after a first run), and in the attribution group 3 passes (loss and segment gradients) each, the variants taking turns in one process`, table: speed},
		],
		result,
		{
			quick,
			command: `npm run bench -- session-options${shape === 'smollm2-360m' ? '' : ` --shape ${shape}`}`,
			notes: [
				`Rows: "export" is the exported model.onnx + model.onnx_data (forward to full logits), "gmpo graph" the unified graph gmpo's cache builds for it (loss and attribution behind an If; forward = the loss branch, want_grad false). Unless the row says otherwise: created from the file's path (export) or from its bytes with session.model_external_initializers_file_folder_path (gmpo graph, as the product does), optimisation basic, session.disable_prepacking = 1, enableCpuMemArena and enableMemPattern on, ${os.availableParallelism()} intra-op threads. "product" rows go through source/onnx/ort.ts createSession with the product's options for judges over 256 MiB. "weights in memory": the weights file read into one Buffer and given as sessionOptions.externalData; "2 sessions": two sessions of the graph in one process, each having run the batch; "initializers outside the arena": session.use_device_allocator_for_initializers = 1.`,
				'Columns: create s = creating the session(s); first run = the first run of the batch (the arena grows, mapped weights are read); forward s = the median of the next 3 runs; after create = VmHWM once the session(s) exist; anon = RssAnon at the end; mapped = resident pages of mappings of model.onnx_data (onnxruntime memory-maps page-aligned external data: there is no config key for it); PSS = proportional set size, which counts a page mapped twice in the process once (RSS counts it per mapping); agree = every session gave the same output. The time columns of the memory table come from processes run minutes apart on a shared machine; compare speeds in the second table.',
				'Shared initializers: onnxruntime-node 1.30 reads these session options only: execution providers, thread counts, graphOptimizationLevel, enableCpuMemArena, enableMemPattern, executionMode, optimizedModelFilePath, log and profiling settings, extra (config entries) and externalData (external data given as bytes). onnxruntime\'s shared initializers (AddInitializer / AddExternalInitializers with caller-owned tensors), a prepacked-weights container shared by sessions, and allocators registered in the environment (session.use_env_allocators has none to use) are not reachable from it. Sessions of one process share weights only as pages of the same mapped file.',
				`First open through the product (graph built into GMPO_CACHE_DIR): ${open ? `${fmt(open.seconds, 1)} s, peak ${g(open.peak)} GiB` : 'not run'}.`,
			],
		},
	);
}
