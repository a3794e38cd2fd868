import { getEventListeners } from 'node:events';
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

  test('an abort while Redis holds the call rejects with its reason at once; no listener is left on the signal', async () => {
    const client = new Redis(server().url);
    const cache = new RedisCache({ redis: client, operationTimeout: '5s' });
    try {
      await cache.set('k', Buffer.from('v'));
      const answered = new AbortController();
      expect(Buffer.from((await cache.get('k', { signal: answered.signal }))!).toString()).toBe('v');
      await cache.set('k', Buffer.from('w'), undefined, { signal: answered.signal });
      expect(getEventListeners(answered.signal, 'abort')).toHaveLength(0);

      await redisCli(server().port, ['client', 'pause', '2000', 'ALL']);
      const aborted = new AbortController();
      const reason = new Error('the request went away');
      const pending = cache.get('k', { signal: aborted.signal }).catch((error: unknown) => error);
      setTimeout(() => aborted.abort(reason), 50);
      const started = Date.now();
      expect(await pending).toBe(reason);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(0);
      // The call was still answered once Redis resumed; the cache goes on serving.
      expect(Buffer.from((await cache.get('k'))!).toString()).toBe('w');
    } finally {
      client.disconnect();
    }
  });
});
