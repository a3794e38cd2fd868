// protectSessionCookie and unprotectSessionCookie: the cookie a session middleware sets, made and read
// outside any request (tools, tests, migrations), against a real Express app on the same key ring.
import { randomUUID } from 'node:crypto';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import {
  getSession,
  protectSessionCookie,
  SessionUsageError,
  session,
  unprotectSessionCookie,
} from '@sharedstate/session-express';
import { cookieOf, httpApps } from '@sharedstate/testing';
import express from 'express';

describe('session cookies outside a request', () => {
  const apps = httpApps();
  const dataProtection = createDataProtection({
    applicationName: 'helpers',
    repository: new EphemeralXmlRepository(),
  });
  const cache = new MemoryDistributedCache();
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(session({ cache, dataProtection }));
    app.get('/name', (req, res) => {
      res.json({ name: getSession(req).getString('name') ?? null });
    });
    app.post('/name/:name', (req, res) => {
      getSession(req).setString('name', req.params.name!);
      res.json({});
    });
    url = await apps.start(app);
  });

  test('a cookie the middleware set unprotects to the key its session is stored under', async () => {
    const cookie = cookieOf(await fetch(`${url}/name/ada`, { method: 'POST' }))!;
    const sessionKey = await unprotectSessionCookie(dataProtection, cookie.split('=')[1]!);
    expect(sessionKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(await cache.get(sessionKey!)).toBeDefined();
  });

  test('a cookie made for a session key opens that session in the middleware', async () => {
    const sessionKey = randomUUID();
    const cookie = await protectSessionCookie(dataProtection, sessionKey);
    await fetch(`${url}/name/grace`, { method: 'POST', headers: { cookie: `sharedstate.sid=${cookie}` } });
    expect(await cache.get(sessionKey)).toBeDefined();
    const read = await fetch(`${url}/name`, {
      headers: { cookie: `sharedstate.sid=${encodeURIComponent(cookie)}` },
    });
    expect(await read.json()).toEqual({ name: 'grace' });
  });

  test('a tampered, foreign or malformed value unprotects to undefined, never throws', async () => {
    const cookie = await protectSessionCookie(dataProtection, randomUUID());
    const tampered = `${cookie.slice(0, -4)}${cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const other = createDataProtection({
      applicationName: 'other',
      repository: new EphemeralXmlRepository(),
    });
    const foreign = await protectSessionCookie(other, randomUUID());
    for (const value of [tampered, foreign, '', 'not base64 at all!', '%E0%A4%A']) {
      expect(await unprotectSessionCookie(dataProtection, value)).toBeUndefined();
    }
  });

  test('a session key that is not a lowercase GUID is refused with what one looks like', async () => {
    await expect(protectSessionCookie(dataProtection, 'user-42')).rejects.toThrow(SessionUsageError);
    await expect(protectSessionCookie(dataProtection, randomUUID().toUpperCase())).rejects.toThrow(
      /lowercase GUID/,
    );
  });
});
