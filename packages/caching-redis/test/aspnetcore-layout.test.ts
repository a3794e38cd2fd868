// The Redis layout ASP.NET Core's RedisCache uses (FORMATS §4, §8.9), checked with plain Redis commands.
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';

const SESSION_KEY = '382c74c3-721d-4f34-80e5-57657b6cbc27';
const BLOB = Buffer.from(
  '02000002000102030405060708090a0b0c0d0e0f00046e616d6500000005416c6963650005636f756e74000000040000002a',
  'hex',
);

describeWithService(services.redis(), 'the hash layout is ASP.NET Core’s', (server) => {
  let raw: Redis;
  let cache: RedisCache;
  beforeAll(() => {
    raw = new Redis(server().url);
    cache = new RedisCache({ redis: raw, instanceName: 'app:' });
  });
  afterAll(() => raw.quit());

  test('a session entry with a 20-minute sliding expiration (§8.9)', async () => {
    await cache.set(SESSION_KEY, BLOB, { slidingExpiration: '20m' });
    const hash = await raw.hgetallBuffer(`app:${SESSION_KEY}`);
    expect(Object.keys(hash).sort()).toEqual(['absexp', 'data', 'sldexp']);
    expect(hash.absexp!.toString()).toBe('-1');
    expect(hash.sldexp!.toString()).toBe('12000000000');
    expect(hash.data!.equals(BLOB)).toBe(true);
    expect(await raw.ttl(`app:${SESSION_KEY}`)).toBe(1200);
  });

  test('an absolute expiration is stored as UTC ticks and the TTL is the time left', async () => {
    const clock = { now: () => Date.UTC(2029, 11, 31, 23, 0, 0) };
    const clocked = new RedisCache({ redis: raw, instanceName: 'app:', clock });
    await clocked.set('abs', Buffer.from('x'), { absoluteExpiration: new Date('2030-01-01T00:00:00Z') });
    expect(await raw.hget('app:abs', 'absexp')).toBe('640290528000000000');
    expect(await raw.hget('app:abs', 'sldexp')).toBe('-1');
    expect(await raw.ttl('app:abs')).toBe(3600);
  });

  test('an entry with no expiration has no TTL, even when it overwrites one that had', async () => {
    await cache.set('forever', Buffer.from('1'), { slidingExpiration: '1m' });
    await cache.set('forever', Buffer.from('2'));
    expect(await raw.ttl('app:forever')).toBe(-1);
  });

  test('an entry written as ASP.NET Core 8 writes it is read, and its sliding expiration is extended', async () => {
    // HSET + EXPIRE, as StackExchange.Redis sends them for a 10-minute sliding entry.
    await raw.hset('app:from-dotnet', 'absexp', '-1', 'sldexp', '6000000000', 'data', BLOB);
    await raw.expire('app:from-dotnet', 5);
    const value = await cache.get('from-dotnet');
    expect(Buffer.from(value!).equals(BLOB)).toBe(true);
    expect(await raw.ttl('app:from-dotnet')).toBe(600);
  });

  test('a sliding refresh never extends past the absolute expiration', async () => {
    const now = Date.now();
    await raw.hset(
      'app:capped',
      'absexp',
      String(BigInt(now + 30_000) * 10_000n + 621_355_968_000_000_000n),
      'sldexp',
      '6000000000',
      'data',
      'v',
    );
    await cache.refresh('capped');
    const ttl = await raw.pttl('app:capped');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });
});
