import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { getSession, session } from '@sharedstate/session-express';
import { describeSessionsOnRedis } from '@sharedstate/testing';
import express from 'express';
import { addCartRoutes } from './cart-routes.ts';

describeSessionsOnRedis('Express', ({ redis, timeoutMs, logger, apps }) => {
  const repository = new RedisXmlRepository({ redis, operationTimeout: timeoutMs });
  const cache = new RedisCache({ redis, operationTimeout: timeoutMs });
  const app = express();
  const sessions = session({
    cache,
    dataProtection: createDataProtection({ logger: false, applicationName: 'outage', repository }),
    logger,
  });
  app.use(sessions);
  app.get('/plain', (_req, res) => void res.send('ok'));
  app.get('/ready', async (_req, res) => {
    const readiness = await sessions.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  addCartRoutes(app);
  app.post('/sign-in/:user', async (req, res) => {
    await getSession(req).signIn(req.params.user!);
    res.json({});
  });
  app.get('/me', async (req, res) => {
    const s = getSession(req);
    const listed =
      s.userId === undefined ? [] : await sessions.userSessions.listSessions(s.userId, { current: s.handle });
    res.json({ userId: s.userId ?? null, devices: listed.map(({ current }) => ({ current })) });
  });
  app.post('/sign-out-others', async (req, res) => {
    const s = getSession(req);
    res.json({ ended: await sessions.userSessions.endUserSessions(s.userId!, { except: s.handle }) });
  });
  return apps.start(app);
});
