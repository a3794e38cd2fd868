// Another instance of an app, in a process of its own, for the HybridCache benchmark's invalidation
// latency: a HybridCache on the Redis at argv[2] with the Redis bus, telling its parent (IPC) when each bus
// message has been handled, with the wall-clock time it was handled at.
import { HybridCache } from '@sharedstate/caching-hybrid';
import { RedisCache, RedisInvalidationBus } from '@sharedstate/caching-redis';
import { Redis } from 'ioredis6';

const redis = new Redis(process.argv[2]!);
const bus = new RedisInvalidationBus({ redis });
const heard: typeof bus = {
  publish: (message) => bus.publish(message),
  subscribe: (handlers) =>
    bus.subscribe({
      ...handlers,
      onMessage: (message) => {
        handlers.onMessage(message);
        process.send?.({ handledAt: performance.timeOrigin + performance.now() });
      },
    }),
};
const cache = new HybridCache({
  distributedCache: new RedisCache({ redis }),
  invalidationBus: heard,
  logger: false,
});
await cache.ready();
process.send?.({ ready: true });
process.on('disconnect', () => {
  void cache.dispose().then(() => redis.disconnect());
});
