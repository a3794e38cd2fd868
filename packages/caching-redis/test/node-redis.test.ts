// RedisCache with the app's node-redis (v5) client, as connect-redis users hold one: the same layout,
// scripts, errors and recovery as with ioredis, proven by the same conformance suite on real servers.
import {
  CACHE_OPERATION_CHANNEL,
  CacheEntryConflictError,
  type CacheOperationEvent,
  CacheUnavailableError,
} from '@sharedstate/caching-abstractions';
import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, recordTracingChannel, services } from '@sharedstate/testing';
import { createClient, createCluster } from 'redis';

const timing = realTiming(400);

type Closable = { destroy(): unknown; on(event: 'error', listener: (error: Error) => void): unknown };
function trackClients(): Closable[] {
  const clients: Closable[] = [];
  // destroy, not close: close waits for the replies to commands still queued, which a test that failed
  // during an outage may leave unanswered.
  afterAll(async () => {
    await Promise.all(clients.map(async (client) => client.destroy()));
  });
  return clients;
}

describeWithService(services.redis({ spawn: true }), 'RedisCache with a node-redis client', (redis) => {
  const clients = trackClients();
  const connected = async (options: { RESP?: 2 | 3 } = {}) => {
    const client = createClient({ url: redis().url, ...options });
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };

  describeCacheConformance('RedisCache (node-redis, RESP2)', {
    createCache: async () => new RedisCache({ redis: await connected(), instanceName: 'node-redis:' }),
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  test("its diagnostics events name the server the client's URL points at", async () => {
    const cache = new RedisCache({ redis: await connected(), instanceName: 'node-redis-events:' });
    const operations = recordTracingChannel<CacheOperationEvent>(CACHE_OPERATION_CHANNEL);
    try {
      await cache.get('k');
    } finally {
      operations.stop();
    }
    const url = new URL(redis().url);
    expect(operations.ended()).toEqual([
      expect.objectContaining({
        provider: 'RedisCache',
        serverAddress: url.hostname,
        serverPort: Number(url.port),
        outcome: 'miss',
      }),
    ]);
  });

  describeCacheConformance('RedisCache (node-redis, RESP3)', {
    createCache: async () =>
      new RedisCache({ redis: await connected({ RESP: 3 }), instanceName: 'node-redis3:' }),
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });

  test("the hash is ASP.NET Core's, read back by ioredis-shaped commands, and a key of another type is a conflict", async () => {
    const client = await connected();
    const cache = new RedisCache({ redis: client, instanceName: 'layout:' });
    await cache.set('k', Buffer.from('v'), { slidingExpiration: '20m' });
    expect(await client.hGetAll('layout:k')).toEqual({ absexp: '-1', sldexp: '12000000000', data: 'v' });
    await client.set('layout:string', 'x');
    await expect(cache.get('string')).rejects.toThrow(CacheEntryConflictError);
  });

  test('a wrong client is refused with the clients accepted', () => {
    expect(() => new RedisCache({ redis: { hget: () => {} } as never })).toThrow(
      /must be an ioredis client \(new Redis\(\.\.\.\) or new Cluster\(\.\.\.\)\) or a node-redis v5 client/,
    );
  });
});

describeWithService(
  services.redis({ spawn: true }),
  'RedisCache with a node-redis client, its server stopped',
  (redis) => {
    const clients = trackClients();
    const connected = async () => {
      const client = createClient({ url: redis().url });
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
      return client;
    };

    test('a stopped server gives CacheUnavailableError within operationTimeout, and the same client recovers', async () => {
      const client = await connected();
      const cache = new RedisCache({ redis: client, instanceName: 'outage:', operationTimeout: '2s' });
      await cache.set('survivor', Buffer.from('kept'), { slidingExpiration: '20m' });
      await redis().kill();
      const started = performance.now();
      await expect(cache.get('survivor')).rejects.toThrow(CacheUnavailableError);
      // Within the timeout and a margin: a loaded machine answers the first set of a new client slowly too.
      expect(performance.now() - started).toBeLessThan(3_000);
      await redis().restart();
      // The server kept nothing on disk: the entry is gone, but the cache works again on the same client.
      await waitForAnswer(() => cache.set('after', Buffer.from('y')));
      expect(Buffer.from((await cache.get('after'))!).toString()).toBe('y');
    }, 60_000);
  },
);

describeWithService(services.redisCluster(), 'RedisCache with a node-redis cluster', (cluster) => {
  const clients = trackClients();
  describeCacheConformance('RedisCache (node-redis cluster)', {
    createCache: async () => {
      const client = createCluster({
        rootNodes: cluster().startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
      });
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
      return new RedisCache({ redis: client, instanceName: 'node-redis-cluster:' });
    },
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
});

async function waitForAnswer(operation: () => Promise<unknown>): Promise<void> {
  // node-redis waits up to about 2 s between reconnection attempts, and a loaded machine restarts Redis slowly.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await operation();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
