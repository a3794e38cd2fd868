import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { describeWithService, services } from '@sharedstate/testing';
import type { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';

// ioredis is a peer dependency: an app's client may be ioredis 6 (RESP3 by default). The package's own types
// come from the ioredis 5 it is built against, so the ioredis 6 client is cast; in an app both are one copy.
let storage = 0;

describeWithService(services.redis(), 'RedisXmlRepository with an ioredis 6 client', (server) => {
  const clients: Redis6[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  describeXmlRepositoryConformance('RedisXmlRepository (ioredis 6)', {
    createStorage() {
      const key = `dp-ioredis6-${process.pid}-${storage++}`;
      return {
        open: () => {
          const redis = new Redis6(server().url);
          clients.push(redis);
          return new RedisXmlRepository({ redis: redis as unknown as Redis, key });
        },
      };
    },
  });
});
