import { describeWithService, services } from '@sharedstate/testing';
import type { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { describeRedisRepositoryConformance } from './redis-repository-conformance.ts';

// ioredis is a peer dependency: an app's client may be ioredis 6 (RESP3 by default). The package's own types
// come from the ioredis 5 it is built against, so the ioredis 6 client is cast; in an app both are one copy.
describeWithService(services.redis(), 'RedisXmlRepository with an ioredis 6 client', (server) => {
  describeRedisRepositoryConformance(
    'RedisXmlRepository (ioredis 6)',
    'dp-ioredis6',
    () => new Redis6(server().url) as unknown as Redis,
  );
});
