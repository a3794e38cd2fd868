import { randomUUID } from 'node:crypto';
import { type ConformanceCase, conformanceCases } from './conformance-cases.ts';
import type { CacheConformanceOptions, ConformanceTiming } from './conformance-options.ts';
import { InconclusiveStepError } from './timed-steps.ts';

/** A timed case whose reads were delayed out of their windows is run again with the unit doubled, up to 8x. */
export const TIMED_CASE_UNIT_FACTORS: readonly number[] = [1, 2, 4, 8];

export interface ConformanceResult {
  name: string;
  passed: boolean;
  error?: unknown;
  /** For timed cases: the unit of each attempt, in milliseconds (more than one when a delay made one inconclusive). */
  unitsTried?: number[];
}

function withUnit(timing: ConformanceTiming, unitMs: number): ConformanceTiming {
  return { unitMs, now: () => timing.now(), advance: (ms) => timing.advance(ms) };
}

async function runOnce(
  testCase: ConformanceCase,
  options: CacheConformanceOptions,
  timing: ConformanceTiming,
): Promise<void> {
  const cache = await options.createCache();
  const prefix = `conformance:${randomUUID()}:`;
  try {
    await testCase.run({
      cache,
      timing,
      key: (name) => prefix + name,
      conditionalSet: options.conditionalSet === true,
      diagnostics: options.diagnostics,
    });
  } finally {
    await options.disposeCache?.(cache);
  }
}

/**
 * Runs one case against a fresh cache from the options' factory, always disposing it. A timed case that
 * was inconclusive (the machine delayed a step past its margin) runs again with a longer unit, on a fresh
 * cache; only a case inconclusive at every unit fails for it, with the delays in the message.
 */
export async function runConformanceCase(
  testCase: ConformanceCase,
  options: CacheConformanceOptions,
  unitsTried: number[] = [],
): Promise<void> {
  if (!testCase.timed) return runOnce(testCase, options, options.timing);
  const reasons: string[] = [];
  for (const factor of TIMED_CASE_UNIT_FACTORS) {
    const unitMs = options.timing.unitMs * factor;
    unitsTried.push(unitMs);
    try {
      return await runOnce(testCase, options, withUnit(options.timing, unitMs));
    } catch (error) {
      if (!(error instanceof InconclusiveStepError)) throw error;
      reasons.push(`unit ${unitMs} ms: ${error.message}`);
    }
  }
  throw new Error(
    `"${testCase.name}" was inconclusive at every unit: each attempt's steps were delayed past their ` +
      `margins (a very busy machine or a very slow server; a larger unit in the timing may help).\n` +
      reasons.join('\n'),
  );
}

/** Why a case does not apply to the provider (an optional capability it does not offer), or undefined. */
export function unsupported(testCase: ConformanceCase, options: CacheConformanceOptions): string | undefined {
  if (testCase.requires === 'conditionalSet' && options.conditionalSet !== true)
    return 'the provider does not offer setIfUnchanged, an optional capability';
  if (testCase.requires === 'diagnostics' && options.diagnostics === undefined)
    return 'the provider does not say it publishes diagnostics events (the diagnostics option)';
  return undefined;
}

/** Runs every case outside any test framework and reports which passed: used to test the suite itself. */
export async function runCacheConformance(options: CacheConformanceOptions): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const testCase of conformanceCases) {
    if (options.skip?.[testCase.name] !== undefined || unsupported(testCase, options)) continue;
    const unitsTried: number[] = [];
    const timed = testCase.timed ? { unitsTried } : {};
    try {
      await runConformanceCase(testCase, options, unitsTried);
      results.push({ name: testCase.name, passed: true, ...timed });
    } catch (error) {
      results.push({ name: testCase.name, passed: false, error, ...timed });
    }
  }
  return results;
}
