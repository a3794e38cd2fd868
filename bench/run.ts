// pnpm bench [suite ...]: runs the benchmark suites (all by default) and prints one Markdown table with
// each of our operations beside its baseline, measured in the same run. Results also go to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type ComparisonRow, formatTable } from './report.ts';

const suites: Record<string, () => Promise<{ run(): Promise<ComparisonRow[]> }>> = {
  memory: () => import('./memory-cache.bench.ts'),
  'data-protection': () => import('./data-protection.bench.ts'),
  redis: () => import('./redis-cache.bench.ts'),
  postgres: () => import('./postgres-cache.bench.ts'),
};

const wanted = process.argv.slice(2);
// Suites that print their own table (sizes and rates, not ops/s ratios), run only when named.
const ownTables: Record<string, () => Promise<string>> = {
  'memory-size': async () => (await import('./memory-footprint.bench.ts')).runMemoryFootprint(),
  'memory-sessions': async () => (await import('./memory-sessions.bench.ts')).runMemorySessions(),
  'key-ring': async () => (await import('./key-ring-propagation.bench.ts')).runKeyRingPropagation(),
  'install-size': async () => (await import('./install-size.bench.ts')).runInstallSize(),
  concurrent: async () => (await import('./concurrent-updates.bench.ts')).runConcurrentUpdates(),
  hybrid: async () => (await import('./hybrid-cache.bench.ts')).runHybrid(),
};
for (const name of Object.keys(ownTables)) {
  if (!wanted.includes(name)) continue;
  const table = await ownTables[name]!();
  console.log(`${name}\n\n${table}\n`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.md`, `${table}\n`);
  wanted.splice(wanted.indexOf(name), 1);
  if (wanted.length === 0) process.exit(0);
}
if (wanted.includes('http')) {
  // The HTTP suite reports its own table (latency and CPU columns, not ops/s ratios).
  const { runHttp } = await import('./http.bench.ts');
  const table = await runHttp();
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/http.md', `${table}\n`);
  wanted.splice(wanted.indexOf('http'), 1);
  if (wanted.length === 0) process.exit(0);
}
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
const rows: ComparisonRow[] = [];
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  process.stderr.write(`running ${name}...\n`);
  const suite = await suites[name]!();
  rows.push(...(await suite.run()));
}
const header = `Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`;
const table = formatTable(rows);
console.log(`${header}\n\n${table}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.md', `${header}\n\n${table}\n`);
