// An update of an entry this client wrote moments ago is HSET and PEXPIRE pipelined, not a transaction. A
// connection cut between the two must never leave the entry without an expiry for good: the entry keeps the
// TTL it had, and one deleted in that moment (which HSET creates again, without a TTL) gets its TTL back.
import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, type ReplyLosingProxy, replyLosingProxy, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createClient } from 'redis';

const bytes = (text: string) => Buffer.from(text);
const text = (value: Uint8Array | undefined) => (value ? Buffer.from(value).toString() : undefined);
const TWENTY_MINUTES = 20 * 60_000;

describeWithService(services.redis(), 'an update cut between HSET and PEXPIRE', (server) => {
  let proxy: ReplyLosingProxy;
  let direct: Redis;
  const closers: (() => unknown)[] = [];
  beforeAll(async () => {
    proxy = await replyLosingProxy(server());
    direct = new Redis(server().url);
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await proxy.close();
    await direct.quit();
  });

  /** Each client kind the package accepts, through the proxy; ioredis resends unanswered commands, node-redis does not. */
  const clients: [string, (prefix: string) => Promise<RedisCache>][] = [
    [
      'ioredis (this project’s peer)',
      async (prefix) => {
        const client = new Redis({ port: proxy.port, host: '127.0.0.1' });
        closers.push(() => client.disconnect());
        return new RedisCache({ redis: client, instanceName: prefix });
      },
    ],
    [
      'ioredis 6 (another copy)',
      async (prefix) => {
        const client = new Redis6({ port: proxy.port, host: '127.0.0.1' });
        closers.push(() => client.disconnect());
        return new RedisCache({ redis: client as unknown as Redis, instanceName: prefix });
      },
    ],
    [
      'node-redis',
      async (prefix) => {
        const client = createClient({ url: `redis://127.0.0.1:${proxy.port}` });
        client.on('error', () => {});
        await client.connect();
        closers.push(() => client.destroy());
        return new RedisCache({ redis: client, instanceName: prefix });
      },
    ],
  ];

  /** The update's HSET ends with its value; the proxy passes it on, drops the PEXPIRE after it, and cuts. */
  async function updateCutAfterHset(cache: RedisCache, key: string, value: string): Promise<unknown> {
    const cut = proxy.cutAfter(`${value}\r\n`);
    const written = cache.set(key, bytes(value), { slidingExpiration: '20m' }).then(
      () => 'written',
      (error: unknown) => error,
    );
    await cut;
    return written;
  }

  test.each(clients)('on %s, the entry keeps an expiry', async (name, make) => {
    const prefix = `cut-kept-${name.replace(/\W+/g, '-')}:`;
    const cache = await make(prefix);
    const key = `k-${Date.now()}`;
    await cache.set(key, bytes('first'), { slidingExpiration: '10m' });
    const outcome = await updateCutAfterHset(cache, key, 'second value');
    // ioredis resends the unanswered PEXPIRE after reconnecting; node-redis reports the outage.
    if (outcome !== 'written') expect(outcome).toBeInstanceOf(CacheUnavailableError);
    const ttl = await direct.pttl(prefix + key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TWENTY_MINUTES);
    expect(text(await cache.get(key))).toBe('second value');
  });

  test.each(clients)(
    'on %s, an entry deleted in that moment and written again by the cut update gets its TTL back',
    async (name, make) => {
      const prefix = `cut-deleted-${name.replace(/\W+/g, '-')}:`;
      const cache = await make(prefix);
      const key = `k-${Date.now()}`;
      await cache.set(key, bytes('first'), { slidingExpiration: '20m' });
      // Another instance removes the entry (a sign-out); this one's update of it is cut after its HSET.
      await direct.del(prefix + key);
      const outcome = await updateCutAfterHset(cache, key, 'revived value');
      if (outcome === 'written') {
        // Resent after reconnecting, the PEXPIRE ran.
        expect(await direct.pttl(prefix + key)).toBeGreaterThan(TWENTY_MINUTES - 60_000);
        return;
      }
      expect(outcome).toBeInstanceOf(CacheUnavailableError);
      expect(await direct.pttl(prefix + key)).toBe(-1);
      // The failed set forgot the entry's renewal, so its next read renews it: a TTL again.
      await expect(cache.get(key).then(text)).resolves.toBe('revived value');
      expect(await direct.pttl(prefix + key)).toBeGreaterThan(TWENTY_MINUTES - 60_000);
    },
  );
});
