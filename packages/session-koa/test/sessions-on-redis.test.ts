import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { getSession, session } from '@sharedstate/session-koa';
import { describeSessionsOnRedis } from '@sharedstate/testing';
import Koa from 'koa';

describeSessionsOnRedis('Koa', ({ redis, timeoutMs, logger, apps }) => {
  const repository = new RedisXmlRepository({ redis, operationTimeout: timeoutMs });
  const cache = new RedisCache({ redis, operationTimeout: timeoutMs });
  const app = new Koa();
  app.silent = true;
  const sessions = session({
    cache,
    dataProtection: createDataProtection({ logger: false, applicationName: 'outage', repository }),
    logger,
  });
  app.use(sessions);
  app.use(async (ctx) => {
    if (ctx.path === '/ready') {
      const readiness = await sessions.readiness();
      ctx.status = readiness.ready ? 200 : 503;
      ctx.body = readiness;
      return;
    }
    if (ctx.path === '/plain') {
      ctx.body = 'ok';
      return;
    }
    const signingIn = /^\/sign-in\/(.+)$/.exec(ctx.path);
    if (ctx.method === 'POST' && signingIn) {
      await getSession(ctx).signIn(signingIn[1]!);
      ctx.body = {};
      return;
    }
    if (ctx.path === '/me') {
      const s = getSession(ctx);
      const listed =
        s.userId === undefined
          ? []
          : await sessions.userSessions.listSessions(s.userId, { current: s.handle });
      ctx.body = { userId: s.userId ?? null, devices: listed.map(({ current }) => ({ current })) };
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/sign-out-others') {
      const s = getSession(ctx);
      ctx.body = { ended: await sessions.userSessions.endUserSessions(s.userId!, { except: s.handle }) };
      return;
    }
    const s = getSession<{ cart: string[] }>(ctx);
    if (ctx.method === 'POST') s.setJson('cart', [...(s.getJson('cart') ?? []), ctx.path.slice(5)]);
    ctx.body = { available: s.isAvailable, cart: s.getJson('cart') ?? [] };
  });
  return apps.start(app);
});
