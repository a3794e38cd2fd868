// The HybridCache suite on Redis: RedisCache as L2 and RedisInvalidationBus, each instance with clients of
// its own, on every client the packages accept (ioredis 5 and 6, node-redis 5), standalone and Cluster.

import { describeHybridCacheConformance } from '@sharedstate/caching-hybrid/testing';
import { RedisCache, RedisInvalidationBus } from '@sharedstate/caching-redis';
import { describeWithService, redisClientKinds, services } from '@sharedstate/testing';

describe.each(redisClientKinds)('$name', (kind) => {
  describeWithService(services.redis({ spawn: true }), `HybridCache on Redis (${kind.name})`, (server) => {
    describeHybridCacheConformance(`HybridCache on RedisCache with RedisInvalidationBus (${kind.name})`, {
      createInstance: async () => {
        const made = await kind.standalone(server().url);
        return {
          distributedCache: new RedisCache({ redis: made.client as never }),
          invalidationBus: new RedisInvalidationBus({ redis: made.client as never }),
          close: () => made.close(),
        };
      },
    });
    describeHybridCacheConformance(`HybridCache on RedisCache without a bus (${kind.name})`, {
      createInstance: async () => {
        const made = await kind.standalone(server().url);
        return {
          distributedCache: new RedisCache({ redis: made.client as never }),
          close: () => made.close(),
        };
      },
    });
  });

  describeWithService(services.redisCluster(), `HybridCache on a Redis Cluster (${kind.name})`, (cluster) => {
    describeHybridCacheConformance(
      `HybridCache on a Redis Cluster with RedisInvalidationBus (${kind.name})`,
      {
        createInstance: async () => {
          const made = await kind.cluster(cluster().startupNodes);
          return {
            distributedCache: new RedisCache({ redis: made.client as never }),
            invalidationBus: new RedisInvalidationBus({ redis: made.client as never }),
            close: () => made.close(),
          };
        },
      },
    );
  });
});
