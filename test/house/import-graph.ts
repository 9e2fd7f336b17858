/**
 * The import graph of source/ (and cli.tsx), read with the TypeScript compiler's own pre-processor: every static
 * import and export-from, type-only ones included, and every dynamic `import()`. A type-only or a lazy import still
 * ties two modules together (one cannot be understood, moved or tested without the other), so all of them count.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One module and what it imports. */
export type ModuleNode = {
	/** Path relative to the repository root, with forward slashes (e.g. source/commands/deps.ts). */
	file: string;
	/** Modules of the project it imports (relative paths, resolved to .ts/.tsx files). */
	local: string[];
	/** Packages it imports (the package name: "ink", "node:fs", "@huggingface/jinja"). */
	packages: string[];
};

function walk(dir: string): string[] {
	return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e => {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) return walk(p);
		return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
	});
}

/** The package a bare specifier names: "a/b" -> "a", "@s/a/b" -> "@s/a". */
function packageOf(specifier: string): string {
	const parts = specifier.split('/');
	return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A relative specifier resolved to a file of the project (".js" written for ".ts" and ".tsx", as NodeNext wants). */
function resolveLocal(from: string, specifier: string): string | undefined {
	const base = path.resolve(path.dirname(from), specifier);
	const stem = base.replace(/\.(js|jsx|ts|tsx|mjs)$/, '');
	for (const candidate of [`${stem}.ts`, `${stem}.tsx`, path.join(base, 'index.ts')]) {
		if (fs.existsSync(candidate)) return candidate;
	}
	return undefined;
}

/** Every module under `dirs` (relative to `root`) plus `files`, with its imports. */
export function importGraph(root: string, dirs: string[], files: string[] = []): Map<string, ModuleNode> {
	const all = [...dirs.flatMap(d => walk(path.join(root, d))), ...files.map(f => path.join(root, f))];
	const graph = new Map<string, ModuleNode>();
	const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
	for (const file of all) {
		const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
		const node: ModuleNode = {file: rel(file), local: [], packages: []};
		for (const {fileName: specifier} of info.importedFiles) {
			if (specifier.startsWith('.')) {
				const target = resolveLocal(file, specifier);
				if (target === undefined) throw new Error(`${rel(file)}: cannot resolve ${specifier}`);
				if (!node.local.includes(rel(target))) node.local.push(rel(target));
			} else if (!node.packages.includes(packageOf(specifier))) {
				node.packages.push(packageOf(specifier));
			}
		}
		graph.set(node.file, node);
	}
	return graph;
}

/**
 * The import cycles: strongly connected components with more than one module (or a module importing itself), by
 * Tarjan's algorithm. Each is given as its modules, sorted, so a failure message is stable.
 */
export function importCycles(graph: Map<string, ModuleNode>): string[][] {
	let counter = 0;
	const index = new Map<string, number>();
	const low = new Map<string, number>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const cycles: string[][] = [];
	// Iterative, so a deep chain of imports cannot overflow the call stack.
	for (const start of graph.keys()) {
		if (index.has(start)) continue;
		const work: {node: string; next: number}[] = [{node: start, next: 0}];
		index.set(start, counter);
		low.set(start, counter++);
		stack.push(start);
		onStack.add(start);
		while (work.length > 0) {
			const top = work.at(-1)!;
			const edges = graph.get(top.node)?.local ?? [];
			if (top.next < edges.length) {
				const to = edges[top.next++];
				if (!graph.has(to)) continue;
				if (!index.has(to)) {
					index.set(to, counter);
					low.set(to, counter++);
					stack.push(to);
					onStack.add(to);
					work.push({node: to, next: 0});
				} else if (onStack.has(to)) {
					low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
				}
				continue;
			}
			work.pop();
			if (work.length > 0) {
				const parent = work.at(-1)!.node;
				low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
			}
			if (low.get(top.node) === index.get(top.node)) {
				const component: string[] = [];
				let member: string;
				do {
					member = stack.pop()!;
					onStack.delete(member);
					component.push(member);
				} while (member !== top.node);
				const selfLoop = component.length === 1 && (graph.get(top.node)?.local ?? []).includes(top.node);
				if (component.length > 1 || selfLoop) cycles.push(component.sort());
			}
		}
	}
	return cycles;
}
