import { randomUUID } from 'node:crypto';
import { type ConformanceCase, conformanceCases } from './conformance-cases.ts';
import type { CacheConformanceOptions } from './conformance-options.ts';

export interface ConformanceResult {
  name: string;
  passed: boolean;
  error?: unknown;
}

/** Runs one case against a fresh cache from the options' factory, always disposing it. */
export async function runConformanceCase(
  testCase: ConformanceCase,
  options: CacheConformanceOptions,
): Promise<void> {
  const cache = await options.createCache();
  const prefix = `conformance:${randomUUID()}:`;
  try {
    await testCase.run({ cache, timing: options.timing, key: (name) => prefix + name });
  } finally {
    await options.disposeCache?.(cache);
  }
}

/** Runs every case outside any test framework and reports which passed: used to test the suite itself. */
export async function runCacheConformance(options: CacheConformanceOptions): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const testCase of conformanceCases) {
    if (options.skip?.[testCase.name] !== undefined) continue;
    try {
      await runConformanceCase(testCase, options);
      results.push({ name: testCase.name, passed: true });
    } catch (error) {
      results.push({ name: testCase.name, passed: false, error });
    }
  }
  return results;
}
