/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME [--quick]` runs one. Each prints a table and a
 * last line `RESULT {...}`; full runs also rewrite their table in BENCHMARKS.md.
 */
const BENCHES: Record<string, () => Promise<{run(quick: boolean): Promise<void>}>> = {
	gradient: () => import('./gradient.js'),
	judges: () => import('./judges.js'),
	scoring: () => import('./scoring.js'),
	scale: () => import('./scale.js'),
	server: () => import('./server.js'),
	fidelity: () => import('./fidelity.js'),
	tui: () => import('./tui.js'),
	method: () => import('./method.js'),
	'real-data': () => import('./real-data.js'),
	'hf-import': () => import('./hf-import.js'),
	'real-size': () => import('./real-size.js'),
	'session-options': () => import('./session-options.js'),
	lock: () => import('./lock-stress.js'),
	quadrature: () => import('./quadrature.js'),
	racing: () => import('./racing.js'),
	multi: () => import('./multi.js'),
	bias: () => import('./bias.js'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// A flag's value (--size 1b, --shape NAME) is not a benchmark name.
const names = args.filter((a, i) => !a.startsWith('--') && !['--size', '--shape'].includes(args[i - 1] ?? ''));
const unknown = names.filter(n => !(n in BENCHES));
if (unknown.length > 0) {
	process.stderr.write(`unknown benchmark ${unknown.join(', ')}; the benchmarks are ${Object.keys(BENCHES).join(', ')}\n`);
	process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
	await (await BENCHES[name]!()).run(quick);
}
