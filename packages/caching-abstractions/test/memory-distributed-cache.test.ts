import { tracingChannel } from 'node:diagnostics_channel';
import {
  CACHE_OPERATION_CHANNEL,
  CacheArgumentError,
  CacheDisposedError,
  CacheEntryTooLargeError,
  type CacheOperationEvent,
  MemoryDistributedCache,
} from '@sharedstate/caching-abstractions';
import { ManualClock } from '@sharedstate/caching-abstractions/testing';

const kib = (n: number) => new Uint8Array(n * 1024);

describe('MemoryDistributedCache', () => {
  let clock: ManualClock;
  let cache: MemoryDistributedCache;
  afterEach(() => cache.dispose());

  test('evicts the least recently used entries once the size limit is passed', async () => {
    clock = new ManualClock();
    cache = new MemoryDistributedCache({ clock, sizeLimit: 10 * 1024 });
    await cache.set('a', kib(4));
    await cache.set('b', kib(4));
    await cache.get('a'); // a is now more recently used than b
    await cache.set('c', kib(4));
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBeDefined();
    expect(await cache.get('c')).toBeDefined();
    expect(cache.size).toBeLessThanOrEqual(10 * 1024);
  });

  test('a write into a full cache evicts only the least recently used entries, however many have expired', async () => {
    clock = new ManualClock();
    const value = new Uint8Array(100);
    cache = new MemoryDistributedCache({ clock, sizeLimit: Number.POSITIVE_INFINITY });
    await cache.set('probe', value);
    const entrySize = cache.size;
    cache.dispose();
    cache = new MemoryDistributedCache({ clock, sizeLimit: entrySize * 10 });
    for (let i = 0; i < 10; i++) {
      await cache.set(`k${i}`, value, i >= 5 ? { absoluteExpirationRelativeToNow: '1m' } : undefined);
    }
    clock.advance(120_000);
    await cache.set('kA', value);
    // One entry made room: no scan of the whole cache for expired ones on the write path.
    expect(cache.count).toBe(10);
    expect(await cache.get('k0')).toBeUndefined();
    expect(await cache.get('k1')).toBeDefined();
    cache.sweepExpired();
    expect(cache.count).toBe(5);
  });

  test('each entry counts its bookkeeping, not only its bytes', async () => {
    cache = new MemoryDistributedCache();
    await cache.set('k', new Uint8Array(10));
    // The entry object, the value's own buffer and the map's slot cost far more than ten bytes.
    expect(cache.size).toBeGreaterThan(500);
  });

  test('rejects a single value larger than the size limit with a typed error', async () => {
    clock = new ManualClock();
    cache = new MemoryDistributedCache({ clock, sizeLimit: 1024 });
    await expect(cache.set('huge', kib(2))).rejects.toThrow(CacheEntryTooLargeError);
    await expect(cache.set('huge', kib(2))).rejects.toThrow(/sizeLimit/);
  });

  test('the periodic sweep removes expired entries nobody reads', async () => {
    jest.useFakeTimers({ doNotFake: ['performance'] });
    try {
      clock = new ManualClock();
      cache = new MemoryDistributedCache({ clock, sweepInterval: '1m' });
      await cache.set('x', kib(1), { slidingExpiration: '30s' });
      clock.advance(31_000);
      expect(cache.count).toBe(1);
      jest.advanceTimersByTime(60_000);
      expect(cache.count).toBe(0);
      expect(cache.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test('the periodic sweep is published as a sweep operation, with how many entries it dropped', async () => {
    jest.useFakeTimers({ doNotFake: ['performance'] });
    const ended: CacheOperationEvent[] = [];
    const ignore = () => {};
    const handlers = {
      start: ignore,
      end: ignore,
      asyncStart: ignore,
      error: ignore,
      asyncEnd: (message: unknown) => ended.push({ ...(message as CacheOperationEvent) }),
    };
    const channel = tracingChannel(CACHE_OPERATION_CHANNEL);
    channel.subscribe(handlers);
    try {
      clock = new ManualClock();
      cache = new MemoryDistributedCache({ clock, sweepInterval: '1m' });
      await cache.set('x', kib(1), { slidingExpiration: '30s' });
      await cache.set('y', kib(1), { slidingExpiration: '30s' });
      await cache.set('z', kib(1));
      clock.advance(31_000);
      jest.advanceTimersByTime(60_000);
      await Promise.resolve();
      await Promise.resolve();
      expect(ended.filter((event) => event.operation === 'sweep')).toEqual([
        {
          provider: 'MemoryDistributedCache',
          system: 'memory',
          operation: 'sweep',
          keyLength: 0,
          outcome: 'ok',
          removed: 2,
        },
      ]);
    } finally {
      channel.unsubscribe(handlers);
      jest.useRealTimers();
    }
  });

  test('overwriting an entry keeps the byte count exact', async () => {
    clock = new ManualClock();
    cache = new MemoryDistributedCache({ clock });
    await cache.set('k', kib(3));
    await cache.set('k', kib(1));
    await cache.remove('k');
    expect(cache.size).toBe(0);
  });

  test('rejects calls after dispose', async () => {
    cache = new MemoryDistributedCache();
    cache.dispose();
    await expect(cache.get('k')).rejects.toThrow(CacheDisposedError);
  });

  test('rejects bad constructor options naming the option', () => {
    expect(() => new MemoryDistributedCache({ sizeLimit: 0 })).toThrow(/sizeLimit/);
    expect(() => new MemoryDistributedCache({ sweepInterval: 'often' })).toThrow(CacheArgumentError);
    expect(() => new MemoryDistributedCache({ sweepInterval: 'often' })).toThrow(/sweepInterval/);
    expect(() => new MemoryDistributedCache({ sizelimit: 1024 } as never)).toThrow(
      "Unknown MemoryDistributedCache option 'sizelimit': the options are sizeLimit, sweepInterval, clock.",
    );
    expect(() => new MemoryDistributedCache({ SizeLimit: 1024 } as never)).toThrow(
      "Unknown MemoryDistributedCache option 'SizeLimit': use `sizeLimit` (bytes).",
    );
    cache = new MemoryDistributedCache();
  });
});

test('a Buffer passed to set is copied, not kept as a view', async () => {
  const cache = new MemoryDistributedCache();
  const buffer = Buffer.from([1, 2, 3]);
  await cache.set('b', buffer);
  buffer[0] = 9;
  const got = await cache.get('b');
  expect([...got!]).toEqual([1, 2, 3]);
  got![1] = 9;
  expect([...(await cache.get('b'))!]).toEqual([1, 2, 3]);
  cache.dispose();
});
