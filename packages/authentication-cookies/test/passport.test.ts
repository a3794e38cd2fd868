// A Passport strategy that authenticates by ASP.NET Core's cookie: req.user is the principal, or the app's
// own user made from it; no cookie or a bad one is Passport's 401; a cookie due for renewal is re-issued.
import { type ClaimsPrincipal, ClaimTypes } from '@sharedstate/authentication-cookies';
import { AspNetCoreCookieStrategy } from '@sharedstate/authentication-cookies/passport';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { httpApps } from '@sharedstate/testing';
import express from 'express';
import { Passport } from 'passport';
import { COOKIE_AUTHENTICATION_PURPOSE, usualSignInTicket } from './dotnet-bytes.ts';

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
