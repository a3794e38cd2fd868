import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import type { Cluster, Redis } from 'ioredis';

let storage = 0;

/**
 * The key ring repository conformance suite on clients that `connect` makes, each closed after the suite.
 * Every storage the suite asks for is a key of its own under `keyPrefix` (one prefix per suite, as test
 * files in one worker share a process id).
 */
export function describeRedisRepositoryConformance(
  title: string,
  keyPrefix: string,
  connect: () => Redis | Cluster,
): void {
  const clients: (Redis | Cluster)[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  describeXmlRepositoryConformance(title, {
    createStorage() {
      const key = `${keyPrefix}-${process.pid}-${storage++}`;
      return {
        async storeDamaged(text) {
          const client = connect();
          clients.push(client);
          await client.rpush(key, text);
        },
        open: () => {
          const client = connect();
          clients.push(client);
          return new RedisXmlRepository({ redis: client, key });
        },
      };
    },
  });
}
