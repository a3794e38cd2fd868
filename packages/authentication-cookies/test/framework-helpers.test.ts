// The helpers of each framework, in real apps over HTTP: a cookie ASP.NET Core wrote reads as its user, a
// sign-in and a sign-out (chunked too) round trip through a browser's jar, a cookie due for renewal is
// re-issued, and no tampered cookie gets anything but an anonymous 200.
import { randomInt } from 'node:crypto';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { httpApps, recordingLogger } from '@sharedstate/testing';
import { COOKIE_AUTHENTICATION_PURPOSE, usualSignInTicket } from './dotnet-bytes.ts';
import { Browser, FRAMEWORKS } from './framework-apps.ts';

const DAY = 24 * 60 * 60 * 1000;

describe.each(FRAMEWORKS)('$name', ({ start }) => {
  const apps = httpApps();
  const clock = { at: Date.now(), now: () => clock.at };
  const dataProtection = createDataProtection({
    applicationName: 'shop',
    repository: new EphemeralXmlRepository(),
    logger: false,
  });
  const log = recordingLogger();
  let url: string;
  beforeAll(async () => {
    url = await start({ dataProtection, clock, logger: log.logger }, apps);
  });
  beforeEach(() => {
    clock.at = Date.now();
  });

  test('a cookie ASP.NET Core wrote signs its user in', async () => {
    const protector = dataProtection.createProtector(COOKIE_AUTHENTICATION_PURPOSE, 'Cookies', 'v2');
    const issued = new Date(clock.at).toUTCString();
    const expires = new Date(clock.at + 14 * DAY).toUTCString();
    const ticket = usualSignInTicket(
      'grace',
      ['admin'],
      [
        ['.issued', issued],
        ['.expires', expires],
      ],
    );
    const browser = new Browser();
    browser.cookies.set(
      '.AspNetCore.Cookies',
      Buffer.from(await protector.protect(ticket)).toString('base64url'),
    );
    expect(await browser.json(`${url}/me`)).toEqual({ name: 'grace', admin: true });
    // Not due for renewal: no cookie goes out.
    expect(browser.lastSetCookies).toEqual([]);
  });

  test('sign in, read, sign out through a browser', async () => {
    const browser = new Browser();
    expect(await browser.json(`${url}/me`)).toEqual({ name: null, admin: false });
    expect(await browser.json(`${url}/login?persistent=1`, 'POST')).toEqual({ name: 'ada', admin: true });
    expect(browser.lastSetCookies).toEqual([
      expect.stringMatching(
        /^\.AspNetCore\.Cookies=[\w-]+; expires=[^;]+ GMT; path=\/; samesite=lax; httponly$/,
      ),
    ]);
    expect(await browser.json(`${url}/me`)).toEqual({ name: 'ada', admin: true });
    expect(await browser.json(`${url}/logout`, 'POST')).toEqual({ name: null, admin: false });
    expect(browser.cookies.size).toBe(0);
    expect(await browser.json(`${url}/me`)).toEqual({ name: null, admin: false });
  });

  test('a sign-in too big for one cookie goes out in chunks, reads back, and signs out chunk by chunk', async () => {
    const browser = new Browser();
    const signIn = await browser.send(`${url}/login?extra=150`, 'POST');
    expect(signIn.headers.get('cache-control')).toBe('no-cache,no-store');
    const chunks = browser.lastSetCookies.length - 1;
    expect(chunks).toBeGreaterThan(1);
    expect(browser.cookies.get('.AspNetCore.Cookies')).toBe(`chunks-${chunks}`);
    expect(await browser.json(`${url}/me`)).toEqual({ name: 'ada', admin: true });
    await browser.json(`${url}/logout`, 'POST');
    expect(browser.lastSetCookies).toHaveLength(chunks + 1);
    expect([...browser.cookies.keys()]).toEqual([]);
  });

  test('a sign-out after a sign-in on one request leaves only the sign-out on the response', async () => {
    const browser = new Browser();
    await browser.json(`${url}/login`, 'POST');
    expect(await browser.json(`${url}/login-logout`, 'POST')).toEqual({ name: null, admin: false });
    expect(browser.lastSetCookies).toEqual([
      expect.stringMatching(/^\.AspNetCore\.Cookies=; expires=Thu, 01 Jan 1970/),
    ]);
  });

  test('past half of its lifetime the cookie is re-issued on an ordinary request, then not again', async () => {
    const browser = new Browser();
    await browser.json(`${url}/login?persistent=1`, 'POST');
    const first = browser.cookies.get('.AspNetCore.Cookies');
    clock.at += 8 * DAY;
    const response = await browser.send(`${url}/me`);
    expect(await response.json()).toEqual({ name: 'ada', admin: true });
    expect(response.headers.get('cache-control')).toBe('no-cache,no-store');
    expect(browser.lastSetCookies).toEqual([
      expect.stringContaining(
        `expires=${new Date(Math.floor(clock.at / 1000) * 1000 + 14 * DAY).toUTCString()}`,
      ),
    ]);
    expect(browser.cookies.get('.AspNetCore.Cookies')).not.toBe(first);
    await browser.json(`${url}/me`);
    expect(browser.lastSetCookies).toEqual([]);
  });

  test('tampered, truncated, partial and foreign cookies: an anonymous 200 every time (fuzz, 60 requests)', async () => {
    const browser = new Browser();
    await browser.json(`${url}/login`, 'POST');
    const cookie = browser.cookies.get('.AspNetCore.Cookies')!;
    const statuses = new Map<number, number>();
    const answers = new Set<string>();
    for (let run = 0; run < 60; run++) {
      const at = randomInt(cookie.length);
      const mutations = [
        cookie.slice(0, at),
        `${cookie.slice(0, at)}${'AZaz09-_'[randomInt(8)]}${cookie.slice(at + 1)}`,
        `chunks-${randomInt(4) + 1}`,
        `${cookie.slice(at)}${cookie.slice(0, at)}`,
        encodeURIComponent(`${cookie.slice(0, at)}%;é"${cookie.slice(at)}`),
      ];
      const value = mutations[run % mutations.length]!;
      if (value === cookie) continue;
      const response = await fetch(`${url}/me`, { headers: { cookie: `.AspNetCore.Cookies=${value}` } });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      answers.add(await response.text());
    }
    expect([...statuses.keys()]).toEqual([200]);
    expect([...answers].map((text) => JSON.parse(text))).toEqual([{ name: null, admin: false }]);
    expect(log.errors).toEqual([]);
  });

  test('beside the session middleware: each keeps its own cookie, and signing out leaves the session', async () => {
    const browser = new Browser();
    await browser.json(`${url}/cart`, 'POST');
    await browser.json(`${url}/login`, 'POST');
    expect([...browser.cookies.keys()].sort()).toEqual(['.AspNetCore.Cookies', 'sharedstate.sid']);
    expect(await browser.json(`${url}/me`)).toEqual({ name: 'ada', admin: true });
    await browser.json(`${url}/logout`, 'POST');
    expect(await browser.json(`${url}/cart`)).toEqual({ cart: 'book' });
    expect(await browser.json(`${url}/me`)).toEqual({ name: null, admin: false });
  });
});
