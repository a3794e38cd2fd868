import {
  CacheArgumentError,
  CacheDisposedError,
  CacheEntryTooLargeError,
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

  test('evicts expired entries before live ones', async () => {
    clock = new ManualClock();
    cache = new MemoryDistributedCache({ clock, sizeLimit: 10 * 1024 });
    await cache.set('live', kib(4));
    await cache.set('short', kib(4), { absoluteExpirationRelativeToNow: '1m' });
    clock.advance(120_000);
    await cache.set('new', kib(4));
    expect(await cache.get('live')).toBeDefined();
    expect(cache.count).toBe(2);
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
