import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Cluster, Redis } from 'ioredis';

// Redis keeps time itself, so the timed cases sleep; 400 ms units keep a run near ten seconds.
const timing = realTiming(400);
const close = async (cache: unknown) => (cache as RedisCache).close();

describeWithService(services.redis(), 'RedisCache on a standalone Redis', (redis) => {
  describeCacheConformance('RedisCache (scripts)', {
    createCache: () => new RedisCache({ connection: redis().url, instanceName: 'conformance:' }),
    disposeCache: close,
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  // Auto-pipelining (the usual production setting) sends the script calls through ioredis's pipelines.
  const pipelined: Redis[] = [];
  afterAll(async () => {
    await Promise.all(pipelined.map((client) => client.quit()));
  });
  describeCacheConformance('RedisCache (auto-pipelining client)', {
    createCache: () => {
      const client = new Redis(redis().url, { enableAutoPipelining: true });
      pipelined.push(client);
      return new RedisCache({ redis: client, instanceName: 'pipelined:' });
    },
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
  describeCacheConformance('RedisCache (useScripts: false)', {
    createCache: () =>
      new RedisCache({ connection: redis().url, instanceName: 'noscript:', useScripts: false }),
    disposeCache: close,
    timing,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'RedisCache on a Redis Cluster',
  (cluster) => {
    const clients: Cluster[] = [];
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.quit()));
    });
    describeCacheConformance('RedisCache (Cluster)', {
      createCache: () => {
        const client = new Cluster([...cluster().startupNodes], { enableAutoPipelining: true });
        clients.push(client);
        return new RedisCache({ redis: client, instanceName: 'cluster:' });
      },
      timing,
      conditionalSet: true,
      diagnostics: { provider: 'RedisCache', system: 'redis' },
    });
  },
);

describeWithService(services.redisSentinel(), 'RedisCache through Redis Sentinel', (setup) => {
  const clients: Redis[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  describeCacheConformance('RedisCache (Sentinel)', {
    createCache: () => {
      const client = new Redis({ sentinels: [...setup().sentinels], name: setup().masterName });
      clients.push(client);
      return new RedisCache({ redis: client, instanceName: 'sentinel:' });
    },
    timing,
    conditionalSet: true,
    diagnostics: { provider: 'RedisCache', system: 'redis' },
  });
});
