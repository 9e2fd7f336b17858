/**
 * The quality figures of judge folders (default: every bundled judge in models/), with greedy instruction following
 * per task type, as source/training/quality.ts computes them for the model cards and the quality test.
 *
 *   npm run quality:judges [-- models/NAME ...]
 */
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {evaluateJudge} from '../source/training/quality.js';
import {TASK_TYPES} from '../source/training/task-types.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models');
const args = process.argv.slice(2);
const dirs = args.length > 0 ? args : readdirSync(models).filter(n => existsSync(path.join(models, n, 'judge.json'))).sort().map(n => path.join(models, n));
const reports = [];
for (const dir of dirs) reports.push({name: path.basename(dir), q: await evaluateJudge(dir)});
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`| figure | ${reports.map(r => r.name).join(' | ')} |`);
console.log(`|---|${reports.map(() => '---:').join('|')}|`);
console.log(`| held-out loss / unigram | ${reports.map(r => pct(r.q.lossRatio)).join(' | ')} |`);
console.log(`| greedy follows | ${reports.map(r => pct(r.q.greedyRate)).join(' | ')} |`);
console.log(`| clean beats misleading | ${reports.map(r => pct(r.q.misleadingRate)).join(' | ')} |`);
for (const t of TASK_TYPES) {
	console.log(`| greedy: ${t} | ${reports.map(r => (r.q.greedyByTask[t] ?? [0, 0]).join('/')).join(' | ')} |`);
}
