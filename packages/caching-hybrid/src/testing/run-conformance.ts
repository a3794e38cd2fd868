import { randomUUID } from 'node:crypto';
import type { DistributedCache } from '@sharedstate/caching-abstractions';
import { HybridCache } from '../hybrid-cache.ts';
import type { HybridCacheOptions } from '../hybrid-cache-options.ts';
import {
  type HybridBackend,
  type HybridConformanceCase,
  type HybridConformanceOptions,
  hybridConformanceCases,
} from './conformance-cases.ts';

/** Runs one case on fresh instances, and closes what it made. */
export async function runHybridConformanceCase(
  testCase: HybridConformanceCase,
  options: HybridConformanceOptions,
): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const made: { cache: HybridCache; backend: HybridBackend }[] = [];
  let probe: HybridBackend | undefined;
  try {
    probe = await options.createInstance();
    const bus = probe.invalidationBus !== undefined;
    await testCase.run({
      bus,
      busDeliveryMs: options.busDeliveryMs ?? 2_000,
      key: (name) => `hybrid-conformance:${run}:${name}`,
      distributedCache: (): DistributedCache => probe!.distributedCache,
      instances: async (cacheOptions: HybridCacheOptions = {}) => {
        const pair: HybridCache[] = [];
        for (let index = 0; index < 2; index++) {
          const backend = await options.createInstance();
          const cache = new HybridCache({
            logger: false,
            ...cacheOptions,
            distributedCache: backend.distributedCache,
            ...(backend.invalidationBus ? { invalidationBus: backend.invalidationBus } : {}),
          });
          made.push({ cache, backend });
          pair.push(cache);
        }
        // Let both subscriptions be made before the case publishes.
        await Promise.all(pair.map((cache) => cache.ready()));
        return pair as [HybridCache, HybridCache];
      },
    });
  } finally {
    for (const { cache, backend } of made) {
      await cache.dispose();
      await backend.close?.();
    }
    await probe?.close?.();
  }
}

export interface HybridConformanceResult {
  passed: string[];
  failed: { name: string; error: unknown }[];
}

/** Runs every case outside a test framework (node:test, a script); resolves with what passed and failed. */
export async function runHybridCacheConformance(
  options: HybridConformanceOptions,
): Promise<HybridConformanceResult> {
  const result: HybridConformanceResult = { passed: [], failed: [] };
  for (const testCase of hybridConformanceCases) {
    try {
      await runHybridConformanceCase(testCase, options);
      result.passed.push(testCase.name);
    } catch (error) {
      result.failed.push({ name: testCase.name, error });
    }
  }
  return result;
}

type Body = () => unknown;
interface TestGlobals {
  describe(name: string, body: Body): void;
  test(name: string, body: Body, timeout?: number): void;
}

/**
 * Registers the HybridCache suite with the running test framework (jest, or vitest with globals):
 *
 *   describeHybridCacheConformance('HybridCache on MyCache', { createInstance: () => ({ distributedCache }) });
 */
export function describeHybridCacheConformance(name: string, options: HybridConformanceOptions): void {
  const { describe, test } = globalThis as unknown as Partial<TestGlobals>;
  if (typeof describe !== 'function' || typeof test !== 'function') {
    throw new Error(
      'describeHybridCacheConformance needs the describe/test globals of jest or vitest; use runHybridCacheConformance elsewhere.',
    );
  }
  describe(`${name} behaves as HybridCache`, () => {
    for (const testCase of hybridConformanceCases)
      test(testCase.name, () => runHybridConformanceCase(testCase, options), 20_000);
  });
}
