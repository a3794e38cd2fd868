import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { LRUCache } from 'lru-cache';
import type { ComparisonRow } from './report.ts';
import { comparePairs } from './report.ts';

/** MemoryDistributedCache beside lru-cache with a TTL: the plain in-memory map-with-expiry floor. */
export async function run(): Promise<ComparisonRow[]> {
  const keys = Array.from({ length: 10_000 }, (_, i) => `session:${i}`);
  const value = new Uint8Array(256).fill(7);
  const ours = new MemoryDistributedCache();
  const lru = new LRUCache<string, Uint8Array>({ max: 100_000, ttl: 20 * 60_000, updateAgeOnGet: true });
  for (const key of keys) {
    await ours.set(key, value, { slidingExpiration: '20m' });
    lru.set(key, value.slice());
  }
  let i = 0;
  const nextKey = () => keys[i++ % keys.length]!;
  // A cache at its limit, where every set of a new key evicts one: beside sets that overwrite below it.
  const entries = 100_000;
  const probe = new MemoryDistributedCache({ sizeLimit: Number.POSITIVE_INFINITY });
  await probe.set('session:0', value, { slidingExpiration: '20m' });
  const full = new MemoryDistributedCache({ sizeLimit: probe.size * entries });
  const roomy = new MemoryDistributedCache({ sizeLimit: Number.POSITIVE_INFINITY });
  probe.dispose();
  for (let n = 0; n < entries; n++) {
    await full.set(`session:${n}`, value, { slidingExpiration: '20m' });
    await roomy.set(`session:${n}`, value, { slidingExpiration: '20m' });
  }
  let fresh = entries;
  let cycled = 0;
  try {
    return await comparePairs('memory cache', [
      {
        operation: 'get (sliding, hit)',
        ours: { name: 'MemoryDistributedCache.get', fn: () => ours.get(nextKey()) },
        // Same contract as ours: async, and a copy out so callers cannot change the cache.
        baseline: { name: 'lru-cache get (ttl)', fn: async () => lru.get(nextKey())?.slice() },
      },
      {
        operation: 'set (sliding)',
        ours: {
          name: 'MemoryDistributedCache.set',
          fn: () => ours.set(nextKey(), value, { slidingExpiration: '20m' }),
        },
        baseline: { name: 'lru-cache set (ttl)', fn: async () => void lru.set(nextKey(), value.slice()) },
      },
      {
        operation: 'set into a full cache (100k entries)',
        ours: {
          name: 'set of a new key, evicting',
          fn: () => full.set(`session:${fresh++}`, value, { slidingExpiration: '20m' }),
        },
        baseline: {
          name: 'set below the limit',
          fn: () => roomy.set(`session:${cycled++ % entries}`, value, { slidingExpiration: '20m' }),
        },
        target: 0.5,
      },
    ]);
  } finally {
    ours.dispose();
    full.dispose();
    roomy.dispose();
  }
}
