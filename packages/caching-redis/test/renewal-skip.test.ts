// renewalSkipFraction: a sliding entry this client renewed moments ago is read without renewing it again.
// The skip window is timed on an injected clock (no sleeping); Redis's own TTLs are read with PTTL.
import { CacheArgumentError } from '@sharedstate/caching-abstractions';
import { ManualClock } from '@sharedstate/caching-abstractions/testing';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { RecentRenewals } from '../src/recent-renewals.ts';

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString();

describeWithService(services.redis({ spawn: true }), 'renewing sliding entries', (server) => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(server().url);
  });
  afterAll(() => client.quit());

  /** Lowers the key's TTL behind the cache's back, so a renewal (or its absence) shows in PTTL. */
  const shortenTtl = (key: string) => client.pexpire(key, 60_000);

  test('a read within the skip window leaves the TTL alone; the first read after it renews the window', async () => {
    const clock = new ManualClock(Date.now());
    const cache = new RedisCache({ redis: client, clock });
    await cache.set('s1', Buffer.from('v1'), { slidingExpiration: '20m' });
    await shortenTtl('s1');
    clock.advance(11_000); // 1% of 20 minutes is 12 s
    expect(text(await cache.get('s1'))).toBe('v1');
    expect(await client.pttl('s1')).toBeLessThanOrEqual(60_000);
    await cache.refresh('s1');
    expect(await client.pttl('s1')).toBeLessThanOrEqual(60_000);
    clock.advance(2_000);
    expect(text(await cache.get('s1'))).toBe('v1');
    expect(await client.pttl('s1')).toBeGreaterThan(1_100_000);
  });

  test('a refresh after the skip window renews', async () => {
    const clock = new ManualClock(Date.now());
    const cache = new RedisCache({ redis: client, clock });
    await cache.set('s2', Buffer.from('v'), { slidingExpiration: '20m' });
    await shortenTtl('s2');
    clock.advance(12_000);
    await cache.refresh('s2');
    expect(await client.pttl('s2')).toBeGreaterThan(1_100_000);
  });

  test('a skipped read still sees what another client wrote, or that it removed the entry', async () => {
    const mine = new RedisCache({ redis: client });
    const theirs = new RedisCache({ redis: client });
    await mine.set('s3', Buffer.from('mine'), { slidingExpiration: '20m' });
    await theirs.set('s3', Buffer.from('theirs'), { slidingExpiration: '20m' });
    expect(text(await mine.get('s3'))).toBe('theirs');
    await theirs.remove('s3');
    expect(await mine.get('s3')).toBeUndefined();
  });

  test('a skipped read reads the entry under its instanceName, whichever call renewed it', async () => {
    const clock = new ManualClock(Date.now());
    const shop = new RedisCache({ redis: client, instanceName: 'shop:', clock });
    const blog = new RedisCache({ redis: client, instanceName: 'blog:', clock });
    await shop.set('s9', Buffer.from('cart'), { slidingExpiration: '20m' });
    await blog.set('s9', Buffer.from('draft'), { slidingExpiration: '20m' });
    // Within the window after the set: plain reads, under each cache's own prefix.
    expect([text(await shop.get('s9')), text(await blog.get('s9'))]).toEqual(['cart', 'draft']);
    // After a renewing read and a refresh, the same.
    clock.advance(13_000);
    expect(text(await shop.get('s9'))).toBe('cart');
    await blog.refresh('s9');
    expect([text(await shop.get('s9')), text(await blog.get('s9'))]).toEqual(['cart', 'draft']);
    expect(await client.hget('shop:s9', 'data')).toBe('cart');
    expect(await client.exists('s9')).toBe(0);
  });

  test('removing an entry forgets its renewal: the next write and read start afresh', async () => {
    const clock = new ManualClock(Date.now());
    const cache = new RedisCache({ redis: client, clock });
    await cache.set('s4', Buffer.from('v'), { slidingExpiration: '20m' });
    await cache.remove('s4');
    await client.hset('s4', 'absexp', '-1', 'sldexp', String(20 * 60_000 * 10_000), 'data', 'raw');
    await shortenTtl('s4');
    expect(text(await cache.get('s4'))).toBe('raw');
    expect(await client.pttl('s4')).toBeGreaterThan(1_100_000);
  });

  test('with an instance name, the skip applies to the prefixed entry and to this cache alone', async () => {
    const clock = new ManualClock(Date.now());
    const app = new RedisCache({ redis: client, clock, instanceName: 'app1:' });
    const other = new RedisCache({ redis: client, clock, instanceName: 'app2:' });
    await app.set('s6', Buffer.from('one'), { slidingExpiration: '20m' });
    await other.set('s6', Buffer.from('two'), { slidingExpiration: '20m' });
    await shortenTtl('app1:s6');
    await shortenTtl('app2:s6');
    clock.advance(11_000);
    expect(text(await app.get('s6'))).toBe('one');
    expect(await client.pttl('app1:s6')).toBeLessThanOrEqual(60_000);
    // Forgetting in one cache (a remove) leaves the other's tracking alone, and the other way round.
    await app.remove('s6');
    expect(text(await other.get('s6'))).toBe('two');
    expect(await client.pttl('app2:s6')).toBeLessThanOrEqual(60_000);
    clock.advance(2_000);
    expect(text(await other.get('s6'))).toBe('two');
    expect(await client.pttl('app2:s6')).toBeGreaterThan(1_100_000);
  });

  test('entries without a sliding window are read as before', async () => {
    const cache = new RedisCache({ redis: client });
    await cache.set('s5', Buffer.from('v'), { absoluteExpirationRelativeToNow: '20m' });
    expect(text(await cache.get('s5'))).toBe('v');
    const ttl = await client.pttl('s5');
    expect(ttl).toBeGreaterThan(1_100_000);
    expect(ttl).toBeLessThanOrEqual(1_200_000);
  });

  test('a fraction out of range fails at construction with the allowed range', () => {
    for (const bad of [-0.1, 0.6, Number.NaN, '0.01']) {
      expect(() => new RedisCache({ redis: client, renewalSkipFraction: bad as unknown as number })).toThrow(
        CacheArgumentError,
      );
    }
    expect(() => new RedisCache({ redis: client, renewalSkipFraction: 2 })).toThrow(/from 0 .* to 0\.5/);
  });
});

describe('RecentRenewals', () => {
  test('keeps at most maxKeys, forgetting the key first tracked first', () => {
    let now = 0;
    const renewals = new RecentRenewals(0.01, () => now, 2);
    renewals.renewed('a', 60_000);
    renewals.renewed('b', 60_000);
    now = 100;
    renewals.renewed('b', 60_000); // renewed again: its window restarts, it stays tracked
    renewals.renewed('c', 60_000);
    expect(renewals.size).toBe(2);
    expect(['a', 'b', 'c'].map((key) => renewals.isFresh(key))).toEqual([false, true, true]);
    now = 650;
    expect(renewals.isFresh('b')).toBe(true);
    now = 700;
    expect(renewals.isFresh('b')).toBe(false);
    expect(renewals.size).toBe(1);
  });

  test('a window too short to skip in, or none, is renewed on every read', () => {
    const renewals = new RecentRenewals(0.01, () => 0);
    renewals.renewed('short', 50);
    renewals.renewed('none', undefined);
    renewals.renewed('not sliding', -1);
    expect(renewals.size).toBe(0);
  });
});
