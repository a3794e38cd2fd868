import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { type SessionEnv, session } from '@sharedstate/session-hono';
import {
  describeWithService,
  expectOutageHandled,
  httpApps,
  outageOutcome,
  recordingLogger,
  services,
} from '@sharedstate/testing';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

const TIMEOUT_MS = 3_000;

describeWithService(services.redis({ spawn: true }), 'a Hono app started while Redis is down', (server) => {
  const apps = httpApps();

  test('serves routes without the session, gives the session route an unavailable session, and recovers', async () => {
    await server().kill();
    const redis = new Redis(server().url, { maxRetriesPerRequest: 1 });
    const { logger, errors } = recordingLogger();
    const cache = new RedisCache({ redis, operationTimeout: TIMEOUT_MS });
    const repository = new RedisXmlRepository({ redis, operationTimeout: TIMEOUT_MS });
    const app = new Hono<SessionEnv<{ cart: string[] }>>();
    app.use(
      session({
        cache,
        dataProtection: createDataProtection({ applicationName: 'outage', repository }),
        logger,
      }),
    );
    app.get('/plain', (c) => c.text('ok'));
    app.get('/cart', (c) => {
      const s = c.get('session');
      return c.json({ available: s.isAvailable, cart: s.getJson('cart') ?? [] });
    });
    app.post('/add/:item', (c) => {
      const s = c.get('session');
      s.setJson('cart', [...(s.getJson('cart') ?? []), c.req.param('item')]);
      return c.json({});
    });
    app.onError((_error, c) => c.text('unavailable', 500));
    const url = await apps.start(createServer(getRequestListener(app.fetch)), () => redis.quit());
    // The first key-ring load, started with the middleware, has failed by then (it is bounded by the timeout).
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 500));
    expectOutageHandled(await outageOutcome(url, () => server().restart()), TIMEOUT_MS);
    expect(errors.join('\n')).toMatch(/key ring could not be loaded/);
  }, 40_000);
});
