import assert from 'node:assert/strict';
import type { DistributedCache, InvalidationBus } from '@sharedstate/caching-abstractions';
import { ticksFromEpochMs } from '@sharedstate/shared-helpers';
import type { HybridCache } from '../hybrid-cache.ts';
import type { HybridCacheOptions } from '../hybrid-cache-options.ts';
import { readHybridPayload, writeHybridPayload } from '../hybrid-payload.ts';

/** One instance's backend: its distributed cache and, if it has one, its invalidation bus. */
export interface HybridBackend {
  distributedCache: DistributedCache;
  invalidationBus?: InvalidationBus;
  /** Closes what createInstance made for this instance (its clients), after the case. */
  close?(): Promise<void>;
}

export interface HybridConformanceOptions {
  /**
   * The backend of one more instance of an app: the same distributed cache (another client of the same
   * server, or the very same object for an in-process cache) and, if the combination has one, a bus on the
   * same server. Called twice per case.
   */
  createInstance(): Promise<HybridBackend> | HybridBackend;
  /** How long a message takes from one instance's bus to the other's at most. Default 2 s. */
  busDeliveryMs?: number;
}

export interface HybridConformanceContext {
  /** Two instances on one backend, with the options of the case. */
  instances(options?: HybridCacheOptions): Promise<[HybridCache, HybridCache]>;
  key(name: string): string;
  /** The first instance's distributed cache, for reading and writing entries directly. */
  distributedCache(): DistributedCache;
  /** Whether the instances share a bus (changes then reach the other's local copy at once). */
  bus: boolean;
  busDeliveryMs: number;
}

export interface HybridConformanceCase {
  name: string;
  run(context: HybridConformanceContext): Promise<void>;
}

/** Polls `check` until it returns true or `withinMs` passes. */
async function eventually(what: string, withinMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) assert.fail(`${what} did not happen within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const counter = () => {
  const made = { calls: 0 };
  return Object.assign(made, {
    factory:
      <T>(value: T) =>
      async () => {
        made.calls++;
        return value;
      },
  });
};

/**
 * How HybridCache must behave on a backend (a distributed cache, and a bus if any): plain async functions
 * with node:assert, run by describeHybridCacheConformance (jest, vitest) or runHybridCacheConformance.
 */
export const hybridConformanceCases: readonly HybridConformanceCase[] = [
  {
    name: 'a value made on one instance is read on the other from the distributed cache, in .NET format',
    async run({ instances, key, distributedCache }) {
      const [first, second] = await instances();
      const k = key('shared');
      const made = counter();
      assert.deepEqual(await first.getOrCreate(k, made.factory({ name: 'Tea' }), { tags: ['products'] }), {
        name: 'Tea',
      });
      assert.deepEqual(await second.getOrCreate(k, made.factory({ name: 'Coffee' })), { name: 'Tea' });
      assert.equal(made.calls, 1);
      const stored = await distributedCache().get(k);
      assert.ok(stored !== undefined, 'the entry is in the distributed cache');
      const read = readHybridPayload(stored, k, ticksFromEpochMs(Date.now()));
      assert.ok(read.entry, `the stored entry reads in .NET's format (${read.rejection})`);
      assert.deepEqual(read.entry.tags, ['products']);
      assert.equal(Buffer.from(read.entry.payload).toString(), '{"name":"Tea"}');
    },
  },
  {
    name: 'an entry written in .NET format by another writer is read',
    async run({ instances, key, distributedCache }) {
      const [first] = await instances();
      const k = key('dotnet');
      const entry = writeHybridPayload({
        key: k,
        creationTicks: ticksFromEpochMs(Date.now()),
        durationTicks: 36_000_000_000n,
        tags: [],
        payload: new Uint8Array(Buffer.from('written elsewhere')),
      });
      await distributedCache().set(k, entry, { absoluteExpirationRelativeToNow: 60_000 });
      assert.equal(
        await first.getOrCreate(k, async () => 'made here', { serializer: 'string' }),
        'written elsewhere',
      );
    },
  },
  {
    name: 'concurrent callers of a cold key on one instance share one factory call',
    async run({ instances, key }) {
      const [first] = await instances();
      let calls = 0;
      const factory = async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return 'once';
      };
      const results = await Promise.all(
        Array.from({ length: 200 }, () => first.getOrCreate(key('cold'), factory)),
      );
      assert.deepEqual(new Set(results), new Set(['once']));
      assert.equal(calls, 1);
    },
  },
  {
    name: "a factory's failure reaches every caller and caches nothing, here or in the distributed cache",
    async run({ instances, key, distributedCache }) {
      const [first, second] = await instances();
      const k = key('failing');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          first.getOrCreate(k, async () => {
            throw new Error('source down');
          }),
        ),
      );
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
      assert.equal(await distributedCache().get(k), undefined);
      assert.equal(await second.getOrCreate(k, async () => 'second'), 'second');
    },
  },
  {
    name: "set and remove on one instance reach the other's local copy (at once with a bus, else at its local expiry)",
    async run({ instances, key, bus, busDeliveryMs }) {
      const [first, second] = await instances({
        defaultEntryOptions: { localCacheExpiration: bus ? '1h' : 300 },
      });
      const k = key('changed');
      await first.set(k, 'v1');
      assert.equal(await second.getOrCreate(k, async () => 'made'), 'v1');
      await first.set(k, 'v2');
      const within = bus ? busDeliveryMs : 300 + busDeliveryMs;
      await eventually(
        "the other instance's copy of a set",
        within,
        async () => (await second.getOrCreate(k, async () => 'made')) === 'v2',
      );
      await first.remove(k);
      await eventually(
        "the other instance's copy of a removed key",
        within,
        async () => (await second.getOrCreate(k, async () => 'made after remove')) === 'made after remove',
      );
    },
  },
  {
    name: "removeByTag on one instance invalidates the other's entries (at once with a bus, else when it reads the tag again)",
    async run({ instances, key, bus, busDeliveryMs }) {
      const [first, second] = await instances({ tagRefreshInterval: bus ? '1h' : 300 });
      const tag = key('tag');
      const k = key('tagged');
      await first.getOrCreate(k, async () => 'old', { tags: [tag] });
      assert.equal(await second.getOrCreate(k, async () => 'made', { tags: [tag] }), 'old');
      await first.removeByTag(tag);
      assert.equal(await first.getOrCreate(k, async () => 'new', { tags: [tag] }), 'new');
      const within = bus ? busDeliveryMs : 300 + busDeliveryMs;
      await eventually(
        'the invalidation on the other instance',
        within,
        async () => (await second.getOrCreate(k, async () => 'other', { tags: [tag] })) !== 'old',
      );
    },
  },
  {
    name: "removeByTag('*') invalidates every entry, on both instances",
    async run({ instances, key, bus, busDeliveryMs }) {
      const [first, second] = await instances({ tagRefreshInterval: bus ? '1h' : 300 });
      const k = key('any');
      await first.getOrCreate(k, async () => 'old');
      assert.equal(await second.getOrCreate(k, async () => 'made'), 'old');
      await first.removeByTag('*');
      assert.equal(await first.getOrCreate(k, async () => 'new'), 'new');
      const within = bus ? busDeliveryMs : 300 + busDeliveryMs;
      await eventually(
        'the wildcard on the other instance',
        within,
        async () => (await second.getOrCreate(k, async () => 'other')) !== 'old',
      );
    },
  },
];
