// session-core on a real Redis: the ioTimeout bound and an outage while loading.
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { SessionHandler } from '@sharedstate/session-core';
import { describeWithService, redisCli, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { cookieFrom, request } from './fixtures.ts';

describeWithService(services.redis({ spawn: true }), 'sessions on a real Redis', (server) => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(server().url);
  });
  afterAll(() => client.quit());

  test('a cache that bounds its own calls more tightly than ioTimeout bounds the load', async () => {
    const handler = new SessionHandler({
      // ioTimeout stays at its default (1m): the cache's 300 ms bound is the one that applies.
      cache: new RedisCache({ redis: client, operationTimeout: '300ms' }),
      dataProtection: createDataProtection({
        applicationName: 'bound',
        repository: new EphemeralXmlRepository(),
      }),
    });
    const first = await handler.begin(request());
    first.setString('k', 'v');
    const setCookie = handler.responseHeaders(first).setCookie;
    await handler.end(first);
    await redisCli(server().port, ['client', 'pause', '1500', 'ALL']);
    const started = Date.now();
    const second = await handler.begin(request(cookieFrom(setCookie)));
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(second.isAvailable).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await handler.begin(request(cookieFrom(setCookie)))).getString('k')).toBe('v');
  });

  test('a load slower than ioTimeout leaves the session unavailable instead of hanging the request', async () => {
    const handler = new SessionHandler({
      cache: new RedisCache({ redis: client, operationTimeout: '10s' }),
      dataProtection: createDataProtection({
        applicationName: 'io',
        repository: new EphemeralXmlRepository(),
      }),
      ioTimeout: '300ms',
    });
    const first = await handler.begin(request());
    first.setString('k', 'v');
    const setCookie = handler.responseHeaders(first).setCookie;
    await handler.end(first);
    await redisCli(server().port, ['client', 'pause', '1500', 'ALL']);
    const started = Date.now();
    const second = await handler.begin(request(cookieFrom(setCookie)));
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(second.isAvailable).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const third = await handler.begin(request(cookieFrom(setCookie)));
    expect(third.getString('k')).toBe('v');
  });
});
