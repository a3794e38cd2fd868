// Redis down under a HybridCache with the Redis bus: local copies keep answering, a cold key is made by its
// factory (the failed read logged, never thrown), and once Redis is back the bus's resubscription clears the
// local copies, whose invalidations may have been missed meanwhile.

import { HybridCache } from '@sharedstate/caching-hybrid';
import { RedisCache, RedisInvalidationBus } from '@sharedstate/caching-redis';
import {
  describeWithService,
  recordingLogger,
  redisClientKinds,
  services,
  waitUntil,
} from '@sharedstate/testing';

describe.each(redisClientKinds)('$name', (kind) => {
  describeWithService(
    services.redis({ spawn: true }),
    `HybridCache through a Redis outage (${kind.name})`,
    (server) => {
      test('local copies answer, cold keys are made, and the local copies are cleared when the bus is back', async () => {
        const closers: (() => Promise<unknown>)[] = [];
        const instance = async () => {
          const made = await kind.standalone(server().url, { failQueuedCommands: true });
          closers.push(() => made.close());
          const log = recordingLogger();
          const cache = new HybridCache({
            distributedCache: new RedisCache({ redis: made.client as never, operationTimeout: '1s' }),
            invalidationBus: new RedisInvalidationBus({ redis: made.client as never }),
            logger: log.logger,
          });
          closers.push(() => cache.dispose());
          await cache.ready();
          return { cache, log };
        };
        try {
          const first = await instance();
          const second = await instance();
          await first.cache.set('product:1', 'Tea');
          expect(await second.cache.getOrCreate('product:1', async () => 'made')).toBe('Tea');
          await server().kill();
          try {
            expect(await second.cache.getOrCreate('product:1', async () => 'made')).toBe('Tea');
            expect(await first.cache.getOrCreate('product:2', async () => 'Coffee')).toBe('Coffee');
            expect(first.log.warnings.join('\n')).toMatch(
              /Reading a HybridCache entry from the distributed cache failed/,
            );
          } finally {
            await server().restart();
          }
          await waitUntil(
            async () => second.cache.localCache.count === 0,
            'the local copies cleared after the resubscription',
            {
              timeoutMs: 30_000,
            },
          );
          expect(await second.cache.getOrCreate('product:1', async () => 'made again')).toBe('made again');
        } finally {
          for (const close of closers.reverse()) await close().catch(() => {});
        }
      }, 60_000);
    },
  );
});
