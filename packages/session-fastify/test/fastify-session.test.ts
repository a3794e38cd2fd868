import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import {
  type FastifySessionPluginOptions,
  fastifySession,
  getSession,
  SessionConfigurationError,
  SessionStateError,
} from '@sharedstate/session-fastify';
import {
  cookieOf,
  failedRequestOutcome,
  ManagedProcess,
  recordingLogger,
  setCookieForwardedAs,
  waitUntil,
} from '@sharedstate/testing';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
// Fastify 5.0.0, the floor of the peer range, under an alias.
import Fastify50 from 'fastify50';

// The app's session data, declared as a user would: request.session.getJson('items') is a string[].
declare module '@sharedstate/session-fastify' {
  interface SessionData {
    items: string[];
  }
}

type MakeFastify = (options?: FastifyServerOptions) => FastifyInstance;

// Quiet: the console assertions are about the session plugin's own warnings.
const keyRing = () =>
  createDataProtection({
    applicationName: 'fastify-tests',
    repository: new EphemeralXmlRepository(),
    logger: false,
  });

/** The suites' routes (see @sharedstate/testing's session-adapter-checks) in the scope given. */
function cartRoutes(scope: FastifyInstance): void {
  scope.post<{ Params: { item: string } }>('/add/:item', (request, reply) => {
    const s = request.session;
    s.setJson('items', [...(s.getJson('items') ?? []), request.params.item]);
    return reply.redirect('/cart', 303);
  });
  scope.post<{ Params: { item: string } }>('/fail/:item', (request) => {
    const s = request.session;
    s.setJson('items', [...(s.getJson('items') ?? []), request.params.item]);
    throw Object.assign(new Error('rejected'), { statusCode: 400 });
  });
  scope.get('/cart', (request) => ({ items: request.session.getJson('items') ?? [] }));
}

async function makeApp(
  make: MakeFastify,
  options: Partial<FastifySessionPluginOptions> = {},
  server: FastifyServerOptions = {},
) {
  const cache = new MemoryDistributedCache();
  const app = make(server);
  await app.register(fastifySession, { cache, dataProtection: keyRing(), ...options });
  cartRoutes(app);
  return { app, cache };
}

const running: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

async function listen(app: FastifyInstance): Promise<string> {
  running.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

describe.each([
  ['Fastify 5 (current)', Fastify as unknown as MakeFastify],
  ['Fastify 5.0.0 (the peer range floor)', Fastify50 as unknown as MakeFastify],
])('%s', (_name, make) => {
  test('the session is saved before the redirect and read on the next request; a tampered cookie starts afresh', async () => {
    const url = await listen((await makeApp(make)).app);
    const first = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('cache-control')).toBe('no-cache,no-store');
    const cookie = cookieOf(first)!;
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({ items: ['book'] });
    const tampered = await fetch(`${url}/cart`, { headers: { cookie: `${cookie.slice(0, -4)}AAAA` } });
    expect(tampered.status).toBe(200);
    expect(await tampered.json()).toEqual({ items: [] });
  });

  test('a failed save answers 500, not the redirect that would claim success', async () => {
    const { app, cache } = await makeApp(make);
    const url = await listen(app);
    cache.dispose();
    const response = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    expect(response.status).toBe(500);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.json()).toMatchObject({ statusCode: 500 });
  });

  test('a request that fails after changing the session still saves it, and the error reply carries a new cookie', async () => {
    const url = await listen((await makeApp(make)).app);
    expect(await failedRequestOutcome(url)).toEqual({
      failedStatus: 400,
      cartAfterFailure: { items: ['book', 'pen'] },
      freshStatus: 400,
      freshCart: { items: ['ink'] },
    });
  });

  test('when the save fails too, the reply is the route’s own error and the save failure is logged', async () => {
    const { logger, errors } = recordingLogger();
    const { app, cache } = await makeApp(make, { logger });
    const url = await listen(app);
    cache.dispose();
    const failed = await fetch(`${url}/fail/pen`, { method: 'POST' });
    expect(failed.status).toBe(400);
    expect(await failed.json()).toMatchObject({ message: 'rejected' });
    expect(errors.join('\n')).toMatch(/could not be saved/);
  });

  test('renewKey() gives a new key, the values kept (sign-in); destroy() deletes the cookie (sign-out)', async () => {
    const { app } = await makeApp(make);
    app.post('/login', async (request) => {
      await request.session.renewKey();
      return 'signed in';
    });
    app.post('/logout', async (request) => {
      request.session.destroy();
      return 'signed out';
    });
    const url = await listen(app);
    const before = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
    const after = cookieOf(await fetch(`${url}/login`, { method: 'POST', headers: { cookie: before } }))!;
    expect(after).not.toBe(before);
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: after } })).json()).toEqual({
      items: ['book'],
    });
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: before } })).json()).toEqual({ items: [] });
    const logout = await fetch(`${url}/logout`, { method: 'POST', headers: { cookie: after } });
    expect(logout.headers.get('set-cookie')).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await (await fetch(`${url}/cart`, { headers: { cookie: after } })).json()).toEqual({ items: [] });
  });

  test('registered in one scope, routes there have the session and routes beside it have none', async () => {
    const app = make();
    await app.register(async (shop) => {
      await shop.register(fastifySession, { cache: new MemoryDistributedCache(), dataProtection: keyRing() });
      cartRoutes(shop);
      // A child scope of the registering one has the session too.
      await shop.register(async (child) => {
        child.get('/child/cart', (request) => ({ items: request.session.getJson('items') ?? [] }));
      });
    });
    app.get('/health', (request) => ({
      session: request.session === undefined ? 'none' : 'some',
      getSession: (() => {
        try {
          getSession(request);
          return 'found';
        } catch (error) {
          return (error as Error).name;
        }
      })(),
    }));
    const url = await listen(app);
    const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
    const cookie = cookieOf(added)!;
    expect(await (await fetch(`${url}/child/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['book'],
    });
    const health = await fetch(`${url}/health`, { headers: { cookie } });
    expect(health.headers.get('set-cookie')).toBeNull();
    expect(await health.json()).toEqual({ session: 'none', getSession: 'SessionStateError' });
  });

  test('registered again in a child scope with another cookie, each registration saves its own session', async () => {
    const app = make();
    await app.register(fastifySession, {
      cache: new MemoryDistributedCache(),
      dataProtection: keyRing(),
      cookie: { name: 'outer.sid' },
    });
    app.post('/outer', async (request) => {
      getSession<{ where: string }>(request).setJson('where', 'outer');
      return 'ok';
    });
    await app.register(async (child) => {
      await child.register(fastifySession, {
        cache: new MemoryDistributedCache(),
        dataProtection: keyRing(),
        cookie: { name: 'inner.sid' },
      });
      child.post('/inner', async (request) => {
        // request.session stays the outer one's; getSession gives the innermost.
        (request.session as unknown as { setJson(name: string, value: string): void }).setJson(
          'where',
          'outer',
        );
        getSession<{ where: string }>(request).setJson('where', 'inner');
        return 'ok';
      });
      child.get('/inner', async (request) => ({
        where: getSession<{ where: string }>(request).getJson('where'),
      }));
    });
    app.get('/outer', async (request) => ({
      where: getSession<{ where: string }>(request).getJson('where'),
    }));
    const url = await listen(app);
    const posted = await fetch(`${url}/inner`, { method: 'POST' });
    const cookies = posted.headers.getSetCookie().map((line) => line.split(';')[0]!);
    expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['inner.sid', 'outer.sid']);
    const cookie = cookies.join('; ');
    expect(await (await fetch(`${url}/inner`, { headers: { cookie } })).json()).toEqual({ where: 'inner' });
    expect(await (await fetch(`${url}/outer`, { headers: { cookie } })).json()).toEqual({ where: 'outer' });
  });

  test('a value kept as a plain property, or given to set() as @fastify/session takes it, fails with what to call instead', async () => {
    const { app } = await makeApp(make);
    app.post('/habit/property', async (request) => {
      request.session.setJson('items', ['kept']);
      (request.session as unknown as { user?: string }).user = 'ada';
      return 'ok';
    });
    app.post('/habit/set', async (request) => {
      (request.session as unknown as { set(key: string, value: unknown): void }).set('user', 'ada');
      return 'ok';
    });
    const url = await listen(app);
    const cookie = cookieOf(await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' }))!;
    const property = await fetch(`${url}/habit/property`, { method: 'POST', headers: { cookie } });
    expect(property.status).toBe(500);
    expect(((await property.json()) as { message: string }).message).toMatch(
      /assigned 'user' as a property.*setJson\("user", value\)/,
    );
    // What went through the session's own methods is kept.
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({ items: ['kept'] });
    const set = await fetch(`${url}/habit/set`, { method: 'POST', headers: { cookie } });
    expect(set.status).toBe(500);
    expect(((await set.json()) as { message: string }).message).toMatch(/setJson.*\{ properties: true \}/s);
  });

  test('a streamed reply carries the cookie of the session it changed, saved before the first byte', async () => {
    const { app, cache } = await makeApp(make);
    app.get('/stream', (request, reply) => {
      request.session.setJson('items', ['streamed']);
      return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
    });
    const url = await listen(app);
    const streamed = await fetch(`${url}/stream`);
    expect(await streamed.text()).toBe('abc');
    const cookie = cookieOf(streamed)!;
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['streamed'],
    });
    cache.dispose();
    const failed = await fetch(`${url}/stream`);
    expect(failed.status).toBe(500);
  });

  test('a hook that answers without returning the reply, before a route that answers too: the first reply goes out, with its cookie', async () => {
    const { app } = await makeApp(make);
    // As @fastify/passport's successRedirect: the hook answers and resolves, so Fastify runs the route too.
    app.post('/sign-in', {
      preValidation: async (request, reply) => {
        request.session.setJson('items', ['signed-in']);
        await new Promise((resolve) => setTimeout(resolve, 5));
        reply.redirect('/cart', 303);
      },
      handler: async () => 'the route’s answer',
    });
    const url = await listen(app);
    const response = await fetch(`${url}/sign-in`, { method: 'POST', redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(await response.text()).toBe('');
    const cookie = cookieOf(response)!;
    expect(await (await fetch(`${url}/cart`, { headers: { cookie } })).json()).toEqual({
      items: ['signed-in'],
    });
  });

  test('cookie.maxAge gives a persistent cookie, sent when the session is established and when it changes', async () => {
    const url = await listen((await makeApp(make, { cookie: { maxAge: '14d' } })).app);
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
  });

  test('with Fastify’s trustProxy, the cookie is Secure for X-Forwarded-Proto https', async () => {
    const url = await listen((await makeApp(make, {}, { trustProxy: true })).app);
    expect(await setCookieForwardedAs(url, 'https')).toMatch(/; Secure;/);
    expect(await setCookieForwardedAs(url, undefined)).not.toMatch(/Secure/);
  });

  test('without trustProxy, X-Forwarded-Proto is ignored: the cookie is not Secure, and a warning says what to set', async () => {
    const { logger, warnings } = recordingLogger();
    const url = await listen((await makeApp(make, { logger })).app);
    expect(await setCookieForwardedAs(url, 'https')).not.toMatch(/Secure/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/X-Forwarded-Proto says https.*Fastify: Fastify\(\{ trustProxy: true \}\)/);
  });

  test('with no logger option, the warning goes to Fastify’s logger when it has one, else to the console', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    const logged = await listen((await makeApp(make, {}, { logger: { level: 'warn', stream } })).app);
    await setCookieForwardedAs(logged, 'https');
    expect(lines.map((line) => JSON.parse(line) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/X-Forwarded-Proto says https/) }),
    ]);
    const printed = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const unlogged = await listen((await makeApp(make)).app);
      await setCookieForwardedAs(unlogged, 'https');
      expect(printed.mock.calls).toEqual([[expect.stringMatching(/X-Forwarded-Proto says https/)]]);
      const silenced = await listen((await makeApp(make, { logger: false })).app);
      await setCookieForwardedAs(silenced, 'https');
      expect(printed).toHaveBeenCalledTimes(1);
    } finally {
      printed.mockRestore();
    }
  });

  test('options are checked when the plugin is registered, with what to fix', async () => {
    const base = { cache: new MemoryDistributedCache(), dataProtection: keyRing() };
    const registering = async (options: object) => {
      const app = make();
      try {
        await app.register(fastifySession, options as FastifySessionPluginOptions);
        await app.ready();
      } finally {
        await app.close();
      }
    };
    await expect(registering({ ...base, idletimeout: '5m' })).rejects.toThrow(SessionConfigurationError);
    await expect(registering({ ...base, idletimeout: '5m' })).rejects.toThrow(/idletimeout/);
    await expect(registering({ ...base, properties: 'yes' })).rejects.toThrow(
      'properties must be true or false; got yes.',
    );
    await expect(registering({ ...base, properties: true, load: 'lazy' })).rejects.toThrow(
      /remove load: 'lazy'/,
    );
    await expect(registering({ dataProtection: base.dataProtection })).rejects.toThrow(/cache/);
    await expect(registering({ ...base, properties: true })).resolves.toBeUndefined();
    // request.session already decorated, as @fastify/session does: the property view cannot have it.
    const taken = make();
    taken.decorateRequest('session', null as never);
    const starting = async () => {
      await taken.register(fastifySession, { ...base, properties: true });
      await taken.ready();
    };
    try {
      await expect(starting()).rejects.toThrow(
        /another plugin \(@fastify\/session\?\) has decorated already/,
      );
    } finally {
      await taken.close().catch(() => {});
    }
  });
});

test('beside @fastify/session (a migration running both, theirs registered first), request.session stays theirs', async () => {
  const app = new ManagedProcess(
    process.execPath,
    ['--conditions=source', fileURLToPath(new URL('./apps/beside-fastify-session.ts', import.meta.url))],
    { description: 'an app with @fastify/session and this plugin' },
  );
  try {
    let url = '';
    await waitUntil(
      async () => {
        if (app.hasExited) throw new Error(`the app exited: ${app.output}`);
        url = /listening on (\S+)/.exec(app.output)?.[1] ?? '';
        return url !== '';
      },
      'the app to listen',
      { timeoutMs: 20_000 },
    );
    const posted = await fetch(`${url}/both`, { method: 'POST' });
    const cookies = posted.headers.getSetCookie().map((line) => line.split(';')[0]!);
    expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['sessionId', 'sharedstate.sid']);
    const read = await fetch(`${url}/both`, { headers: { cookie: cookies.join('; ') } });
    expect(await read.json()).toEqual({ old: 'theirs', cart: ['ours'] });
  } finally {
    await app.stop();
  }
});

test('getSession outside a scope with the plugin names what is missing', () => {
  expect(() => getSession({})).toThrow(SessionStateError);
  expect(() => getSession({})).toThrow(/registered in this route’s scope/);
});
