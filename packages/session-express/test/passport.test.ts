// Passport and connect-flash, written against express-session's req.session, on two app instances that
// share a real Redis (sessions and key ring), with the adapter's `properties` option; and without it,
// the error that says to turn it on.
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import {
  type ExpressSessionAdapterOptions,
  getSession,
  SessionConfigurationError,
  session,
} from '@sharedstate/session-express';
import {
  CookieJarClient,
  describeWithService,
  httpApps,
  SESSION_ID_FORMAT,
  services,
} from '@sharedstate/testing';
import flash from 'connect-flash';
import express from 'express';
import { Redis } from 'ioredis';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';

interface User {
  id: string;
}

/** One instance of an app that signs people in with Passport's local strategy. */
function passportApp(redis: Redis, adapter: ExpressSessionAdapterOptions) {
  const auth = new Passport();
  auth.use(
    new LocalStrategy((username, password, done) =>
      password === 'secret' ? done(null, { id: username }) : done(null, false, { message: 'Wrong password' }),
    ),
  );
  auth.serializeUser<string>((user, done) => done(null, (user as User).id));
  auth.deserializeUser<string>((id, done) => done(null, { id }));
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session(
      {
        cache: new RedisCache({ redis }),
        dataProtection: createDataProtection({
          // Its change check outlives this file's Redis client (it runs every 30 s): no warnings after the tests.
          logger: false,
          applicationName: 'passport-tests',
          repository: new RedisXmlRepository({ redis }),
        }),
      },
      adapter,
    ),
  );
  app.use(flash());
  app.use(auth.session());
  app.post(
    '/login',
    auth.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', failureFlash: true }),
  );
  app.post(
    '/login-keeping',
    auth.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', keepSessionInfo: true }),
  );
  app.get('/login', (req, res) => {
    res.json({ errors: req.flash('error') });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, passport: getSession(req).getJson('passport') ?? null });
  });
  // express-session's req.sessionID, beside the session's own id.
  app.get('/ids', (req, res) => {
    const { sessionID } = req as unknown as { sessionID?: string };
    res.json({ sessionID: sessionID ?? null, id: getSession(req).id });
  });
  // As an app written for express-session keeps a value: a property of req.session.
  const values = (req: express.Request) => (req as unknown as { session: { returnTo?: string } }).session;
  app.post('/return-to', (req, res) => {
    values(req).returnTo = '/cart';
    res.send('noted');
  });
  app.get('/return-to', (req, res) => {
    res.json({ returnTo: values(req).returnTo ?? null });
  });
  // express-session's "remember me".
  app.post('/remember-me', (req, res) => {
    (req as unknown as { session: { cookie: { maxAge: number } } }).session.cookie.maxAge = 30 * 86_400_000;
    res.send('remembered');
  });
  // What express-session's req.session.cookie says about a remembered session.
  app.get('/cookie', (req, res) => {
    const { maxAge, originalMaxAge, expires } = (
      req as unknown as { session: { cookie: { maxAge: number; originalMaxAge: number; expires: Date } } }
    ).session.cookie;
    res.json({ maxAge, originalMaxAge, expires });
  });
  // express-session's ways to renew by hand, which apps written for it call; a load renews here.
  app.post('/keep-alive', (req, res) => {
    const renewing = (req as unknown as { session: { touch(): unknown; resetMaxAge(): unknown } }).session;
    renewing.touch();
    renewing.resetMaxAge();
    res.send('renewed');
  });
  app.post('/logout', (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.redirect(303, '/me')));
  });
  // A bug in the app's own sign-in callback, which Passport calls from the session's save callback.
  app.post('/login-with-a-bug', (req) => {
    req.login({ id: 'ada' }, () => {
      throw new Error('a bug in the sign-in callback');
    });
  });
  return app;
}

describeWithService(services.redis({ spawn: true }), 'Passport and connect-flash', (redisServer) => {
  const apps = httpApps();
  const start = (adapter: ExpressSessionAdapterOptions) => {
    const redis = new Redis(redisServer().url);
    return apps.start(passportApp(redis, adapter), () => redis.quit());
  };

  test('with properties: sign in on A, signed in on B, flash messages, sign out; the cookie changes at each', async () => {
    const [a, b] = await Promise.all([start({ properties: true }), start({ properties: true })]);
    const client = new CookieJarClient();
    expect(await client.json(`${a}/me`)).toEqual({ user: null, passport: null });

    // A wrong password: connect-flash keeps the message in req.session.flash for the next page, on B.
    const failed = await client.send(`${a}/login`, 'POST', { username: 'ada', password: 'nope' });
    expect(failed.headers.get('location')).toBe('/login');
    const anonymous = client.cookie;
    expect(anonymous).toBeDefined();
    expect(await client.json(`${b}/login`)).toEqual({ errors: ['Wrong password'] });
    expect(await client.json(`${a}/login`)).toEqual({ errors: [] });

    // Signed in: Passport regenerates the session (a new cookie) and saves it before the redirect.
    const signedIn = await client.send(`${a}/login`, 'POST', { username: 'ada', password: 'secret' });
    expect(signedIn.headers.get('location')).toBe('/me');
    expect(client.cookie).not.toBe(anonymous);
    expect(await client.json(`${b}/me`)).toEqual({ user: { id: 'ada' }, passport: { user: 'ada' } });
    // req.session.cookie.maxAge = 30 days: the same cookie again, persistent ("remember me").
    const signedInCookie = client.cookie;
    const remembered = await client.send(`${b}/remember-me`, 'POST');
    expect(remembered.headers.get('set-cookie')).toMatch(/; Max-Age=2592000; /);
    expect(client.cookie).toBe(signedInCookie);
    // Read back on the other instance, as express-session reads it: the time left, and the lifetime given.
    const day = 86_400_000;
    const { maxAge, originalMaxAge, expires } = (await client.json(`${a}/cookie`)) as {
      maxAge: number;
      originalMaxAge: number;
      expires: string;
    };
    expect(originalMaxAge).toBe(30 * day);
    expect(maxAge).toBeLessThanOrEqual(30 * day);
    expect(maxAge).toBeGreaterThan(30 * day - 60_000);
    expect(Math.abs(Date.parse(expires) - (Date.now() + maxAge))).toBeLessThan(60_000);
    // touch() and resetMaxAge() do nothing: no error, no cookie sent again, still signed in.
    const renewed = await client.send(`${a}/keep-alive`, 'POST');
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('set-cookie')).toBeNull();
    expect(await client.json(`${a}/me`)).toEqual({ user: { id: 'ada' }, passport: { user: 'ada' } });
    // The cookie from before sign-in names nothing now (session fixation).
    const planted = new CookieJarClient();
    planted.cookie = anonymous;
    expect(await planted.json(`${b}/me`)).toEqual({ user: null, passport: null });

    const beforeLogout = client.cookie;
    const out = await client.send(`${b}/logout`, 'POST');
    expect(out.status).toBe(303);
    expect(client.cookie).not.toBe(beforeLogout);
    // Passport regenerates at sign-out too: a new, empty session.
    expect(await client.json(`${a}/me`)).toEqual({ user: null, passport: null });
    const replayed = new CookieJarClient();
    replayed.cookie = beforeLogout;
    expect((await replayed.json(`${a}/me`)).user).toBeNull();
  });

  test("with properties: req.sessionID is the session's id on every instance, and a new one at sign-in", async () => {
    const [a, b] = await Promise.all([start({ properties: true }), start({ properties: true })]);
    const client = new CookieJarClient();
    await client.send(`${a}/return-to`, 'POST');
    const anonymous = (await client.json(`${a}/ids`)) as { sessionID: string; id: string };
    expect(anonymous.sessionID).toMatch(SESSION_ID_FORMAT);
    expect(anonymous.id).toBe(anonymous.sessionID);
    expect(await client.json(`${b}/ids`)).toEqual(anonymous);
    // Passport's regenerate at sign-in: a new session, so a new id (an app's data keyed by the old one
    // no longer matches).
    await client.send(`${a}/login`, 'POST', { username: 'ada', password: 'secret' });
    const signedIn = (await client.json(`${b}/ids`)) as { sessionID: string; id: string };
    expect(signedIn.sessionID).not.toBe(anonymous.sessionID);
    expect(signedIn.id).toBe(signedIn.sessionID);
    expect(await client.json(`${a}/ids`)).toEqual(signedIn);
  });

  test("with properties: Passport's keepSessionInfo keeps values set before sign-in", async () => {
    const a = await start({ properties: true });
    const client = new CookieJarClient();
    await client.send(`${a}/return-to`, 'POST');
    await client.send(`${a}/login-keeping`, 'POST', { username: 'ada', password: 'secret' });
    expect(await client.json(`${a}/return-to`)).toEqual({ returnTo: '/cart' });
    expect((await client.json(`${a}/me`)).user).toEqual({ id: 'ada' });
  });

  test("with properties: an error thrown by the app's callback goes to Express's error handling, not the process", async () => {
    const a = await start({ properties: true });
    const client = new CookieJarClient();
    const response = await client.send(`${a}/login-with-a-bug`, 'POST');
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/a bug in the sign-in callback/);
    // The session was saved before the callback ran, and the server goes on serving.
    expect(await client.json(`${a}/me`)).toEqual({ user: { id: 'ada' }, passport: { user: 'ada' } });
  });

  test('without properties, Passport fails at sign-in with an error naming the option, not a hang', async () => {
    const a = await start({});
    const client = new CookieJarClient();
    const response = await client.send(`${a}/login`, 'POST', { username: 'ada', password: 'secret' });
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/SessionUsageError: .*properties: true/);
    // req.sessionID is set without the option too.
    const ids = (await client.json(`${a}/ids`)) as { sessionID: string | null; id: string };
    expect(ids.sessionID).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids.id).toBe(ids.sessionID);
  });
});

test("the adapter's options are checked when the middleware is created", () => {
  const options = {
    cache: new MemoryDistributedCache(),
    dataProtection: createDataProtection({ applicationName: 'x', repository: new EphemeralXmlRepository() }),
  };
  const withAdapter = (adapter: object, load?: 'lazy') => () =>
    session({ ...options, ...(load ? { load } : {}) }, adapter as ExpressSessionAdapterOptions);
  expect(withAdapter({ propreties: true })).toThrow(SessionConfigurationError);
  expect(withAdapter({ propreties: true })).toThrow(
    /Unknown Express adapter option 'propreties': the adapter's only option is properties/,
  );
  expect(withAdapter({ properties: 'yes' })).toThrow('properties must be true or false; got yes.');
  expect(withAdapter({ properties: true }, 'lazy')).toThrow(/remove load: 'lazy'/);
  expect(withAdapter({ properties: false }, 'lazy')).not.toThrow();
});
