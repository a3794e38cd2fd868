import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { fastifySession, getSession } from '@sharedstate/session-fastify';
import { describeSessionsOnRedis } from '@sharedstate/testing';
import Fastify from 'fastify';

describeSessionsOnRedis('Fastify', async ({ redis, timeoutMs, logger, apps }) => {
  const repository = new RedisXmlRepository({ redis, operationTimeout: timeoutMs });
  const cache = new RedisCache({ redis, operationTimeout: timeoutMs });
  const app = Fastify();
  await app.register(fastifySession, {
    cache,
    dataProtection: createDataProtection({ logger: false, applicationName: 'outage', repository }),
    logger,
  });
  app.get('/plain', async () => 'ok');
  app.get('/ready', async (_request, reply) => {
    const readiness = await app.sessionReadiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  const cart = (request: object) => {
    const s = getSession<{ cart: string[] }>(request);
    return { available: s.isAvailable, cart: s.getJson('cart') ?? [] };
  };
  app.get('/cart', async (request) => cart(request));
  app.post<{ Params: { item: string } }>('/add/:item', async (request) => {
    const s = getSession<{ cart: string[] }>(request);
    s.setJson('cart', [...(s.getJson('cart') ?? []), request.params.item]);
    return cart(request);
  });
  app.post<{ Params: { user: string } }>('/sign-in/:user', async (request) => {
    await getSession(request).signIn(request.params.user);
    return {};
  });
  app.get('/me', async (request) => {
    const s = getSession(request);
    const listed =
      s.userId === undefined ? [] : await app.userSessions.listSessions(s.userId, { current: s.handle });
    return { userId: s.userId ?? null, devices: listed.map(({ current }) => ({ current })) };
  });
  app.post('/sign-out-others', async (request) => {
    const s = getSession(request);
    return { ended: await app.userSessions.endUserSessions(s.userId!, { except: s.handle }) };
  });
  await app.ready();
  return apps.start({
    listen: (port, host, callback) => {
      void app.listen({ port, host }).then(callback);
      return app.server;
    },
  });
});
