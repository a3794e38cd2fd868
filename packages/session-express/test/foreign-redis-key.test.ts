import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { session } from '@sharedstate/session-express';
import { cookieOf, describeWithService, httpApps, recordingLogger, services } from '@sharedstate/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { addCartRoutes } from './cart-routes.ts';

describeWithService(services.redis(), 'a session key that holds another app’s Redis value', (server) => {
  const apps = httpApps();

  test('starts a fresh session with a new key, logs the conflict, and leaves the foreign value alone', async () => {
    const redis = new Redis(server().url);
    const instanceName = `conflict-${process.pid}-${Date.now()}:`;
    const { logger, errors } = recordingLogger();
    const app = express();
    app.use(
      session({
        cache: new RedisCache({ redis, instanceName }),
        dataProtection: createDataProtection({
          // Its change check outlives this file's Redis client (it runs every 30 s): no warnings after the tests.
          logger: false,
          applicationName: 'conflict',
          repository: new RedisXmlRepository({ redis, key: `${instanceName}keys` }),
        }),
        logger,
      }),
    );
    addCartRoutes(app);
    const url = await apps.start(app, () => redis.quit());
    const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST' }));
    const [entry] = (await redis.keys(`${instanceName}*`)).filter((key) => key !== `${instanceName}keys`);
    // Another app writes a plain string under the session's key.
    await redis.del(entry!);
    await redis.set(entry!, 'theirs');

    const read = await fetch(`${url}/cart`, { headers: { cookie: cookie! } });
    expect(await read.json()).toEqual({ available: true, cart: [] });
    const added = await fetch(`${url}/add/pen`, { method: 'POST', headers: { cookie: cookie! } });
    const renewed = cookieOf(added);
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(cookie);
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: renewed! } })).json()).toEqual({
      available: true,
      cart: ['pen'],
    });
    expect(await redis.get(entry!)).toBe('theirs');
    expect(errors.join('\n')).toMatch(/WRONGTYPE/);
  });
});
