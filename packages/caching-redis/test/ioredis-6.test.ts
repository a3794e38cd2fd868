import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import type { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';

// ioredis is a peer dependency: an app's client may be ioredis 6, which speaks RESP3 by default (HELLO 3),
// so script replies such as a Lua false arrive as RESP3 types. Here the package's own types come from the
// ioredis 5 it is built against, so the ioredis 6 clients are cast; in an app both are the app's copy.
const timing = realTiming(400);

type Client6 = Redis6 | Cluster6;
const asClient = (client: Client6) => client as unknown as Redis | Cluster;

function trackClients(): Client6[] {
  const clients: Client6[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  return clients;
}

describeWithService(services.redis(), 'RedisCache with an ioredis 6 client', (redis) => {
  const clients = trackClients();
  describeCacheConformance('RedisCache (ioredis 6, RESP3)', {
    createCache: () => {
      const client = new Redis6(redis().url, { enableAutoPipelining: true });
      clients.push(client);
      return new RedisCache({ redis: asClient(client), instanceName: 'ioredis6:' });
    },
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  describeCacheConformance("RedisCache (ioredis 6, replyMapping 'resp3')", {
    createCache: () => {
      const client = new Redis6(redis().url, { replyMapping: 'resp3' });
      clients.push(client);
      return new RedisCache({ redis: asClient(client), instanceName: 'ioredis6-resp3:' });
    },
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });

  it('speaks RESP3 to the server, so the cases above cover its replies', async () => {
    const client = new Redis6(redis().url);
    clients.push(client);
    // CLIENT INFO reports the connection's protocol: resp=2 for an ioredis 5 client.
    const info = String(await client.call('CLIENT', 'INFO'));
    expect(info).toMatch(/\bresp=3\b/);
  });
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'RedisCache with an ioredis 6 Cluster client',
  (cluster) => {
    const clients = trackClients();
    describeCacheConformance('RedisCache (ioredis 6 Cluster)', {
      createCache: () => {
        const client = new Cluster6([...cluster().startupNodes], { enableAutoPipelining: true });
        clients.push(client);
        return new RedisCache({ redis: asClient(client), instanceName: 'ioredis6-cluster:' });
      },
      timing,
      conditionalSet: true,
      diagnostics: { provider: 'RedisCache', system: 'redis' },
    });
  },
);
