// HybridCache's behaviour on a memory L2 shared by two instances: local and distributed hits, one factory
// call per key, aborts, failures, expiry, tags (here and from another instance), flags, limits, serializers.
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { HybridCache, HybridCacheEntryFlags, readHybridPayload } from '@sharedstate/caching-hybrid';
import { recordingLogger } from '@sharedstate/testing';

const MINUTE = 60_000;

function setup(options: Record<string, unknown> = {}) {
  const clock = { at: Date.parse('2026-12-07T10:00:00Z'), now: () => clock.at };
  const l2 = new MemoryDistributedCache({ clock });
  const log = recordingLogger();
  const make = () => new HybridCache({ distributedCache: l2, clock, logger: log.logger, ...options });
  return { clock, l2, log, first: make(), second: make() };
}

/** A factory that counts its calls and answers `value`. */
function counting<T>(value: T) {
  const factory = Object.assign(
    async () => {
      factory.calls++;
      return value;
    },
    { calls: 0 },
  );
  return factory;
}

describe('HybridCache', () => {
  test('a value is made once, then read from local memory, and from the distributed cache by another instance', async () => {
    const { first, second, l2 } = setup();
    const factory = counting({ name: 'Tea', price: 3 });
    expect(await first.getOrCreate('product:1', factory)).toEqual({ name: 'Tea', price: 3 });
    expect(await first.getOrCreate('product:1', factory)).toEqual({ name: 'Tea', price: 3 });
    expect(await second.getOrCreate('product:1', factory)).toEqual({ name: 'Tea', price: 3 });
    expect(factory.calls).toBe(1);
    const stored = await l2.get('product:1');
    expect(Buffer.from(readHybridPayload(stored!, 'product:1', 0n).entry!.payload).toString()).toBe(
      '{"name":"Tea","price":3}',
    );
  });

  test('1,000 concurrent callers of a cold key share one factory call', async () => {
    const { first } = setup();
    let calls = 0;
    const factory = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'made';
    };
    const results = await Promise.all(Array.from({ length: 1000 }, () => first.getOrCreate('cold', factory)));
    expect(new Set(results)).toEqual(new Set(['made']));
    expect(calls).toBe(1);
  });

  test('a caller that aborts stops waiting, the others get the value; when all abort the factory is told', async () => {
    const { first } = setup();
    let release!: (value: string) => void;
    let factorySignal!: AbortSignal;
    const factory = (signal: AbortSignal) => {
      factorySignal = signal;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const leaving = new AbortController();
    const left = first.getOrCreate('slow', factory, undefined, leaving.signal);
    const staying = first.getOrCreate('slow', factory);
    await new Promise((resolve) => setImmediate(resolve));
    leaving.abort(new Error('client went away'));
    await expect(left).rejects.toThrow('client went away');
    expect(factorySignal.aborted).toBe(false);
    release('done');
    expect(await staying).toBe('done');

    const a = new AbortController();
    const b = new AbortController();
    const both = [
      first.getOrCreate('slower', factory, undefined, a.signal),
      first.getOrCreate('slower', factory, undefined, b.signal),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    a.abort();
    b.abort();
    await Promise.allSettled(both);
    expect(factorySignal.aborted).toBe(true);
  });

  test("a factory's failure reaches every waiting caller and caches nothing", async () => {
    const { first } = setup();
    let calls = 0;
    const failing = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('database down');
    };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => first.getOrCreate('k', failing)),
    );
    expect(
      results.every(
        (result) => result.status === 'rejected' && (result.reason as Error).message === 'database down',
      ),
    ).toBe(true);
    expect(calls).toBe(1);
    expect(await first.getOrCreate('k', async () => 'recovered')).toBe('recovered');
  });

  test('expiration: the local copy lives localCacheExpiration, the entry expiration', async () => {
    const { first, clock } = setup();
    const factory = counting('v');
    await first.getOrCreate('k', factory, { expiration: '10m', localCacheExpiration: '1m' });
    clock.at += 2 * MINUTE;
    // The local copy is gone; the distributed entry still answers.
    await first.getOrCreate('k', factory, { expiration: '10m', localCacheExpiration: '1m' });
    expect(factory.calls).toBe(1);
    clock.at += 9 * MINUTE;
    await first.getOrCreate('k', factory, { expiration: '10m', localCacheExpiration: '1m' });
    expect(factory.calls).toBe(2);
  });

  test('removeByTag invalidates here at once, and on another instance once it reads the tag again', async () => {
    const { first, second, clock } = setup({ tagRefreshInterval: '30s' });
    const factory = counting('v');
    await first.getOrCreate('a', factory, { tags: ['products'] });
    await second.getOrCreate('a', factory, { tags: ['products'] });
    await second.getOrCreate('untagged', factory);
    expect(factory.calls).toBe(2);
    await first.removeByTag('products');
    await first.getOrCreate('a', factory, { tags: ['products'] });
    expect(factory.calls).toBe(3);
    // The other instance trusts what it read of the tag until the refresh interval has passed.
    await second.getOrCreate('a', factory, { tags: ['products'] });
    expect(factory.calls).toBe(3);
    clock.at += 31_000;
    await second.getOrCreate('a', factory, { tags: ['products'] });
    // Its old copy was invalidated; the entry first made again is newer than the invalidation.
    expect(factory.calls).toBe(3);
    await first.removeByTag('*');
    expect(await first.getOrCreate('untagged', async () => 'fresh')).toBe('fresh');
  });

  test('set and remove reach the distributed cache; flags turn parts off for one call', async () => {
    const { first, second } = setup();
    await first.set('k', { n: 1 });
    expect(await second.getOrCreate('k', async () => ({ n: 0 }))).toEqual({ n: 1 });
    await first.remove(['k', 'other']);
    expect(await first.getOrCreate('k', async () => ({ n: 2 }))).toEqual({ n: 2 });
    const none = await first.getOrCreate('missing', async () => 'x', {
      flags: HybridCacheEntryFlags.DisableUnderlyingData,
    });
    expect(none).toBeUndefined();
    const localOnly = counting('local');
    await second.getOrCreate('local-only', localOnly, {
      flags: HybridCacheEntryFlags.DisableDistributedCache,
    });
    await first.getOrCreate('local-only', localOnly, {
      flags: HybridCacheEntryFlags.DisableDistributedCache,
    });
    expect(localOnly.calls).toBe(2);
  });

  test('keys past maximumKeyLength and values past maximumPayloadBytes are not cached, and say so', async () => {
    const { first, log } = setup({ maximumKeyLength: 10, maximumPayloadBytes: 100 });
    const factory = counting('v');
    await first.getOrCreate('a-key-that-is-too-long', factory);
    await first.getOrCreate('a-key-that-is-too-long', factory);
    const big = counting('x'.repeat(200));
    await first.getOrCreate('big', big, { serializer: 'string' });
    await first.getOrCreate('big', big, { serializer: 'string' });
    expect([factory.calls, big.calls]).toEqual([2, 2]);
    expect(log.warnings.join('\n')).toMatch(/maximumKeyLength is 10[\s\S]*maximumPayloadBytes is 100/);
  });

  test('strings and bytes are written as .NET writes them; JSON in PascalCase when asked', async () => {
    const { first, l2, clock } = setup({ jsonPropertyNaming: 'pascalCase' });
    await first.set('s', 'héllo', { serializer: 'string' });
    await first.set('b', Uint8Array.of(1, 2, 3), { serializer: 'bytes' });
    await first.set('o', { orderId: 42, lines: [{ productName: 'Tea' }] });
    const payloadOf = async (key: string) =>
      Buffer.from(readHybridPayload((await l2.get(key))!, key, 0n).entry!.payload);
    expect((await payloadOf('s')).toString()).toBe('héllo');
    expect([...(await payloadOf('b'))]).toEqual([1, 2, 3]);
    expect((await payloadOf('o')).toString()).toBe('{"OrderId":42,"Lines":[{"ProductName":"Tea"}]}');
    const other = new HybridCache({
      distributedCache: l2,
      clock,
      jsonPropertyNaming: 'pascalCase',
      logger: false,
    });
    expect(await other.getOrCreate('o', async () => null)).toEqual({
      orderId: 42,
      lines: [{ productName: 'Tea' }],
    });
  });

  test('an entry that is not ours, or of another key, is a miss with a logged reason, never an error', async () => {
    const { first, l2, log } = setup();
    await l2.set('foreign', new TextEncoder().encode('not a hybrid entry at all'));
    expect(await first.getOrCreate('foreign', async () => 'made')).toBe('made');
    expect(log.warnings.join('\n')).toMatch(/not in the HybridCache format/);
  });

  test('unknown options are refused with a hint', () => {
    expect(() => new HybridCache({ ttl: 5 } as never)).toThrow(/defaultEntryOptions.expiration/);
    const cache = new HybridCache({ logger: false });
    return expect(
      cache.getOrCreate('k', async () => 1, { slidingExpiration: '1m' } as never),
    ).rejects.toThrow(/no sliding expiration/);
  });
});
