// koa-passport (Passport 0.6, which calls req.session.regenerate(cb) and save(cb) at sign-in and sign-out)
// on two Koa instances that share a real Redis, with the adapter's `properties` option; and without it,
// the error that names the option.
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
import { CookieJarClient, describeWithService, httpApps, services } from '@sharedstate/testing';
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
          // Its change check outlives this file's Redis client (it runs every 30 s): no warnings after the tests.
          logger: false,
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
    if (ctx.method === 'POST' && ctx.path === '/save-with-a-bug') {
      // An app that saves with a callback, and has a bug in it.
      const values = ctx.session as unknown as { visited: boolean; save(done: () => void): void };
      values.visited = true;
      await new Promise<void>((resolve) =>
        values.save(() => {
          resolve();
          throw new Error('a bug in the save callback');
        }),
      );
      ctx.body = 'saved';
      return;
    }
    if (ctx.path === '/me') {
      ctx.body = { user: ctx.state.user ?? null, passport: getSession(ctx).getJson('passport') ?? null };
    }
  });
  return app;
}

describeWithService(services.redis({ spawn: true }), 'koa-passport', (redisServer) => {
  const apps = httpApps();
  const start = (adapter: KoaSessionAdapterOptions) => {
    const redis = new Redis(redisServer().url);
    return apps.start(passportApp(redis, adapter), () => redis.quit());
  };

  test('with properties: sign in on A, signed in on B, sign out; the cookie changes at each', async () => {
    const [a, b] = await Promise.all([start({ properties: true }), start({ properties: true })]);
    const client = new CookieJarClient();
    const failed = await client.send(`${a}/login?username=ada&password=nope`, 'POST');
    expect(failed.headers.get('location')).toBe('/login');
    const signedIn = await client.send(`${a}/login?username=ada&password=secret`, 'POST');
    expect(signedIn.headers.get('location')).toBe('/me');
    const afterSignIn = client.cookie;
    expect(afterSignIn).toBeDefined();
    expect(await client.json(`${b}/me`)).toEqual({ user: { id: 'ada' }, passport: { user: 'ada' } });

    expect((await client.send(`${b}/logout`, 'POST')).status).toBe(302);
    expect(client.cookie).not.toBe(afterSignIn);
    expect(await client.json(`${a}/me`)).toEqual({ user: null, passport: null });
    // The cookie from before sign-out names nothing now.
    client.cookie = afterSignIn;
    expect(await client.json(`${a}/me`)).toMatchObject({ user: null });
  });

  test("with properties: an error thrown by the app's save callback goes to Koa's error handling, not the process", async () => {
    const a = await start({ properties: true });
    const client = new CookieJarClient();
    appErrors.length = 0;
    const response = await client.send(`${a}/save-with-a-bug`, 'POST');
    expect(response.status).toBe(500);
    expect(appErrors.map((error) => error.message)).toEqual(['a bug in the save callback']);
    expect(await client.json(`${a}/me`)).toEqual({ user: null, passport: null });
  });

  test('without properties, sign-in fails with an error naming the option', async () => {
    const a = await start({});
    const client = new CookieJarClient();
    appErrors.length = 0;
    const response = await client.send(`${a}/login?username=ada&password=secret`, 'POST');
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
