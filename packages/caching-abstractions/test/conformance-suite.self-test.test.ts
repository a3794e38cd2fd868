// The suite is only worth running if it fails on providers that get the contract wrong. Each broken
// provider below breaks one rule; the suite must report exactly the cases that cover that rule.
import {
  assertValidKey,
  assertValidValue,
  type CacheEntryOptions,
  type CacheOperationOptions,
  type DistributedCache,
  expiresAtAfterTouch,
  MemoryDistributedCache,
  type ResolvedEntryOptions,
  resolveEntryOptions,
} from '@sharedstate/caching-abstractions';
import {
  type CacheConformanceOptions,
  ManualClock,
  runCacheConformance,
} from '@sharedstate/caching-abstractions/testing';

type Override = Partial<DistributedCache>;

/** A correct memory cache on `clock` with some methods replaced by broken ones. */
function brokenCache(
  clock: ManualClock,
  break_: (inner: MemoryDistributedCache) => Override,
): DistributedCache {
  const inner = new MemoryDistributedCache({ clock });
  const overrides = break_(inner);
  return {
    get: overrides.get ?? ((k, o) => inner.get(k, o)),
    set: overrides.set ?? ((k, v, e, o) => inner.set(k, v, e, o)),
    refresh: overrides.refresh ?? ((k, o) => inner.refresh(k, o)),
    remove: overrides.remove ?? ((k, o) => inner.remove(k, o)),
  };
}

function brokenProvider(break_: (inner: MemoryDistributedCache) => Override) {
  const clock = new ManualClock();
  return { createCache: () => brokenCache(clock, break_), timing: clock.timing() };
}

/** A small map-based cache that is right in everything but one thing: get does not slide the expiration. */
function nonSlidingGetCache(clock: ManualClock): DistributedCache {
  const entries = new Map<string, { value: Uint8Array; options: ResolvedEntryOptions; expiresAt?: number }>();
  const live = (key: string, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    assertValidKey(key);
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= clock.now()) entries.delete(key);
    return entries.get(key);
  };
  return {
    get: async (key, o) => live(key, o?.signal)?.value.slice(),
    set: async (key, value, entry, o) => {
      live(key, o?.signal);
      assertValidValue(value);
      const options = resolveEntryOptions(entry, clock.now());
      const expiresAt = expiresAtAfterTouch(options, clock.now());
      entries.set(
        key,
        expiresAt === undefined
          ? { value: value.slice(), options }
          : { value: value.slice(), options, expiresAt },
      );
    },
    refresh: async (key, o) => {
      const entry = live(key, o?.signal);
      const expiresAt = entry && expiresAtAfterTouch(entry.options, clock.now());
      if (entry && expiresAt !== undefined) entry.expiresAt = expiresAt;
    },
    remove: async (key, o) => {
      live(key, o?.signal);
      entries.delete(key);
    },
  };
}

async function failedCases(provider: CacheConformanceOptions): Promise<string[]> {
  const results = await runCacheConformance(provider);
  return results.filter((r) => !r.passed).map((r) => r.name);
}

describe('the cache conformance suite', () => {
  test('passes a correct provider', async () => {
    expect(await failedCases(brokenProvider(() => ({})))).toEqual([]);
  });

  test('catches a provider that ignores expiration options', async () => {
    const failed = await failedCases(
      brokenProvider((inner) => ({
        set: (k, v, _e?: CacheEntryOptions, o?: CacheOperationOptions) => inner.set(k, v, undefined, o),
      })),
    );
    expect(failed).toEqual(
      expect.arrayContaining([
        'an absolute expiration ends the entry at that time',
        'an expiration relative to now ends the entry that long after the write',
        'a sliding expiration is extended by get',
        'a sliding expiration never outlives the absolute expiration',
        'invalid expiration options are rejected with errors naming the option',
      ]),
    );
  });

  test('catches a provider whose get does not slide the expiration', async () => {
    const clock = new ManualClock();
    const failed = await failedCases({
      createCache: () => nonSlidingGetCache(clock),
      timing: clock.timing(),
    });
    expect(failed).toContain('a sliding expiration is extended by get');
  });

  test('catches a provider whose refresh does nothing', async () => {
    const failed = await failedCases(brokenProvider(() => ({ refresh: async () => {} })));
    expect(failed).toContain('a sliding expiration is extended by refresh');
  });

  test('catches a provider that hands out its internal buffers', async () => {
    const store = new Map<string, Uint8Array>();
    const failed = await failedCases(
      brokenProvider((inner) => ({
        get: async (k, o) => ((await inner.get(k, o)) === undefined ? undefined : store.get(k)),
        set: async (k, v, e, o) => {
          await inner.set(k, v, e, o);
          store.set(k, v);
        },
      })),
    );
    expect(failed).toContain('the stored value is independent of the buffers passed in and handed out');
  });

  test('catches a provider that truncates large values', async () => {
    const failed = await failedCases(
      brokenProvider((inner) => ({
        set: (k, v, e, o) => inner.set(k, v instanceof Uint8Array ? v.subarray(0, 65_536) : v, e, o),
      })),
    );
    expect(failed).toEqual(['a 1 MiB value round-trips']);
  });

  test('catches a provider that folds key case', async () => {
    const failed = await failedCases(
      brokenProvider((inner) => ({
        get: (k, o) => inner.get(String(k).toLowerCase(), o),
        set: (k, v, e, o) => inner.set(String(k).toLowerCase(), v, e, o),
      })),
    );
    expect(failed).toContain('unicode and binary-looking keys are distinct and round-trip');
  });

  test('catches a provider whose remove does nothing', async () => {
    const failed = await failedCases(brokenProvider(() => ({ remove: async () => {} })));
    expect(failed).toEqual(
      expect.arrayContaining([
        'remove deletes the entry and removing a missing key is a no-op',
        'keys are isolated from each other, including keys that prefix one another',
      ]),
    );
  });

  test('catches a provider whose refresh of a missing key creates an entry', async () => {
    const failed = await failedCases(
      brokenProvider((inner) => ({
        refresh: async (k, o) => {
          if ((await inner.get(k, o)) === undefined) await inner.set(k, new Uint8Array(0), undefined, o);
        },
      })),
    );
    expect(failed).toContain('refresh of a missing key is a no-op and creates nothing');
  });

  test('catches a provider that ignores abort signals', async () => {
    const failed = await failedCases(
      brokenProvider((inner) => ({
        set: (k, v, e) => inner.set(k, v, e),
        remove: (k) => inner.remove(k),
      })),
    );
    expect(failed).toEqual(['an aborted signal rejects every operation and changes nothing']);
  });

  test('catches a provider that accepts any key or value', async () => {
    const store = new Map<unknown, unknown>();
    const failed = await failedCases(
      brokenProvider((inner) => ({
        get: async (k, o) =>
          typeof k === 'string' ? inner.get(k, o) : (store.get(k) as Uint8Array | undefined),
        set: async (k, v, e, o) => {
          if (typeof k === 'string' && v instanceof Uint8Array) return inner.set(k, v, e, o);
          store.set(k, v);
        },
        refresh: async (k, o) => (typeof k === 'string' ? inner.refresh(k, o) : undefined),
        remove: async (k, o) => (typeof k === 'string' ? inner.remove(k, o) : undefined),
      })),
    );
    expect(failed).toEqual(['bad keys and values are rejected with a clear error']);
  });

  test('catches a provider that writes only part of a concurrent value', async () => {
    let last: Uint8Array | undefined;
    const failed = await failedCases(
      brokenProvider((inner) => ({
        // Each write lands as half the new value and half the one written before it: a torn write.
        set: async (k, v, e, o) => {
          const previous = last;
          last = v;
          const torn = previous !== undefined && previous.length === v.length;
          await inner.set(
            k,
            torn ? Uint8Array.from(v, (b, i) => (i < v.length / 2 ? b : previous[i]!)) : v,
            e,
            o,
          );
        },
      })),
    );
    expect(failed).toContain('concurrent sets to one key leave exactly one of the written values');
  });
});

/**
 * A correct memory cache on a clock that oversleeps: the first advance after each new cache takes
 * `stallUnits` base units longer than asked, as a busy machine's first sleep might.
 */
function stallingProvider(
  stallUnits: number,
  break_: (inner: MemoryDistributedCache) => Override = () => ({}),
): CacheConformanceOptions {
  const clock = new ManualClock();
  const unitMs = 1_000;
  let stallArmed = false;
  return {
    createCache: () => {
      stallArmed = true;
      return brokenCache(clock, break_);
    },
    timing: {
      unitMs,
      now: () => clock.now(),
      advance: (ms) => {
        clock.advance(ms + (stallArmed ? stallUnits * unitMs : 0));
        stallArmed = false;
      },
    },
  };
}

describe('the timed cases on a machine that delays them', () => {
  const timedCases = [
    'an absolute expiration ends the entry at that time',
    'an expiration relative to now ends the entry that long after the write',
    'a sliding expiration is extended by get',
    'a sliding expiration is extended by refresh',
    'a sliding expiration never outlives the absolute expiration',
  ];

  test("a delay that eats a step's margin makes the attempt inconclusive; a longer unit then decides it", async () => {
    const results = await runCacheConformance(stallingProvider(1.2));
    expect(results.filter((r) => !r.passed)).toEqual([]);
    const timed = results.filter((r) => timedCases.includes(r.name));
    expect(timed).toHaveLength(timedCases.length);
    for (const result of timed) {
      expect(result.unitsTried?.length).toBeGreaterThan(1);
      expect(result.unitsTried?.[0]).toBe(1_000);
    }
  });

  test("a delay larger than every attempt's margin fails the case as inconclusive, never passes it", async () => {
    const results = await runCacheConformance(stallingProvider(100));
    const timed = results.filter((r) => timedCases.includes(r.name));
    expect(timed.map((r) => r.passed)).toEqual(timedCases.map(() => false));
    for (const result of timed) {
      expect(String(result.error)).toMatch(/inconclusive at every unit/);
      expect(result.unitsTried).toEqual([1_000, 2_000, 4_000, 8_000]);
    }
  });

  test('a provider that ignores expiration still fails under the same delays, with the real reason', async () => {
    const results = await runCacheConformance(
      stallingProvider(1.2, (inner) => ({
        set: (k, v, _e?: CacheEntryOptions, o?: CacheOperationOptions) => inner.set(k, v, undefined, o),
      })),
    );
    const failed = results.filter((r) => !r.passed);
    expect(failed.map((r) => r.name)).toEqual(
      expect.arrayContaining(timedCases.filter((n) => !n.includes('refresh'))),
    );
    for (const result of failed) expect(String(result.error)).not.toMatch(/inconclusive/);
  });
});
