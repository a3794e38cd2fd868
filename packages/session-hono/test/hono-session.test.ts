import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import type { DataProtectionProvider } from '@sharedstate/dataprotection-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import {
  SessionConfigurationError,
  type SessionEnv,
  type SessionOptions,
  session,
} from '@sharedstate/session-hono';
import { cookieOf, failedRequestOutcome, recordingLogger, setCookieForwardedAs } from '@sharedstate/testing';
import { Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { HTTPException } from 'hono/http-exception';
import { stream } from 'hono/streaming';
import { Hono as Hono40 } from 'hono40';
import { compress as compress40 } from 'hono40/compress';
import { HTTPException as HTTPException40 } from 'hono40/http-exception';
import { stream as stream40 } from 'hono40/streaming';

interface Cart {
  items: string[];
}

/** Middleware to install around the session's (such as hono/compress): `outer` before it, `inner` after. */
interface Around {
  outer?: MiddlewareHandler;
  inner?: MiddlewareHandler;
}

/**
 * The Hono the suite runs on: the current release, and 4.0, the oldest the peer range allows (its types are
 * older; the API the tests use is the same).
 */
interface HonoKit {
  Hono: typeof Hono;
  HTTPException: typeof HTTPException;
  compress: typeof compress;
  stream: typeof stream;
}
const CURRENT: HonoKit = { Hono, HTTPException, compress, stream };
const HONO_4_0 = {
  Hono: Hono40,
  HTTPException: HTTPException40,
  compress: compress40,
  stream: stream40,
} as unknown as HonoKit;

function makeApp(
  kit: HonoKit,
  options: Partial<SessionOptions> = {},
  trustProxy = false,
  around: Around = {},
) {
  const cache = new MemoryDistributedCache();
  const dataProtection = createDataProtection({
    applicationName: 'hono-tests',
    repository: new EphemeralXmlRepository(),
  });
  const app = new kit.Hono<SessionEnv<Cart>>();
  if (around.outer) app.use(around.outer);
  app.use(session<Cart>({ cache, dataProtection, ...options }, { trustProxy }));
  if (around.inner) app.use(around.inner);
  app.post('/add/:item', (c) => {
    const s = c.get('session');
    s.setJson('items', [...(s.getJson('items') ?? []), c.req.param('item')]);
    return c.redirect('/cart', 303);
  });
  app.post('/fail/:item', (c) => {
    const s = c.get('session');
    s.setJson('items', [...(s.getJson('items') ?? []), c.req.param('item')]);
    throw new kit.HTTPException(400, { message: 'rejected' });
  });
  app.get('/cart', (c) => c.json({ items: c.get('session').getJson('items') ?? [] }));
  return { app, cache };
}

function listen(app: Hono<SessionEnv<Cart>>): Promise<{ url: string; server: ServerType }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, server }),
    );
  });
}

const close = (server: ServerType) => new Promise<void>((resolve) => server.close(() => resolve()));

describe.each([
  ['Hono 4 (current)', CURRENT],
  ['Hono 4.0', HONO_4_0],
])('%s on @hono/node-server', (_name, kit) => {
  test('the session is saved before the redirect and read on the next request', async () => {
    const { url, server } = await listen(makeApp(kit).app);
    try {
      const first = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookie = cookieOf(first)!;
      expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({ items: ['book'] });
      const tampered = await fetch(`${url}/cart`, { headers: { cookie: 'sharedstate.sid=CfDJ8AAAA' } });
      expect(tampered.status).toBe(200);
      expect(await tampered.json()).toEqual({ items: [] });
    } finally {
      await close(server);
    }
  });

  test('a request that fails after changing the session still saves it, and the error response carries a new cookie', async () => {
    const { url, server } = await listen(makeApp(kit).app);
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

  test('an error that escapes onError (rethrown) still saves the session change', async () => {
    const { app } = makeApp(kit);
    app.onError((error) => {
      throw error;
    });
    const { url, server } = await listen(app);
    try {
      const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
      const failed = await fetch(`${url}/fail/pen`, { method: 'POST', headers: { cookie } });
      expect(failed.status).toBe(500);
      expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
        items: ['book', 'pen'],
      });
    } finally {
      await close(server);
    }
  });

  test('a value kept as a plain property of the session fails the request with what to call instead', async () => {
    const { app } = makeApp(kit);
    const errors: Error[] = [];
    app.onError((error, c) => {
      errors.push(error);
      return c.text('failed', 500);
    });
    app.post('/habit/property', (c) => {
      const s = c.get('session');
      s.setJson('items', ['kept']);
      (s as unknown as { user?: string }).user = 'ada';
      return c.text('ok');
    });
    const { url, server } = await listen(app);
    try {
      const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
      const response = await fetch(`${url}/habit/property`, { method: 'POST', headers: { cookie } });
      expect(response.status).toBe(500);
      expect(errors.map((error) => [error.name, (error.cause as Error).name])).toEqual([
        ['SessionCommitError', 'SessionUsageError'],
      ]);
      expect(errors[0]!.message).toMatch(/assigned 'user' as a property.*setJson\("user", value\)/);
      expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({ items: ['kept'] });
    } finally {
      await close(server);
    }
  });

  test('a failed save answers 500, not a success', async () => {
    const { app, cache } = makeApp(kit);
    const { url, server } = await listen(app);
    try {
      cache.dispose();
      const response = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(response.status).toBe(500);
      expect(response.headers.get('location')).toBeNull();
      // A handler that fails, then a save that fails as well: one answer, the save's error.
      expect((await fetch(`${url}/fail/book`, { method: 'POST' })).status).toBe(500);
    } finally {
      await close(server);
    }
  });

  test('login renews the session key, the values kept; logout deletes the cookie', async () => {
    const { app } = makeApp(kit);
    app.post('/login', async (c) => {
      await c.get('session').renewKey();
      return c.text('signed in');
    });
    app.post('/logout', (c) => {
      c.get('session').destroy();
      return c.text('signed out');
    });
    const { url, server } = await listen(app);
    try {
      const before = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
      const after = cookieOf(await fetch(`${url}/login`, { method: 'POST', headers: { cookie: before } }))!;
      expect(after).not.toBe(before);
      expect(await (await fetch(`${url}/cart`, { headers: { cookie: after } })).json()).toEqual({
        items: ['book'],
      });
      expect(await (await fetch(`${url}/cart`, { headers: { cookie: before } })).json()).toEqual({
        items: [],
      });
      const logout = await fetch(`${url}/logout`, { method: 'POST', headers: { cookie: after } });
      expect(logout.headers.get('set-cookie')).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(await (await fetch(`${url}/cart`, { headers: { cookie: after } })).json()).toEqual({
        items: [],
      });
    } finally {
      await close(server);
    }
  });

  test('cookie.maxAge gives a persistent cookie, sent when the session is established and when it changes', async () => {
    const { url, server } = await listen(makeApp(kit, { cookie: { maxAge: '14d' } }).app);
    try {
      const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      expect(added.headers.get('set-cookie')).toMatch(
        /^sharedstate\.sid=[^;]+; Max-Age=1209600; Path=\/; Expires=/,
      );
      const again = await fetch(`${url}/add/pen`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookieOf(added)! },
      });
      expect(again.headers.get('set-cookie')).toMatch(/^sharedstate\.sid=[^;]+; Max-Age=1209600; /);
      const read = await fetch(`${url}/cart`, { headers: { cookie: cookieOf(added)! } });
      expect(read.headers.get('set-cookie')).toBeNull();
    } finally {
      await close(server);
    }
  });

  test('a streamed body cannot establish a session once the handler has returned; an existing session it changes is kept with commit()', async () => {
    const { app } = makeApp(kit);
    app.get('/stream', (c) =>
      kit.stream(c, async (out) => {
        // The first write waits for the server to read the response: the middleware is done by then.
        await out.write('first chunk; ');
        const s = c.get('session');
        try {
          s.setJson('items', [...(s.getJson('items') ?? []), 'streamed']);
          await s.commit();
          await out.write('saved');
        } catch (error) {
          await out.write(`refused: ${(error as Error).message}`);
        }
      }),
    );
    const { url, server } = await listen(app);
    try {
      const fresh = await fetch(`${url}/stream`);
      expect(fresh.headers.get('set-cookie')).toBeNull();
      expect(await fresh.text()).toBe(
        'first chunk; refused: The session cannot be established after the response has started.',
      );
      const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
      expect(await (await fetch(`${url}/stream`, { headers: { cookie } })).text()).toBe('first chunk; saved');
      expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
        items: ['book', 'streamed'],
      });
    } finally {
      await close(server);
    }
  });

  test('under hono/compress, before or after the session middleware, responses are compressed and the session saved', async () => {
    for (const around of [{ outer: kit.compress() }, { inner: kit.compress() }]) {
      const { app } = makeApp(kit, {}, false, around);
      app.post('/add-big/:item', (c) => {
        const s = c.get('session');
        s.setJson('items', [...(s.getJson('items') ?? []), c.req.param('item')]);
        return c.text('added '.repeat(500));
      });
      const { url, server } = await listen(app);
      try {
        const added = await fetch(`${url}/add-big/book`, {
          method: 'POST',
          headers: { 'accept-encoding': 'gzip' },
        });
        expect(added.headers.get('content-encoding')).toBe('gzip');
        expect(await added.text()).toBe('added '.repeat(500));
        const cookie = cookieOf(added)!;
        expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
          items: ['book'],
        });
      } finally {
        await close(server);
      }
    }
  });

  test('with trustProxy, the cookie is Secure for X-Forwarded-Proto https', async () => {
    const { url, server } = await listen(makeApp(kit, {}, true).app);
    try {
      expect(await setCookieForwardedAs(url, 'https')).toMatch(/; Secure;/);
      expect(await setCookieForwardedAs(url, 'HTTPS, http')).toMatch(/; Secure;/);
      expect(await setCookieForwardedAs(url, undefined)).not.toMatch(/Secure/);
    } finally {
      await close(server);
    }
  });

  test('without trustProxy, X-Forwarded-Proto is ignored (with a warning); an https request URL makes the cookie Secure', async () => {
    const { logger, warnings } = recordingLogger();
    const { app } = makeApp(kit, { logger });
    const forwarded = await app.request('http://shop.test/add/x', {
      method: 'POST',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(forwarded.headers.get('set-cookie')).toMatch(/^sharedstate\.sid=/);
    expect(forwarded.headers.get('set-cookie')).not.toMatch(/Secure/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /X-Forwarded-Proto says https.*Hono: session\(options, \{ trustProxy: true \}\)/,
    );
    const https = await app.request('https://shop.test/add/x', { method: 'POST' });
    expect(https.headers.get('set-cookie')).toMatch(/; Secure;/);
    expect(warnings).toHaveLength(1);
  });

  test("the adapter's options are checked when the middleware is created", () => {
    const options = {
      cache: new MemoryDistributedCache(),
      dataProtection: createDataProtection({
        applicationName: 'x',
        repository: new EphemeralXmlRepository(),
      }),
    };
    const withAdapter = (adapter: object) => () => session(options, adapter as { trustProxy?: boolean });
    expect(withAdapter({ trustproxy: true })).toThrow(SessionConfigurationError);
    expect(withAdapter({ trustproxy: true })).toThrow(
      /Unknown Hono adapter option 'trustproxy': the adapter's only option is trustProxy/,
    );
    expect(withAdapter({ idleTimeout: '5m' })).toThrow(/go in the first argument/);
    expect(withAdapter({ trustProxy: 'yes' })).toThrow('trustProxy must be true or false; got yes.');
    expect(withAdapter({ trustProxy: undefined })).not.toThrow();
    expect(withAdapter({ trustProxy: true })).not.toThrow();
  });

  test('a refused adapter option fails before the key ring starts loading, as on the other adapters', () => {
    const provider = createDataProtection({ applicationName: 'x', repository: new EphemeralXmlRepository() });
    let loads = 0;
    const counting: DataProtectionProvider = {
      applicationName: provider.applicationName,
      createProtector: (purpose, ...subPurposes) => provider.createProtector(purpose, ...subPurposes),
      initialize: () => {
        loads++;
        return provider.initialize();
      },
    };
    const options = { cache: new MemoryDistributedCache(), dataProtection: counting };
    expect(() => session(options, { trustproxy: true } as { trustProxy?: boolean })).toThrow(
      SessionConfigurationError,
    );
    expect(loads).toBe(0);
    session(options, { trustProxy: true });
    expect(loads).toBe(1);
  });
});
