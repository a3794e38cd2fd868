// Beside what Express apps already use: a Passport strategy that authenticates by ASP.NET Core's cookie, and
// the cookie authentication next to the session middleware in one app (each with its own cookie).
import {
  type ClaimsPrincipal,
  ClaimTypes,
  COOKIE_AUTHENTICATION_PURPOSE,
} from '@sharedstate/authentication-cookies';
import { cookieAuthentication, getUser, signIn, signOut } from '@sharedstate/authentication-cookies/express';
import { AspNetCoreCookieStrategy } from '@sharedstate/authentication-cookies/passport';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { getSession, session } from '@sharedstate/session-express';
import { httpApps } from '@sharedstate/testing';
import express from 'express';
import { Passport } from 'passport';
import { usualSignInTicket } from './dotnet-bytes.ts';
import { ada, Browser } from './framework-apps.ts';

const apps = httpApps();
const dataProtection = createDataProtection({
  applicationName: 'shop',
  repository: new EphemeralXmlRepository(),
  logger: false,
});
const aspNetCoreCookie = async (name: string, roles: string[], items: [string, string][] = []) =>
  Buffer.from(
    await dataProtection
      .createProtector(COOKIE_AUTHENTICATION_PURPOSE, 'Cookies', 'v2')
      .protect(usualSignInTicket(name, roles, items)),
  ).toString('base64url');

describe('Passport', () => {
  let url: string;
  beforeAll(async () => {
    const passport = new Passport();
    passport.use(new AspNetCoreCookieStrategy({ dataProtection, logger: false }));
    // A second strategy that maps the principal to the app's own user, and refuses some.
    passport.use(
      'aspnetcore-admins',
      new AspNetCoreCookieStrategy({ dataProtection, logger: false }, (principal) =>
        principal.isInRole('admin')
          ? { id: principal.findFirst(ClaimTypes.Name)?.value, admin: true }
          : false,
      ),
    );
    const app = express();
    app.use(passport.initialize());
    app.get('/api/me', passport.authenticate('aspnetcore-cookie', { session: false }), (req, res) => {
      res.json({ name: (req.user as ClaimsPrincipal).name, authenticated: req.isAuthenticated() });
    });
    app.get('/api/admin', passport.authenticate('aspnetcore-admins', { session: false }), (req, res) => {
      res.json(req.user);
    });
    url = await apps.start(app);
  });

  test("a route behind the strategy gets the ASP.NET Core cookie's user in req.user; no cookie or a bad one is a 401", async () => {
    const cookie = await aspNetCoreCookie('grace', ['admin']);
    const me = await fetch(`${url}/api/me`, { headers: { cookie: `.AspNetCore.Cookies=${cookie}` } });
    expect(await me.json()).toEqual({ name: 'grace', authenticated: true });
    expect((await fetch(`${url}/api/me`)).status).toBe(401);
    const tampered = await fetch(`${url}/api/me`, {
      headers: { cookie: `.AspNetCore.Cookies=${cookie.slice(0, -4)}` },
    });
    expect(tampered.status).toBe(401);
  });

  test("a verify function turns the principal into the app's user, or refuses it", async () => {
    const admin = await fetch(`${url}/api/admin`, {
      headers: { cookie: `.AspNetCore.Cookies=${await aspNetCoreCookie('grace', ['admin'])}` },
    });
    expect(await admin.json()).toEqual({ id: 'grace', admin: true });
    const user = await fetch(`${url}/api/admin`, {
      headers: { cookie: `.AspNetCore.Cookies=${await aspNetCoreCookie('linus', [])}` },
    });
    expect(user.status).toBe(401);
  });

  test('a cookie due for sliding renewal is re-issued on the response', async () => {
    const day = 24 * 60 * 60 * 1000;
    const issued = new Date(Date.now() - 10 * day).toUTCString();
    const expires = new Date(Date.now() + 4 * day).toUTCString();
    const cookie = await aspNetCoreCookie(
      'grace',
      [],
      [
        ['.issued', issued],
        ['.expires', expires],
      ],
    );
    const response = await fetch(`${url}/api/me`, { headers: { cookie: `.AspNetCore.Cookies=${cookie}` } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^\.AspNetCore\.Cookies=[\w-]+; path=\//),
    ]);
  });
});

describe('beside the session middleware', () => {
  test('one app keeps a session and a sign-in, each in its own cookie; signing out leaves the session', async () => {
    const app = express();
    app.use(session({ cache: new MemoryDistributedCache(), dataProtection, logger: false }));
    app.use(cookieAuthentication({ dataProtection, logger: false }));
    app.post('/login', async (req, res) => {
      getSession(req).setString('cart', 'book');
      await signIn(req, ada());
      res.json({ name: getUser(req)?.name });
    });
    app.post('/logout', (req, res) => {
      signOut(req);
      res.send('signed out');
    });
    app.get('/me', (req, res) => {
      res.json({ name: getUser(req)?.name ?? null, cart: getSession(req).getString('cart') ?? null });
    });
    const url = await apps.start(app);
    const browser = new Browser();
    expect(await browser.json(`${url}/login`, 'POST')).toEqual({ name: 'ada' });
    expect([...browser.cookies.keys()].sort()).toEqual(['.AspNetCore.Cookies', 'sharedstate.sid']);
    expect(await browser.json(`${url}/me`)).toEqual({ name: 'ada', cart: 'book' });
    await browser.send(`${url}/logout`, 'POST');
    expect(await browser.json(`${url}/me`)).toEqual({ name: null, cart: 'book' });
  });
});
