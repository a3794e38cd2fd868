import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { getSession, type SessionOptions, SessionStateError, session } from '@sharedstate/session-koa';
import { cookieOf, failedRequestOutcome, recordingLogger, setCookieForwardedAs } from '@sharedstate/testing';
import Koa3 from 'koa';
import koaSession from 'koa-session';
// @ts-expect-error koa2 is Koa 2 under an alias; the same API for this test.
import Koa2 from 'koa2';
// @ts-expect-error koa30 is Koa 3.0.0, the first Koa 3, under an alias.
import Koa30 from 'koa30';
// @ts-expect-error koa213 is Koa 2.13.0, the floor of the peer range, under an alias.
import Koa213 from 'koa213';

interface Cart {
  items: string[];
}

type Middleware = Parameters<Koa3['use']>[0];

function makeApp(Koa: typeof Koa3, options: Partial<SessionOptions> = {}, before?: Middleware) {
  const cache = new MemoryDistributedCache();
  const dataProtection = createDataProtection({
    applicationName: 'koa-tests',
    repository: new EphemeralXmlRepository(),
  });
  const app = new Koa();
  app.silent = true;
  if (before) app.use(before);
  app.use(session({ cache, dataProtection, ...options }));
  app.use(async (ctx) => {
    const s = getSession<Cart>(ctx);
    if (ctx.method === 'POST' && ctx.path.startsWith('/add/')) {
      s.setJson('items', [...(s.getJson('items') ?? []), ctx.path.slice(5)]);
      ctx.status = 303;
      ctx.redirect('/cart');
    } else if (ctx.method === 'POST' && ctx.path.startsWith('/fail/')) {
      s.setJson('items', [...(s.getJson('items') ?? []), ctx.path.slice(6)]);
      ctx.throw(400, 'rejected');
    } else if (ctx.path === '/cart') {
      ctx.body = { items: s.getJson('items') ?? [] };
    } else if (ctx.path === '/login') {
      await s.renewKey();
      ctx.body = 'welcome';
    } else if (ctx.path === '/logout') {
      // koa-session's sign-out.
      (ctx as unknown as { session: unknown }).session = null;
      ctx.body = 'bye';
    } else if (ctx.path === '/replace') {
      (ctx as unknown as { session: unknown }).session = { items: ['replaced'] };
    } else if (ctx.path === '/views') {
      // koa-session's way to keep a value: a plain property, which this session does not store.
      (ctx as unknown as { session: { views?: number } }).session.views = 1;
      ctx.body = 'counted';
    } else if (ctx.path === '/remember-me') {
      // koa-session's per-session lifetime.
      (ctx as unknown as { session: { maxAge: number } }).session.maxAge = 30 * 86_400_000;
      ctx.body = 'remembered';
    }
  });
  return { app, cache };
}

function listen(app: Koa3): Promise<{ url: string; server: Server }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    );
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe.each([
  ['Koa 3', Koa3],
  ['Koa 3.0.0 (the first Koa 3)', Koa30 as typeof Koa3],
  ['Koa 2', Koa2 as typeof Koa3],
  ['Koa 2.13.0 (the peer range floor)', Koa213 as typeof Koa3],
])('%s', (_name, Koa) => {
  test('the session is saved before the redirect and read on the next request', async () => {
    const { app } = makeApp(Koa);
    const { url, server } = await listen(app);
    try {
      const first = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookie = cookieOf(first)!;
      expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({ items: ['book'] });
      const tampered = await fetch(`${url}/cart`, { headers: { cookie: `${cookie.slice(0, -4)}AAAA` } });
      expect(tampered.status).toBe(200);
      expect(await tampered.json()).toEqual({ items: [] });
      const login = await fetch(`${url}/login`, { headers: { cookie } });
      expect(cookieOf(login)).not.toBe(cookie);
    } finally {
      await close(server);
    }
  });

  test('a failed save answers 500, not a success', async () => {
    const { app, cache } = makeApp(Koa);
    const { url, server } = await listen(app);
    try {
      cache.dispose();
      const response = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(response.status).toBe(500);
      expect(response.headers.get('location')).toBeNull();
    } finally {
      await close(server);
    }
  });

  test('a request that fails after changing the session still saves the change', async () => {
    const { url, server } = await listen(makeApp(Koa).app);
    try {
      // Koa's own error response clears the headers: a new session's cookie cannot go out with it.
      expect(await failedRequestOutcome(url)).toEqual({
        failedStatus: 400,
        cartAfterFailure: { items: ['book', 'pen'] },
        freshStatus: 400,
        freshCart: undefined,
      });
    } finally {
      await close(server);
    }
  });

  test('an app error handler that answers sends the new session cookie with its error response', async () => {
    const answers: Middleware = async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = (error as { status?: number }).status ?? 500;
        ctx.body = 'handled';
      }
    };
    const { url, server } = await listen(makeApp(Koa, {}, answers).app);
    try {
      expect(await failedRequestOutcome(url)).toEqual({
        failedStatus: 400,
        cartAfterFailure: { items: ['book', 'pen'] },
        freshStatus: 400,
        freshCart: { items: ['ink'] },
      });
    } finally {
      await close(server);
    }
  });

  test('when the save fails too, the request answers with its own error and the save failure is logged', async () => {
    const { logger, errors } = recordingLogger();
    const { app, cache } = makeApp(Koa, { logger });
    const { url, server } = await listen(app);
    try {
      cache.dispose();
      const failed = await fetch(`${url}/fail/pen`, { method: 'POST' });
      expect(failed.status).toBe(400);
      expect(errors).toEqual([
        expect.stringMatching(/^The session could not be saved: .* \(after the request itself failed\)$/),
      ]);
    } finally {
      await close(server);
    }
  });

  test('ctx.session is the session; ctx.session = null signs out as in koa-session', async () => {
    const { app, cache } = makeApp(Koa);
    const { url, server } = await listen(app);
    try {
      const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      const cookie = cookieOf(added);
      expect(cache.count).toBe(1);
      const out = await fetch(`${url}/logout`, { headers: { cookie } });
      expect(out.status).toBe(200);
      expect(out.headers.get('set-cookie')).toMatch(/^sharedstate\.sid=; .*expires=Thu, 01 Jan 1970/i);
      // The entry is gone: the old cookie, replayed, finds an empty cart.
      expect(cache.count).toBe(0);
      const after = await fetch(`${url}/cart`, { headers: { cookie } });
      expect(await after.json()).toEqual({ items: [] });
    } finally {
      await close(server);
    }
  });

  test('other assignments to ctx.session, and values kept as its properties, fail with what to call instead', async () => {
    const { app } = makeApp(Koa);
    const errors: Error[] = [];
    app.on('error', (error: Error) => errors.push(error));
    const { url, server } = await listen(app);
    try {
      expect((await fetch(`${url}/replace`)).status).toBe(500);
      expect((await fetch(`${url}/views`)).status).toBe(500);
      expect((await fetch(`${url}/remember-me`)).status).toBe(500);
      expect(errors.map((error) => [error.name, error.message])).toEqual([
        ['SessionUsageError', expect.stringMatching(/^ctx\.session can only be set to null/)],
        [
          'SessionCommitError',
          expect.stringMatching(/assigned 'views' as a property.*setJson\("views", value\)/),
        ],
        [
          'SessionUsageError',
          expect.stringMatching(/^session\.maxAge is koa-session's per-session lifetime/),
        ],
      ]);
    } finally {
      await close(server);
    }
  });

  test('beside koa-session (a migration running both), ctx.session stays koa-session’s', async () => {
    const { app } = makeApp(Koa, {}, async (ctx, next) => {
      await next();
      const theirs = (ctx as unknown as { session: { views?: number } }).session;
      theirs.views = (theirs.views ?? 0) + 1;
      ctx.set('x-views', String(theirs.views));
    });
    app.keys = ['migration-test'];
    // koa-session claims ctx.session when it is created, before any request; its middleware goes first.
    app.middleware.unshift(koaSession({ signed: true }, app as never) as never);
    const { url, server } = await listen(app);
    try {
      const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      const cookies = added.headers.getSetCookie().map((header) => header.split(';')[0]!);
      expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual([
        'koa.sess',
        'koa.sess.sig',
        'sharedstate.sid',
      ]);
      const cart = await fetch(`${url}/cart`, { headers: { cookie: cookies.join('; ') } });
      // Both sessions came back: ours holds the cart, koa-session's counted its second visit.
      expect(await cart.json()).toEqual({ items: ['book'] });
      expect(cart.headers.get('x-views')).toBe('2');
    } finally {
      await close(server);
    }
  });

  test('behind a proxy (app.proxy), the cookie is Secure for X-Forwarded-Proto https', async () => {
    const { app } = makeApp(Koa);
    app.proxy = true;
    const { url, server } = await listen(app);
    try {
      expect(await setCookieForwardedAs(url, 'https')).toMatch(/; Secure;/);
      expect(await setCookieForwardedAs(url, undefined)).not.toMatch(/Secure/);
    } finally {
      await close(server);
    }
  });

  test('without app.proxy, X-Forwarded-Proto is ignored: the cookie over plain HTTP is not Secure, and a warning says why', async () => {
    const { logger, warnings } = recordingLogger();
    const { url, server } = await listen(makeApp(Koa, { logger }).app);
    try {
      const setCookie = await setCookieForwardedAs(url, 'https');
      expect(setCookie).toMatch(/^sharedstate\.sid=/);
      expect(setCookie).not.toMatch(/Secure/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/X-Forwarded-Proto says https.*Koa: app\.proxy = true/);
    } finally {
      await close(server);
    }
  });
});

test('getSession without the middleware names what is missing', () => {
  expect(() => getSession({})).toThrow(SessionStateError);
  expect(() => getSession({})).toThrow(
    /No session on this context: is the session\(\) middleware installed before/,
  );
});
