import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { getSession, session } from '@sharedstate/session-koa';
import {
  describeWithService,
  expectOutageHandled,
  httpApps,
  outageOutcome,
  recordingLogger,
  services,
} from '@sharedstate/testing';
import { Redis } from 'ioredis';
import Koa from 'koa';

const TIMEOUT_MS = 3_000;

describeWithService(services.redis({ spawn: true }), 'a Koa app started while Redis is down', (server) => {
  const apps = httpApps();

  test('serves routes without the session, gives the session route an unavailable session, and recovers', async () => {
    await server().kill();
    const redis = new Redis(server().url, { maxRetriesPerRequest: 1 });
    const { logger, errors } = recordingLogger();
    const cache = new RedisCache({ redis, operationTimeout: TIMEOUT_MS });
    const repository = new RedisXmlRepository({ redis, operationTimeout: TIMEOUT_MS });
    const app = new Koa();
    app.silent = true;
    app.use(
      session({
        cache,
        dataProtection: createDataProtection({ applicationName: 'outage', repository }),
        logger,
      }),
    );
    app.use(async (ctx) => {
      if (ctx.path === '/plain') {
        ctx.body = 'ok';
        return;
      }
      const s = getSession<{ cart: string[] }>(ctx);
      if (ctx.method === 'POST') s.setJson('cart', [...(s.getJson('cart') ?? []), ctx.path.slice(5)]);
      ctx.body = { available: s.isAvailable, cart: s.getJson('cart') ?? [] };
    });
    const url = await apps.start(app, () => redis.quit());
    // The first key-ring load, started with the middleware, has failed by then (it is bounded by the timeout).
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 500));
    expectOutageHandled(await outageOutcome(url, () => server().restart()), TIMEOUT_MS);
    expect(errors.join('\n')).toMatch(/key ring could not be loaded/);
  }, 40_000);
});
