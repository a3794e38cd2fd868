// koa-passport (Passport 0.6, which calls req.session.regenerate(cb) and save(cb) at sign-in and sign-out)
// on two Koa instances that share a real Redis, with the adapter's `properties` option; and without it,
// the error that names the option.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import {
  getSession,
  type KoaSessionAdapterOptions,
  SessionConfigurationError,
  session,
} from '@sharedstate/session-koa';
import { cookieOf, describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';

interface User {
  id: string;
}

/** The errors the apps' requests failed with (Koa reports them as 'error' events). */
const appErrors: Error[] = [];

function passportApp(redis: Redis, adapter: KoaSessionAdapterOptions) {
  const auth = new KoaPassport();
  auth.use(
    new LocalStrategy((username, password, done) =>
      password === 'secret' ? done(null, { id: username }) : done(null, false),
    ),
  );
  auth.serializeUser<string>((user, done) => done(null, (user as User).id));
  auth.deserializeUser<string>((id, done) => done(null, { id }));
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: Error) => appErrors.push(error));
  app.use(
    session(
      {
        cache: new RedisCache({ redis }),
        dataProtection: createDataProtection({
          applicationName: 'koa-passport-tests',
          repository: new RedisXmlRepository({ redis }),
        }),
      },
      adapter,
    ),
  );
  app.use(auth.initialize());
  app.use(auth.session());
  // Credentials in the query string: passport-local reads req.query when there is no body.
  const login = auth.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' });
  app.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/login') return login(ctx, next);
    if (ctx.method === 'POST' && ctx.path === '/logout') {
      await ctx.logout();
      ctx.redirect('/me');
      return;
    }
    if (ctx.path === '/me') {
      ctx.body = { user: ctx.state.user ?? null, passport: getSession(ctx).getJson('passport') ?? null };
    }
  });
  return app;
}

function listen(app: Koa): Promise<{ url: string; server: Server }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    );
  });
}

describeWithService(services.redis({ spawn: true }), 'koa-passport', (redisServer) => {
  const servers: Server[] = [];
  const clients: Redis[] = [];
  const start = async (adapter: KoaSessionAdapterOptions) => {
    const redis = new Redis(redisServer().url);
    clients.push(redis);
    const { url, server } = await listen(passportApp(redis, adapter));
    servers.push(server);
    return url;
  };
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(clients.map((redis) => redis.quit()));
  });

  let cookie: string | undefined;
  const send = async (url: string, method = 'GET') => {
    const response = await fetch(url, { method, redirect: 'manual', headers: cookie ? { cookie } : {} });
    cookie = cookieOf(response) ?? cookie;
    return response;
  };

  test('with properties: sign in on A, signed in on B, sign out; the cookie changes at each', async () => {
    const [a, b] = await Promise.all([start({ properties: true }), start({ properties: true })]);
    cookie = undefined;
    const failed = await send(`${a}/login?username=ada&password=nope`, 'POST');
    expect(failed.headers.get('location')).toBe('/login');
    const signedIn = await send(`${a}/login?username=ada&password=secret`, 'POST');
    expect(signedIn.headers.get('location')).toBe('/me');
    const afterSignIn = cookie;
    expect(afterSignIn).toBeDefined();
    expect(await (await send(`${b}/me`)).json()).toEqual({ user: { id: 'ada' }, passport: { user: 'ada' } });

    expect((await send(`${b}/logout`, 'POST')).status).toBe(302);
    expect(cookie).not.toBe(afterSignIn);
    expect(await (await send(`${a}/me`)).json()).toEqual({ user: null, passport: null });
    // The cookie from before sign-out names nothing now.
    cookie = afterSignIn;
    expect(await (await send(`${a}/me`)).json()).toMatchObject({ user: null });
  });

  test('without properties, sign-in fails with an error naming the option', async () => {
    const a = await start({});
    cookie = undefined;
    appErrors.length = 0;
    const response = await send(`${a}/login?username=ada&password=secret`, 'POST');
    expect(response.status).toBe(500);
    expect(appErrors.map((error) => `${error.name}: ${error.message}`)).toEqual([
      expect.stringMatching(/^SessionUsageError: .*session\(options, \{ properties: true \}\)/),
    ]);
  });
});

test("the adapter's options are checked when the middleware is created", () => {
  const options = {
    cache: new MemoryDistributedCache(),
    dataProtection: createDataProtection({ applicationName: 'x', repository: new EphemeralXmlRepository() }),
  };
  const withAdapter = (adapter: object, load?: 'lazy') => () =>
    session({ ...options, ...(load ? { load } : {}) }, adapter as KoaSessionAdapterOptions);
  expect(withAdapter({ properties: 1 })).toThrow(SessionConfigurationError);
  expect(withAdapter({ idleTimeout: '5m' })).toThrow(
    /Unknown Koa adapter option 'idleTimeout'.*first argument/,
  );
  expect(withAdapter({ properties: true }, 'lazy')).toThrow(/remove load: 'lazy'/);
});
