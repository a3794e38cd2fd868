import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { type SessionEnv, session } from '@sharedstate/session-hono';
import { describeSessionsOnRedis } from '@sharedstate/testing';
import { Hono } from 'hono';

describeSessionsOnRedis('Hono', ({ redis, timeoutMs, logger, apps }) => {
  const repository = new RedisXmlRepository({ redis, operationTimeout: timeoutMs });
  const cache = new RedisCache({ redis, operationTimeout: timeoutMs });
  const app = new Hono<SessionEnv<{ cart: string[] }>>();
  const sessions = session<{ cart: string[] }>({
    cache,
    dataProtection: createDataProtection({ logger: false, applicationName: 'outage', repository }),
    logger,
  });
  app.use(sessions);
  app.get('/plain', (c) => c.text('ok'));
  app.get('/ready', async (c) => {
    const readiness = await sessions.readiness();
    return c.json(readiness, readiness.ready ? 200 : 503);
  });
  app.get('/cart', (c) => {
    const s = c.get('session');
    return c.json({ available: s.isAvailable, cart: s.getJson('cart') ?? [] });
  });
  app.post('/add/:item', (c) => {
    const s = c.get('session');
    s.setJson('cart', [...(s.getJson('cart') ?? []), c.req.param('item')]);
    return c.json({});
  });
  app.post('/sign-in/:user', async (c) => {
    await c.get('session').signIn(c.req.param('user'));
    return c.json({});
  });
  app.get('/me', async (c) => {
    const s = c.get('session');
    const listed =
      s.userId === undefined ? [] : await sessions.userSessions.listSessions(s.userId, { current: s.handle });
    return c.json({ userId: s.userId ?? null, devices: listed.map(({ current }) => ({ current })) });
  });
  app.post('/sign-out-others', async (c) => {
    const s = c.get('session');
    return c.json({ ended: await sessions.userSessions.endUserSessions(s.userId!, { except: s.handle }) });
  });
  return apps.start(createServer(getRequestListener(app.fetch)));
});
