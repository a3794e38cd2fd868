import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, redisCli, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';

describeWithService(services.redis({ spawn: true }), 'a Redis that stops answering', (server) => {
  test('operations fail after operationTimeout with CacheUnavailableError, then succeed again', async () => {
    const client = new Redis(server().url);
    const cache = new RedisCache({ redis: client, operationTimeout: '300ms' });
    try {
      await cache.set('k', Buffer.from('v'));
      // The server is up but holds every client's commands for two seconds.
      await redisCli(server().port, ['client', 'pause', '2000', 'ALL']);
      const started = Date.now();
      const failure = await cache.get('k').catch((error: unknown) => error);
      const elapsed = Date.now() - started;
      expect(failure).toBeInstanceOf(CacheUnavailableError);
      expect(String(failure)).toMatch(/within 300 ms \(operationTimeout\)/);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1_500);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(Buffer.from((await cache.get('k'))!).toString()).toBe('v');
    } finally {
      client.disconnect();
    }
  });
});
