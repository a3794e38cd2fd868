// A conditional write whose reply is lost (Redis crashed after running it, or the network cut) and that the
// client resends after reconnecting must report what happened: it wrote. Seen as a conflict, the session
// middleware's merge mode would apply the same change a second time.
import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, type ReplyLosingProxy, replyLosingProxy, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createClient } from 'redis';

const bytes = (text: string) => Buffer.from(text);
/** What the conditional write sends, which the proxy recognises it by. */
const NEW_VALUE = 'the value of the write whose reply is lost';
const text = (value: Uint8Array | undefined) => (value ? Buffer.from(value).toString() : undefined);

describeWithService(services.redis(), 'a conditional write whose reply is lost', (server) => {
  let proxy: ReplyLosingProxy;
  const closers: (() => unknown)[] = [];
  beforeAll(async () => {
    proxy = await replyLosingProxy(server());
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await proxy.close();
  });

  const resending: [string, () => RedisCache][] = [
    [
      'ioredis 5',
      () => {
        const client = new Redis({ port: proxy.port, host: '127.0.0.1' });
        closers.push(() => client.disconnect());
        return new RedisCache({ redis: client, instanceName: 'resent5:' });
      },
    ],
    [
      'ioredis 6',
      () => {
        const client = new Redis6({ port: proxy.port, host: '127.0.0.1' });
        closers.push(() => client.disconnect());
        return new RedisCache({ redis: client as unknown as Redis, instanceName: 'resent6:' });
      },
    ],
  ];

  test.each(resending)(
    'on %s, a set whose connection is cut after MULTI writes nothing, is not resent outside the transaction, and fails as an outage',
    async (_name, make) => {
      const cache = make();
      await cache.set('warm', bytes('x'));
      const key = `cut-${Date.now()}`;
      const cut = proxy.cutAfter('multi\r\n');
      const written = cache.set(key, bytes('v'), { slidingExpiration: '20m' });
      await cut;
      await expect(written).rejects.toThrow(CacheUnavailableError);
      // Resent after reconnecting, HSET and PEXPIRE would have run on their own, outside MULTI.
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, bytes('v'), { slidingExpiration: '20m' });
      expect(text(await cache.get(key))).toBe('v');
    },
  );

  test.each(resending)('on %s, resent after reconnecting, counts as written, once', async (_name, make) => {
    const cache = make();
    const key = `counter-${Date.now()}`;
    // The server has the script already (a first call loads it), so the write whose reply is lost runs.
    expect(await cache.setIfUnchanged!(key, bytes('1'), undefined)).toBe(true);
    const lost = proxy.loseReplyTo(NEW_VALUE);
    const written = cache.setIfUnchanged!(key, bytes(NEW_VALUE), bytes('1'));
    await lost;
    expect(await written).toBe(true);
    expect(text(await cache.get(key))).toBe(NEW_VALUE);
    // A genuine conflict is still one.
    expect(await cache.setIfUnchanged!(key, bytes('3'), bytes('1'))).toBe(false);
    expect(text(await cache.get(key))).toBe(NEW_VALUE);
  });

  test('on node-redis, which does not resend, the write is reported as written or as an outage, never as a conflict', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${proxy.port}` });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.destroy());
    const cache = new RedisCache({ redis: client, instanceName: 'resent-node:' });
    const key = `counter-${Date.now()}`;
    expect(await cache.setIfUnchanged!(key, bytes('1'), undefined)).toBe(true);
    const lost = proxy.loseReplyTo(NEW_VALUE);
    const written = cache.setIfUnchanged!(key, bytes(NEW_VALUE), bytes('1')).catch((error: unknown) => error);
    await lost;
    const outcome = await written;
    if (outcome !== true) expect(outcome).toBeInstanceOf(CacheUnavailableError);
  });
});
