import { IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { getSession, type SessionOptions, SessionStateError, session } from '@sharedstate/session-express';
import {
  cookieOf,
  failedRequestOutcome,
  recordingLogger,
  SESSION_ID_FORMAT,
  setCookieForwardedAs,
} from '@sharedstate/testing';
import compression from 'compression';
import express5 from 'express';
// @ts-expect-error express-session ships no types; the test uses it only through req.session.
import expressSession from 'express-session';
// @ts-expect-error express4 is Express 4 under an alias; its types are Express 5's, close enough for this test.
import express4 from 'express4';
// @ts-expect-error express50 is Express 5.0.0, the first Express 5, under an alias.
import express50 from 'express50';
// @ts-expect-error express417 is Express 4.17.0, the floor of the peer range, under an alias.
import express417 from 'express417';

interface Cart {
  items: string[];
}

type ExpressFactory = typeof express5;

/** What the /late route's promise met when it changed the session after the request ended. */
const lateErrors: unknown[] = [];

function makeApp(
  express: ExpressFactory,
  options: Partial<SessionOptions> = {},
  before?: express5.RequestHandler,
) {
  const cache = new MemoryDistributedCache();
  // Quiet: the console assertions below are about the session middleware's own warnings.
  const dataProtection = createDataProtection({
    applicationName: 'express-tests',
    repository: new EphemeralXmlRepository(),
    logger: false,
  });
  const app = express();
  if (before) app.use(before);
  app.use(session({ cache, dataProtection, ...options }));
  app.post('/add/:item', (req, res) => {
    const s = getSession<Cart>(req);
    const cart = s.getJson('items') ?? [];
    s.setJson('items', [...cart, String(req.params.item)]);
    res.redirect(303, '/cart');
  });
  app.get('/cart', (req, res) => {
    res.json({ items: getSession<Cart>(req).getJson('items') ?? [] });
  });
  app.get('/stream', (req, res) => {
    res.write('first chunk ');
    try {
      getSession(req).setString('late', 'x');
      res.end('set worked');
    } catch (error) {
      res.end(`refused: ${(error as Error).message}`);
    }
  });
  // The `await` forgotten: the change runs after the response went out.
  app.post('/late/:item', (req, res) => {
    const s = getSession<Cart>(req);
    void new Promise((resolve) => setTimeout(resolve, 20))
      .then(() => s.setJson('items', [...(s.getJson('items') ?? []), String(req.params.item)]))
      .catch((error: unknown) => void lateErrors.push(error));
    res.redirect(303, '/cart');
  });
  app.post('/fail/:item', (req) => {
    const s = getSession<Cart>(req);
    s.setJson('items', [...(s.getJson('items') ?? []), String(req.params.item)]);
    throw Object.assign(new Error('rejected'), { status: 400, expose: true });
  });
  app.post('/logout', async (req, res) => {
    getSession(req).destroy();
    res.send('bye');
  });
  // express-session habits: a value kept as a property, a callback that ends the request.
  app.post('/habit/property', (req, res) => {
    const s = getSession<Cart>(req);
    s.setJson('items', [...(s.getJson('items') ?? []), 'kept']);
    (req as unknown as { session: { user?: string } }).session.user = 'ada';
    res.send('ok');
  });
  app.post('/habit/remember-me', (req, res) => {
    const habit = req as unknown as { session: { cookie: { maxAge: number } } };
    habit.session.cookie.maxAge = 30 * 86_400_000;
    res.send('remembered');
  });
  app.post('/habit/callback', (req, res) => {
    const habit = req as unknown as { session: { destroy(done: () => void): void } };
    habit.session.destroy(() => res.send('bye'));
  });
  // cookie-session's sign-out (as the response starts, or before it streams), and an object in its place.
  app.post('/habit/null', (req, res) => {
    (req as unknown as { session: unknown }).session = null;
    res.send('signed out');
  });
  app.post('/habit/null-then-stream', (req, res) => {
    (req as unknown as { session: unknown }).session = null;
    res.write('signed ');
    res.end('out');
  });
  app.post('/habit/replace', (req, res) => {
    (req as unknown as { session: unknown }).session = { user: 'ada' };
    res.send('ok');
  });
  app.post('/login', async (req, res) => {
    await getSession(req).renewKey();
    getSession(req).setString('user', 'ada');
    res.send('welcome');
  });
  // express-session's req.sessionID, in the app and in a mounted sub-app (which switches req's prototype);
  // with load: 'lazy', read before and after the load.
  const ids = async (req: express5.Request, res: express5.Response) => {
    const before = sessionIdOf(req);
    const session = getSession(req);
    if (!session.isLoaded) await session.load();
    res.json({ before, sessionID: sessionIdOf(req), id: session.id });
  };
  app.get('/ids', ids);
  const sub = express();
  sub.get('/ids', ids);
  app.use('/sub', sub);
  return { app, cache };
}

const sessionIdOf = (req: object) => (req as { sessionID?: string }).sessionID ?? null;
interface Ids {
  before: string | null;
  sessionID: string | null;
  id: string;
}

async function listen(app: ReturnType<ExpressFactory>): Promise<{ url: string; server: Server }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    );
  });
}

describe.each([
  ['Express 5', express5],
  ['Express 5.0.0 (the first Express 5)', express50 as unknown as ExpressFactory],
  ['Express 4', express4 as unknown as ExpressFactory],
  ['Express 4.17.0 (the peer range floor)', express417 as unknown as ExpressFactory],
])('%s', (_name, express) => {
  let url: string;
  let server: Server;
  beforeAll(async () => {
    const made = makeApp(express);
    ({ url, server } = await listen(made.app));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('the session is saved before a redirect reaches the browser', async () => {
    const first = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = cookieOf(first)!;
    expect(cookie).toMatch(/^sharedstate\.sid=/);
    expect(first.headers.get('cache-control')).toBe('no-cache,no-store');
    // Follow the redirect at once: the data must already be in the cache.
    const cart = await fetch(`${url}/cart`, { headers: { cookie } });
    expect(await cart.json()).toEqual({ items: ['book'] });
    expect(cart.headers.get('set-cookie')).toBeNull();
    await fetch(`${url}/add/pen`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['book', 'pen'],
    });
  });

  test('a tampered cookie gets a fresh session, not an error', async () => {
    const response = await fetch(`${url}/cart`, { headers: { cookie: 'sharedstate.sid=CfDJ8garbage' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ items: [] });
  });

  test('a new session cannot be started once a streamed response has sent its headers', async () => {
    const text = await (await fetch(`${url}/stream`)).text();
    expect(text).toBe(
      'first chunk refused: The session cannot be established after the response has started.',
    );
  });

  test('a request that fails after changing the session still saves it, and the error page carries a new cookie', async () => {
    expect(await failedRequestOutcome(url)).toEqual({
      failedStatus: 400,
      cartAfterFailure: { items: ['book', 'pen'] },
      freshStatus: 400,
      freshCart: { items: ['ink'] },
    });
  });

  test('express-session habits fail the request with what to call instead, and never hang', async () => {
    const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
    const property = await fetch(`${url}/habit/property`, { method: 'POST', headers: { cookie } });
    expect(property.status).toBe(500);
    expect(await property.text()).toMatch(/assigned &#39;user&#39; as a property of the session object/);
    // What went through the methods was saved before the request failed.
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['book', 'kept'],
    });
    const callback = await fetch(`${url}/habit/callback`, {
      method: 'POST',
      headers: { cookie },
      signal: AbortSignal.timeout(4000),
    });
    expect(callback.status).toBe(500);
    expect(await callback.text()).toMatch(/SessionUsageError: session\.destroy\(\) takes no arguments/);
    const rememberMe = await fetch(`${url}/habit/remember-me`, { method: 'POST', headers: { cookie } });
    expect(rememberMe.status).toBe(500);
    expect(await rememberMe.text()).toMatch(
      /SessionUsageError: session\.cookie holds express-session&#39;s per-session cookie settings/,
    );
    // The session was not destroyed.
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['book', 'kept'],
    });
  });

  test('req.session = null signs out, as in cookie-session; a plain object in its place fails the request', async () => {
    const added = () => fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    const cartOf = async (cookie: string) =>
      (await (await fetch(`${url}/cart`, { headers: { cookie } })).json()) as Cart;
    const cookie = cookieOf(await added())!;
    const replaced = await fetch(`${url}/habit/replace`, { method: 'POST', headers: { cookie } });
    expect(replaced.status).toBe(500);
    expect(await replaced.text()).toMatch(/could not be saved: req\.session was replaced by a plain object/);
    expect(await cartOf(cookie)).toEqual({ items: ['book'] });
    for (const route of ['/habit/null', '/habit/null-then-stream']) {
      const signedIn = cookieOf(await added())!;
      const signedOut = await fetch(`${url}${route}`, { method: 'POST', headers: { cookie: signedIn } });
      expect(signedOut.status).toBe(200);
      expect(await signedOut.text()).toBe('signed out');
      expect(signedOut.headers.get('set-cookie')).toMatch(/^sharedstate\.sid=;.*Expires=Thu, 01 Jan 1970/);
      // The entry is gone too: the old cookie no longer finds the cart.
      expect(await cartOf(signedIn)).toEqual({ items: [] });
    }
  });

  test("req.sessionID is the session's id, as express-session's, in the app and in a mounted sub-app", async () => {
    const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
    const ids = (await (await fetch(`${url}/ids`, { headers: { cookie } })).json()) as Ids;
    expect(ids.sessionID).toMatch(SESSION_ID_FORMAT);
    expect(ids).toEqual({ before: ids.sessionID, sessionID: ids.sessionID, id: ids.sessionID });
    expect(await (await fetch(`${url}/sub/ids`, { headers: { cookie } })).json()).toEqual(ids);
    expect(await (await fetch(`${url}/ids`, { headers: { cookie } })).json()).toEqual(ids);
    // On the app's request prototype only: not on Express's shared one, nor on Node's.
    expect(Object.hasOwn(express.request, 'sessionID')).toBe(false);
    expect('sessionID' in IncomingMessage.prototype).toBe(false);
  });

  test("with load: 'lazy', req.sessionID is undefined until the session is read", async () => {
    const { url: lazyUrl, server: lazy } = await listen(makeApp(express, { load: 'lazy' }).app);
    try {
      const cookie = cookieOf(await fetch(`${lazyUrl}/add/book`, { method: 'POST', redirect: 'manual' }))!;
      const ids = (await (await fetch(`${lazyUrl}/ids`, { headers: { cookie } })).json()) as Ids;
      expect(ids.before).toBeNull();
      expect(ids.sessionID).toMatch(SESSION_ID_FORMAT);
      expect(ids.id).toBe(ids.sessionID);
    } finally {
      await new Promise<void>((resolve) => lazy.close(() => resolve()));
    }
  });

  // express-session does nothing when req.session is already set, so during a migration it goes first.
  test('behind express-session during a migration, each keeps its own session', async () => {
    const app = express();
    const theirs = expressSession({ secret: 'migration', resave: false, saveUninitialized: false });
    const ours = session({
      cache: new MemoryDistributedCache(),
      dataProtection: createDataProtection({
        applicationName: 'migration',
        repository: new EphemeralXmlRepository(),
      }),
    });
    app.use(theirs, ours);
    app.post('/visit', (req, res) => {
      const old = (req as unknown as { session: { views?: number } }).session;
      old.views = (old.views ?? 0) + 1;
      const cart = getSession<Cart>(req);
      cart.setJson('items', [...(cart.getJson('items') ?? []), 'pen']);
      res.json({ views: old.views, items: cart.getJson('items'), sessionID: sessionIdOf(req), id: cart.id });
    });
    const { url: bothUrl, server: both } = await listen(app);
    try {
      const first = await fetch(`${bothUrl}/visit`, { method: 'POST' });
      expect(first.status).toBe(200);
      const cookies = first.headers.getSetCookie().map((c) => c.split(';')[0]!);
      expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['connect.sid', 'sharedstate.sid']);
      const second = await fetch(`${bothUrl}/visit`, {
        method: 'POST',
        headers: { cookie: cookies.join('; ') },
      });
      const visited = (await second.json()) as {
        views: number;
        items: string[];
        sessionID: string;
        id: string;
      };
      expect(visited).toMatchObject({ views: 2, items: ['pen', 'pen'] });
      // req.sessionID stays express-session's (its cookie's signed value), not ours.
      expect(decodeURIComponent(cookies.find((c) => c.startsWith('connect.sid='))!)).toContain(
        `s:${visited.sessionID}.`,
      );
      expect(visited.id).toMatch(SESSION_ID_FORMAT);
    } finally {
      await new Promise<void>((resolve) => both.close(() => resolve()));
    }
  });

  test('login renews the session key, the values kept; logout deletes the cookie', async () => {
    const first = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    const before = cookieOf(first)!;
    const login = await fetch(`${url}/login`, { method: 'POST', headers: { cookie: before } });
    const after = cookieOf(login)!;
    expect(after).not.toBe(before);
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: after } })).json()).toEqual({
      items: ['book'],
    });
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: before } })).json()).toEqual({ items: [] });
    const logout = await fetch(`${url}/logout`, { method: 'POST', headers: { cookie: after } });
    expect(logout.headers.get('set-cookie')).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  test('a failed save fails the request with a 500 instead of reporting success', async () => {
    const made = makeApp(express);
    const { url: brokenUrl, server: brokenServer } = await listen(made.app);
    try {
      made.cache.dispose();
      const response = await fetch(`${brokenUrl}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(response.status).toBe(500);
      expect(response.headers.get('location')).toBeNull();
      // A handler that fails, then a save that fails as well: one answer, an error with the request's own
      // status (Express's final handler keeps a status of 400 or more that is already set).
      const failed = await fetch(`${brokenUrl}/fail/book`, { method: 'POST' });
      expect(failed.status).toBe(400);
      expect(await failed.text()).toMatch(/SessionCommitError/);
    } finally {
      await new Promise<void>((resolve) => brokenServer.close(() => resolve()));
    }
  });

  test('under compression installed first (it wraps res.end too), responses are compressed and saved', async () => {
    const made = makeApp(express, {}, compression({ threshold: 0 }));
    const { url: compressedUrl, server: compressed } = await listen(made.app);
    try {
      const gzip = { 'accept-encoding': 'gzip' };
      const added = await fetch(`${compressedUrl}/add/book`, {
        method: 'POST',
        redirect: 'manual',
        headers: gzip,
      });
      const cookie = cookieOf(added)!;
      // A save before the response (regenerate + set), through compression's end.
      const login = await fetch(`${compressedUrl}/login`, { method: 'POST', headers: { ...gzip, cookie } });
      expect(login.headers.get('content-encoding')).toBe('gzip');
      expect(await login.text()).toBe('welcome');
      const after = cookieOf(login)!;
      // A read with nothing to save, sent at once, through compression's end.
      const cart = await fetch(`${compressedUrl}/cart`, { headers: { ...gzip, cookie: after } });
      expect(cart.headers.get('content-encoding')).toBe('gzip');
      expect(await cart.json()).toEqual({ items: ['book'] });
    } finally {
      await new Promise<void>((resolve) => compressed.close(() => resolve()));
    }
  });

  test('two session middlewares on one app (different cookies) each save their own session', async () => {
    const cache = new MemoryDistributedCache();
    const dataProtection = createDataProtection({
      applicationName: 'two-sessions',
      repository: new EphemeralXmlRepository(),
    });
    const app = express();
    app.use(session({ cache, dataProtection, cookie: { name: 'site.sid' } }));
    // getSession(req) gives the innermost session; keep the outer one before the second middleware runs.
    app.use((req, res, next) => {
      res.locals.site = getSession(req);
      next();
    });
    app.use(session({ cache, dataProtection, cookie: { name: 'admin.sid' } }));
    app.post('/both', (req, res) => {
      (res.locals.site as ReturnType<typeof getSession>).setString('seen', 'yes');
      getSession(req).setString('role', 'admin');
      res.send('ok');
    });
    app.get('/both', (req, res) => {
      const site = res.locals.site as ReturnType<typeof getSession>;
      res.json({ seen: site.getString('seen'), role: getSession(req).getString('role') });
    });
    const { url: twoUrl, server: two } = await listen(app);
    try {
      const first = await fetch(`${twoUrl}/both`, { method: 'POST' });
      expect(await first.text()).toBe('ok');
      const cookies = first.headers.getSetCookie().map((c) => c.split(';')[0]!);
      expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['admin.sid', 'site.sid']);
      const again = await fetch(`${twoUrl}/both`, { headers: { cookie: cookies.join('; ') } });
      expect(await again.json()).toEqual({ seen: 'yes', role: 'admin' });
    } finally {
      await new Promise<void>((resolve) => two.close(() => resolve()));
    }
  });

  test('cookie.maxAge gives a persistent cookie, sent when the session is established and when it changes', async () => {
    const made = makeApp(express, { cookie: { maxAge: '14d' } });
    const { url: persistentUrl, server: persistent } = await listen(made.app);
    try {
      const added = await fetch(`${persistentUrl}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(added.headers.get('set-cookie')).toMatch(
        /^sharedstate\.sid=[^;]+; Max-Age=1209600; Path=\/; Expires=/,
      );
      const again = await fetch(`${persistentUrl}/add/pen`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookieOf(added)! },
      });
      expect(again.headers.get('set-cookie')).toMatch(/^sharedstate\.sid=[^;]+; Max-Age=1209600; /);
      const read = await fetch(`${persistentUrl}/cart`, { headers: { cookie: cookieOf(added)! } });
      expect(read.headers.get('set-cookie')).toBeNull();
    } finally {
      await new Promise<void>((resolve) => persistent.close(() => resolve()));
    }
  });

  test('behind a proxy, secure follows trust proxy and X-Forwarded-Proto', async () => {
    const made = makeApp(express);
    made.app.set('trust proxy', 1);
    const { url: proxiedUrl, server: proxied } = await listen(made.app);
    try {
      expect(await setCookieForwardedAs(proxiedUrl, 'https')).toMatch(/; Secure;/);
      expect(await setCookieForwardedAs(proxiedUrl, undefined)).not.toMatch(/Secure/);
    } finally {
      await new Promise<void>((resolve) => proxied.close(() => resolve()));
    }
  });

  test('a change the route did not await is refused and logged on an existing session, as on a new one', async () => {
    const { logger, errors } = recordingLogger();
    const { url, server } = await listen(makeApp(express, { logger }).app);
    try {
      for (const existing of [true, false]) {
        const cookie = existing
          ? cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!
          : undefined;
        lateErrors.length = 0;
        errors.length = 0;
        const answer = await fetch(`${url}/late/pen`, {
          method: 'POST',
          redirect: 'manual',
          headers: cookie === undefined ? {} : { cookie },
        });
        expect(answer.status).toBe(303);
        // The route's promise runs 20 ms after the response; a change it made would be saved by then.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(lateErrors[0]).toBeInstanceOf(SessionStateError);
        expect(errors).toEqual([expect.stringMatching(/^session\.set 'items' came after the request ended/)]);
        if (cookie !== undefined) {
          const cart = await fetch(`${url}/cart`, { headers: { cookie } });
          expect(await cart.json()).toEqual({ items: ['book'] });
        }
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('with no logger option, the warning goes to the console; logger: false turns it off', async () => {
    const printed = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const made = [await listen(makeApp(express).app), await listen(makeApp(express, { logger: false }).app)];
    try {
      for (const { url } of made) await setCookieForwardedAs(url, 'https');
      expect(printed.mock.calls).toEqual([[expect.stringMatching(/X-Forwarded-Proto says https/)]]);
    } finally {
      printed.mockRestore();
      for (const { server } of made) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('behind a proxy Express does not trust, the cookie goes out without Secure and a warning says why', async () => {
    const { logger, warnings } = recordingLogger();
    const { url: untrustedUrl, server: untrusted } = await listen(makeApp(express, { logger }).app);
    try {
      const setCookie = await setCookieForwardedAs(untrustedUrl, 'https');
      expect(setCookie).toMatch(/^sharedstate\.sid=/);
      expect(setCookie).not.toMatch(/Secure/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/X-Forwarded-Proto says https.*app\.set\('trust proxy', 1\)/);
    } finally {
      await new Promise<void>((resolve) => untrusted.close(() => resolve()));
    }
  });
});

test('getSession without the middleware names what is missing', () => {
  expect(() => getSession({})).toThrow(SessionStateError);
  expect(() => getSession({})).toThrow(
    /No session on this request: is the session\(\) middleware installed before/,
  );
});
