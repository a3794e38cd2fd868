import { conformanceCases } from './conformance-cases.ts';
import type { CacheConformanceOptions } from './conformance-options.ts';
import { runConformanceCase, unsupported } from './run-conformance.ts';

type Body = () => unknown;
interface TestGlobals {
  describe(name: string, body: Body): void;
  test: ((name: string, body: Body, timeout?: number) => void) & { skip(name: string, body: Body): void };
}

/**
 * Registers the conformance suite with the running test framework (jest, or vitest with globals):
 *
 *   describeCacheConformance('MyCache', { createCache: () => new MyCache(), timing: realTiming(500) });
 */
export function describeCacheConformance(providerName: string, options: CacheConformanceOptions): void {
  const globals = globalThis as unknown as Partial<TestGlobals>;
  const { describe, test } = globals;
  if (typeof describe !== 'function' || typeof test !== 'function') {
    throw new Error(
      'describeCacheConformance needs the describe/test globals of jest or vitest; use runCacheConformance elsewhere.',
    );
  }
  describe(`${providerName} conforms to DistributedCache`, () => {
    for (const testCase of conformanceCases) {
      const skipReason = options.skip?.[testCase.name] ?? unsupported(testCase, options);
      if (skipReason !== undefined) {
        test.skip(`${testCase.name} (skipped: ${skipReason})`, () => {});
        continue;
      }
      // A timed case waits about 6 units per attempt, and is run again at up to 8 times the unit when a
      // delay made an attempt inconclusive; leave room for all of that on a slow server.
      const timeout = testCase.timed ? 100 * options.timing.unitMs + 15_000 : 15_000;
      test(testCase.name, () => runConformanceCase(testCase, options), timeout);
    }
  });
}
