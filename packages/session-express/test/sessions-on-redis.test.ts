import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { getSession, session } from '@sharedstate/session-express';
import { describeSessionsOnRedis } from '@sharedstate/testing';
import express from 'express';

describeSessionsOnRedis('Express', ({ redis, timeoutMs, logger, apps }) => {
  const repository = new RedisXmlRepository({ redis, operationTimeout: timeoutMs });
  const cache = new RedisCache({ redis, operationTimeout: timeoutMs });
  const app = express();
  const sessions = session({
    cache,
    dataProtection: createDataProtection({ applicationName: 'outage', repository }),
    logger,
  });
  app.use(sessions);
  app.get('/plain', (_req, res) => void res.send('ok'));
  app.get('/ready', async (_req, res) => {
    const readiness = await sessions.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/cart', (req, res) => {
    const s = getSession<{ cart: string[] }>(req);
    res.json({ available: s.isAvailable, cart: s.getJson('cart') ?? [] });
  });
  app.post('/add/:item', (req, res) => {
    const s = getSession<{ cart: string[] }>(req);
    s.setJson('cart', [...(s.getJson('cart') ?? []), req.params.item!]);
    res.json({});
  });
  return apps.start(app);
});
