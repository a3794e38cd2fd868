// The same small app on each framework the helpers serve, beside that framework's session middleware: who is
// signed in, sign in (optionally persistent, optionally with many claims), sign out, sign in then out on one
// request, and a session value (`/cart`) in the session's own cookie.
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type {
  ClaimsIdentityInput,
  ClaimsPrincipal,
  CookieAuthenticationOptions,
} from '@sharedstate/authentication-cookies';
import { ClaimTypes } from '@sharedstate/authentication-cookies';
import * as expressHelpers from '@sharedstate/authentication-cookies/express';
import * as fastifyHelpers from '@sharedstate/authentication-cookies/fastify';
import { fastifyCookieAuthentication } from '@sharedstate/authentication-cookies/fastify';
import * as honoHelpers from '@sharedstate/authentication-cookies/hono';
import * as koaHelpers from '@sharedstate/authentication-cookies/koa';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import * as expressSessions from '@sharedstate/session-express';
import { getSession as fastifyGetSession, fastifySession } from '@sharedstate/session-fastify';
import * as honoSessions from '@sharedstate/session-hono';
import * as koaSessions from '@sharedstate/session-koa';
import type { httpApps } from '@sharedstate/testing';
import express from 'express';
// @ts-expect-error express4 is Express 4 under an alias; its types are Express 5's, close enough here.
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Hono as Hono40 } from 'hono40';
import Koa from 'koa';
// @ts-expect-error koa2 is Koa 2 under an alias; its types are Koa 3's, close enough here.
import Koa2 from 'koa2';

type Apps = ReturnType<typeof httpApps>;
export type StartApp = (options: CookieAuthenticationOptions, apps: Apps) => Promise<string>;

/** The session middleware's options beside the authentication's: its own cookie, the same key ring. */
const sessionsOf = (options: CookieAuthenticationOptions) => ({
  cache: new MemoryDistributedCache(),
  dataProtection: options.dataProtection,
  logger: false as const,
});

/** Whom /login signs in: ada, an admin, with `extra` more group claims (to make the cookie big). */
export function ada(extra = 0): ClaimsIdentityInput {
  return {
    authenticationType: 'Cookies',
    claims: [
      { type: ClaimTypes.Name, value: 'ada' },
      { type: ClaimTypes.Role, value: 'admin' },
      ...Array.from({ length: extra }, (_, index) => ({
        type: 'group',
        value: `group-${index}-${'x'.repeat(40)}`,
      })),
    ],
  };
}

const describeUser = (user: ClaimsPrincipal | undefined | null) => ({
  name: user?.name ?? null,
  admin: user?.isInRole('admin') ?? false,
});
const loginOf = (url: string) => {
  const query = new URL(url, 'http://x').searchParams;
  return { identity: ada(Number(query.get('extra') ?? 0)), isPersistent: query.get('persistent') === '1' };
};

function expressApp(makeApp: typeof express): StartApp {
  return async (options, apps) => {
    const app = makeApp();
    app.use(expressSessions.session(sessionsOf(options)));
    app.use(expressHelpers.cookieAuthentication(options));
    app.get('/cart', (req, res) => {
      res.json({ cart: expressSessions.getSession(req).getString('cart') ?? null });
    });
    app.post('/cart', (req, res) => {
      expressSessions.getSession(req).setString('cart', 'book');
      res.json({ cart: 'book' });
    });
    app.get('/me', (req, res) => {
      res.json(describeUser((req as unknown as { user?: ClaimsPrincipal }).user));
    });
    app.post('/login', async (req, res, next) => {
      try {
        const { identity, isPersistent } = loginOf(req.url);
        await expressHelpers.signIn(req, identity, { isPersistent });
        res.json(describeUser(expressHelpers.getUser(req)));
      } catch (error) {
        next(error);
      }
    });
    app.post('/logout', (req, res) => {
      expressHelpers.signOut(req);
      res.json(describeUser((req as unknown as { user?: ClaimsPrincipal }).user));
    });
    app.post('/login-logout', async (req, res) => {
      await expressHelpers.signIn(req, ada());
      expressHelpers.signOut(req);
      res.json(describeUser(expressHelpers.getUser(req)));
    });
    return apps.start(app);
  };
}

function koaApp(MakeKoa: typeof Koa): StartApp {
  return async (options, apps) => {
    const app = new MakeKoa();
    // Koa prints each 5xx (the outage case) on stderr; the tests read the statuses instead.
    app.silent = true;
    app.use(koaSessions.session(sessionsOf(options)));
    app.use(koaHelpers.cookieAuthentication(options));
    app.use(async (ctx) => {
      if (ctx.path === '/cart' && ctx.method === 'POST') {
        koaSessions.getSession(ctx).setString('cart', 'book');
        ctx.body = { cart: 'book' };
      } else if (ctx.path === '/cart') {
        ctx.body = { cart: koaSessions.getSession(ctx).getString('cart') ?? null };
      } else if (ctx.path === '/me') {
        ctx.body = describeUser(ctx.state.user as ClaimsPrincipal | undefined);
      } else if (ctx.path === '/login') {
        const { identity, isPersistent } = loginOf(ctx.url);
        await koaHelpers.signIn(ctx, identity, { isPersistent });
        ctx.body = describeUser(koaHelpers.getUser(ctx));
      } else if (ctx.path === '/logout') {
        koaHelpers.signOut(ctx);
        ctx.body = describeUser(ctx.state.user as ClaimsPrincipal | undefined);
      } else if (ctx.path === '/login-logout') {
        await koaHelpers.signIn(ctx, ada());
        koaHelpers.signOut(ctx);
        ctx.body = describeUser(koaHelpers.getUser(ctx));
      }
    });
    return apps.start(app);
  };
}

function honoApp(MakeHono: typeof Hono): StartApp {
  return async (options, apps) => {
    const app = new MakeHono<honoHelpers.AuthenticationEnv & honoSessions.SessionEnv>();
    app.use(honoSessions.session(sessionsOf(options)));
    app.use(honoHelpers.cookieAuthentication(options));
    app.get('/cart', (c) => c.json({ cart: c.get('session').getString('cart') ?? null }));
    app.post('/cart', (c) => {
      c.get('session').setString('cart', 'book');
      return c.json({ cart: 'book' });
    });
    app.get('/me', (c) => c.json(describeUser(c.get('user'))));
    app.post('/login', async (c) => {
      const { identity, isPersistent } = loginOf(c.req.url);
      await honoHelpers.signIn(c, identity, { isPersistent });
      return c.json(describeUser(c.get('user')));
    });
    app.post('/logout', (c) => {
      honoHelpers.signOut(c);
      return c.json(describeUser(c.get('user')));
    });
    app.post('/login-logout', async (c) => {
      await honoHelpers.signIn(c, ada());
      honoHelpers.signOut(c);
      return c.json(describeUser(honoHelpers.getUser(c)));
    });
    return apps.start(createServer(getRequestListener(app.fetch)));
  };
}

const fastifyApp: StartApp = async (options, apps) => {
  const app = Fastify();
  await app.register(fastifySession, sessionsOf(options));
  await app.register(fastifyCookieAuthentication, options);
  app.get('/cart', async (request) => ({ cart: fastifyGetSession(request).getString('cart') ?? null }));
  app.post('/cart', async (request) => {
    fastifyGetSession(request).setString('cart', 'book');
    return { cart: 'book' };
  });
  app.get('/me', async (request) => describeUser((request as { user?: ClaimsPrincipal | null }).user));
  app.post('/login', async (request) => {
    const { identity, isPersistent } = loginOf(request.url);
    await fastifyHelpers.signIn(request, identity, { isPersistent });
    return describeUser(fastifyHelpers.getUser(request));
  });
  app.post('/logout', async (request) => {
    fastifyHelpers.signOut(request);
    return describeUser((request as { user?: ClaimsPrincipal | null }).user);
  });
  app.post('/login-logout', async (request) => {
    await fastifyHelpers.signIn(request, ada());
    fastifyHelpers.signOut(request);
    return describeUser(fastifyHelpers.getUser(request));
  });
  await app.ready();
  return apps.start({
    listen: (port, host, callback) => {
      void app.listen({ port, host }).then(callback);
      return app.server;
    },
  });
};

export const FRAMEWORKS: readonly { name: string; start: StartApp }[] = [
  { name: 'Express 5', start: expressApp(express) },
  { name: 'Express 4', start: expressApp(express4 as typeof express) },
  { name: 'Koa 3', start: koaApp(Koa) },
  { name: 'Koa 2', start: koaApp(Koa2 as typeof Koa) },
  { name: 'Hono 4', start: honoApp(Hono) },
  { name: 'Hono 4.0', start: honoApp(Hono40 as unknown as typeof Hono) },
  { name: 'Fastify 5', start: fastifyApp },
];

/** A browser's cookie jar: keeps what Set-Cookie gives, forgets what it expires, sends the rest back. */
export class Browser {
  readonly cookies = new Map<string, string>();
  lastSetCookies: string[] = [];

  async send(url: string, method = 'GET'): Promise<Response> {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: this.cookieHeader ? { cookie: this.cookieHeader } : {},
    });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const header of this.lastSetCookies) {
      const pair = header.split(';')[0]!;
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async json(url: string, method = 'GET'): Promise<unknown> {
    const response = await this.send(url, method);
    if (response.status !== 200)
      throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
