import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { getSession, session } from '@sharedstate/session-express';
import {
  describeWithService,
  expectOutageHandled,
  httpApps,
  outageOutcome,
  recordingLogger,
  services,
} from '@sharedstate/testing';
import express from 'express';
import { Redis } from 'ioredis';

const TIMEOUT_MS = 3_000;

describeWithService(services.redis({ spawn: true }), 'an app started while Redis is down', (server) => {
  const apps = httpApps();

  test('serves routes without the session, gives the session route an unavailable session, and recovers', async () => {
    await server().kill();
    const redis = new Redis(server().url, { maxRetriesPerRequest: 1 });
    const recorded = recordingLogger();
    const app = express();
    app.use(
      session({
        cache: new RedisCache({ redis, operationTimeout: TIMEOUT_MS }),
        dataProtection: createDataProtection({
          applicationName: 'outage',
          repository: new RedisXmlRepository({ redis, operationTimeout: TIMEOUT_MS }),
        }),
        logger: recorded.logger,
      }),
    );
    app.get('/plain', (_req, res) => void res.send('ok'));
    app.get('/cart', (req, res) => {
      const s = getSession<{ cart: string[] }>(req);
      res.json({ available: s.isAvailable, cart: s.getJson('cart') ?? [] });
    });
    app.post('/add/:item', (req, res) => {
      const s = getSession<{ cart: string[] }>(req);
      s.setJson('cart', [...(s.getJson('cart') ?? []), req.params.item!]);
      res.json({});
    });
    // The app swallows the write's error into a plain 500 (Express's default handler would print it).
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('unavailable');
    });
    const url = await apps.start(app, () => redis.quit());
    // The first key-ring load, started with the middleware, has failed by then (it is bounded by the timeout).
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 500));
    expectOutageHandled(await outageOutcome(url, () => server().restart()), TIMEOUT_MS);
    expect(recorded.errors.join('\n')).toMatch(/key ring could not be loaded/);
  }, 40_000);
});
