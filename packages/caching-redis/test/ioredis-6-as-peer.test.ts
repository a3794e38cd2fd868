// An app whose ioredis is 6: the package then resolves ioredis 6 itself (a peer dependency), so its
// commands are ioredis 6's own and go through the corked socket, as with ioredis 5. Here the package's
// `ioredis` is pointed at the real ioredis 6 (not a stand-in) to run it that way; ioredis-6.test.ts covers a
// client from a copy of ioredis other than the package's, which RedisCache drives through its methods.
import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import type { Cluster, Redis as Redis5 } from 'ioredis';
import { Redis } from 'ioredis6';

jest.mock('ioredis', () => jest.requireActual('ioredis6'));

describeWithService(services.redis(), 'RedisCache when the app’s ioredis is 6', (redis) => {
  const clients: Redis[] = [];
  // The package's types come from the ioredis 5 it is built against; at run time both are ioredis 6 here.
  const asClient = (client: Redis) => client as unknown as Redis5 | Cluster;
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  const client = (replyMapping?: 'resp3'): Redis => {
    const created = replyMapping ? new Redis(redis().url, { replyMapping }) : new Redis(redis().url);
    clients.push(created);
    return created;
  };

  test('the package and this test share ioredis 6, which speaks RESP3', async () => {
    const info = String(await client().call('CLIENT', 'INFO'));
    expect(info).toMatch(/\bresp=3\b/);
  });

  test('the reads of one turn wait in the corked socket', async () => {
    const connection = client();
    const cache = new RedisCache({ redis: asClient(connection) });
    await cache.set('peer6', Buffer.from('v'), { slidingExpiration: '20m' });
    const reads = [cache.get('peer6'), cache.get('peer6')];
    expect(connection.stream.writableCorked).toBe(1);
    expect((await Promise.all(reads)).map((value) => Buffer.from(value!).toString())).toEqual(['v', 'v']);
  });

  const timing = realTiming(400);
  describeCacheConformance('RedisCache (ioredis 6 as the peer, RESP3)', {
    createCache: () => new RedisCache({ redis: asClient(client()), instanceName: 'peer6:' }),
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  describeCacheConformance("RedisCache (ioredis 6 as the peer, replyMapping 'resp3')", {
    createCache: () => new RedisCache({ redis: asClient(client('resp3')), instanceName: 'peer6-resp3:' }),
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  describeCacheConformance('RedisCache (ioredis 6 as the peer, without scripts)', {
    createCache: () =>
      new RedisCache({ redis: asClient(client()), instanceName: 'peer6-plain:', useScripts: false }),
    timing,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
});
