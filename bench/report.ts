import { Bench } from 'tinybench';

/** One row of a comparison: our operation beside its baseline, measured in the same run. */
export interface ComparisonRow {
  suite: string;
  operation: string;
  ours: string;
  baseline: string;
  oursOpsPerSec: number;
  baselineOpsPerSec: number;
  target?: number;
}

export interface Pair {
  operation: string;
  ours: { name: string; fn: () => unknown | Promise<unknown> };
  baseline: { name: string; fn: () => unknown | Promise<unknown> };
  target?: number;
}

/**
 * Runs each pair's two tasks in one tinybench run, alternating rounds so that both see the same machine
 * state, and keeps the median ops/s of the rounds (five by default: shared machines are noisy).
 */
export async function comparePairs(
  suite: string,
  pairs: Pair[],
  { rounds = 5, timeMs = 700 } = {},
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const pair of pairs) {
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: timeMs, warmupTime: 150 });
      const order = round % 2 === 0 ? [pair.ours, pair.baseline] : [pair.baseline, pair.ours];
      for (const task of order) bench.add(task.name, task.fn);
      await bench.run();
      const hz = (name: string) => bench.getTask(name)?.result?.throughput?.mean ?? 0;
      ours.push(hz(pair.ours.name));
      baseline.push(hz(pair.baseline.name));
    }
    rows.push({
      suite,
      operation: pair.operation,
      ours: pair.ours.name,
      baseline: pair.baseline.name,
      oursOpsPerSec: median(ours),
      baselineOpsPerSec: median(baseline),
      ...(pair.target === undefined ? {} : { target: pair.target }),
    });
  }
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A Markdown table, ready to paste into docs/performance.md. */
export function formatTable(rows: ComparisonRow[]): string {
  const lines = [
    '| suite | operation | ours | ops/s | baseline | ops/s | ratio | target |',
    '|---|---|---|---:|---|---:|---:|---:|',
  ];
  for (const row of rows) {
    const ratio = row.baselineOpsPerSec > 0 ? row.oursOpsPerSec / row.baselineOpsPerSec : 0;
    const target =
      row.target === undefined ? '' : `${row.target.toFixed(2)}x ${ratio >= row.target ? 'met' : 'MISSED'}`;
    lines.push(
      `| ${row.suite} | ${row.operation} | ${row.ours} | ${fmt(row.oursOpsPerSec)} | ${row.baseline} | ${fmt(row.baselineOpsPerSec)} | ${ratio.toFixed(2)}x | ${target} |`,
    );
  }
  return lines.join('\n');
}
