// The cookie handler as ASP.NET Core's CookieAuthenticationHandler behaves: its purposes, its ticket bytes,
// its cookie attributes, lifetime and sliding renewal, chunking, and cookies that are no sign-in.
import { randomInt } from 'node:crypto';
import {
  AuthenticationProperties,
  ClaimsPrincipal,
  ClaimTypes,
  CookieAuthentication,
  CookieAuthenticationConfigurationError,
  SignInError,
} from '@sharedstate/authentication-cookies';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { recordChannel, recordingLogger } from '@sharedstate/testing';
import { chunkedSetCookies, DEFAULT_CHUNK_SIZE, setCookieHeader } from '../src/chunking-cookies.ts';
import { COOKIE_AUTHENTICATION_PURPOSE, usualSignInTicket } from './dotnet-bytes.ts';

const DAY = 24 * 60 * 60 * 1000;
const SIGN_IN_AT = Date.parse('2026-12-06T10:00:00.250Z');

function setup(options: Record<string, unknown> = {}) {
  const clock = { at: SIGN_IN_AT, now: () => clock.at };
  const dataProtection = createDataProtection({
    applicationName: 'shop',
    repository: new EphemeralXmlRepository(),
    logger: false,
  });
  const log = recordingLogger();
  const authentication = new CookieAuthentication({ dataProtection, clock, logger: log.logger, ...options });
  // ASP.NET Core's protector for the scheme, made from FORMATS.md's purposes, not from the package's code.
  const aspNetCore = dataProtection.createProtector(COOKIE_AUTHENTICATION_PURPOSE, 'Cookies', 'v2');
  const aspNetCoreCookie = async (ticket: Uint8Array) =>
    Buffer.from(await aspNetCore.protect(ticket)).toString('base64url');
  const ticketOf = async (cookieValue: string) =>
    Buffer.from(await aspNetCore.unprotect(Buffer.from(cookieValue, 'base64url')));
  return { clock, dataProtection, authentication, aspNetCoreCookie, ticketOf, log };
}

const request = (cookieHeader?: string, secure = false) => ({ cookieHeader, secure });
/** The Cookie header a browser sends back for these Set-Cookie values. */
const cookieHeaderOf = (setCookies: string[]) =>
  setCookies
    .filter((header) => !header.includes('expires=Thu, 01 Jan 1970'))
    .map((header) => header.split(';')[0])
    .join('; ');
const cookieValueOf = (setCookie: string) =>
  setCookie.slice(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
const ADA = {
  authenticationType: 'Cookies',
  claims: [
    { type: ClaimTypes.Name, value: 'ada' },
    { type: ClaimTypes.Role, value: 'admin' },
  ],
};

describe('reading a cookie ASP.NET Core wrote', () => {
  test('gives its user: name, roles and claims in the .NET sense, and the ticket properties', async () => {
    const { authentication, aspNetCoreCookie } = setup();
    const cookie = await aspNetCoreCookie(
      usualSignInTicket(
        'ada',
        ['admin', 'ops'],
        [
          ['.issued', 'Sun, 06 Dec 2026 09:00:00 GMT'],
          ['.expires', 'Sun, 20 Dec 2026 09:00:00 GMT'],
        ],
      ),
    );
    const result = await authentication.authenticate(request(`theme=dark; .AspNetCore.Cookies=${cookie}`));
    expect(result.outcome).toBe('signed-in');
    if (result.outcome !== 'signed-in') return;
    const user = result.principal;
    expect(user.name).toBe('ada');
    expect(user.isAuthenticated).toBe(true);
    expect(user.identity?.authenticationType).toBe('Cookies');
    expect([user.isInRole('admin'), user.isInRole('ops'), user.isInRole('Admin')]).toEqual([
      true,
      true,
      false,
    ]);
    // Claim types compare without regard to case, values exactly.
    expect(user.findFirst(ClaimTypes.Role.toUpperCase())?.value).toBe('admin');
    expect(user.findAll(ClaimTypes.Role).map((claim) => claim.value)).toEqual(['admin', 'ops']);
    expect(user.hasClaim(ClaimTypes.Name, 'ada')).toBe(true);
    expect(user.findFirst(ClaimTypes.Name)).toEqual({
      type: ClaimTypes.Name,
      value: 'ada',
      valueType: 'http://www.w3.org/2001/XMLSchema#string',
      issuer: 'LOCAL AUTHORITY',
      originalIssuer: 'LOCAL AUTHORITY',
      properties: [],
    });
    expect(result.properties.issuedUtc?.toISOString()).toBe('2026-12-06T09:00:00.000Z');
    expect(result.properties.expiresUtc?.toISOString()).toBe('2026-12-20T09:00:00.000Z');
    expect(result.properties.isPersistent).toBe(false);
    expect(result.shouldRefresh).toBe(false);
  });

  test('no cookie is no sign-in, without a word', async () => {
    const { authentication, log } = setup();
    expect(await authentication.authenticate(request())).toEqual({ outcome: 'none' });
    expect(await authentication.authenticate(request('other=1'))).toEqual({ outcome: 'none' });
    expect(log.warnings).toEqual([]);
  });

  test('an expired ticket is not a sign-in (at its expiry to the millisecond it still is)', async () => {
    const { authentication, aspNetCoreCookie, clock, log } = setup();
    const cookie = await aspNetCoreCookie(
      usualSignInTicket('ada', [], [['.expires', 'Sun, 06 Dec 2026 10:00:00 GMT']]),
    );
    clock.at = Date.parse('2026-12-06T10:00:00.000Z');
    expect((await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie}`))).outcome).toBe(
      'signed-in',
    );
    clock.at += 1;
    expect(await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie}`))).toMatchObject({
      outcome: 'failed',
      reason: 'expired',
    });
    // Routine: no warning.
    expect(log.warnings).toEqual([]);
  });

  test("another scheme's, another app's or another ring's cookie is not a sign-in, and says why once a minute", async () => {
    const { authentication, dataProtection, log } = setup();
    const ticket = usualSignInTicket('ada', [], []);
    const otherScheme = dataProtection.createProtector(
      COOKIE_AUTHENTICATION_PURPOSE,
      'Identity.Application',
      'v2',
    );
    const otherApp = createDataProtection({
      applicationName: 'blog',
      repository: new EphemeralXmlRepository(),
      logger: false,
    });
    const cookies = [
      Buffer.from(await otherScheme.protect(ticket)).toString('base64url'),
      Buffer.from(
        await otherApp.createProtector(COOKIE_AUTHENTICATION_PURPOSE, 'Cookies', 'v2').protect(ticket),
      ).toString('base64url'),
    ];
    const results = [];
    for (const cookie of cookies)
      results.push(await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie}`)));
    expect(results).toMatchObject([
      { outcome: 'failed', reason: 'unreadable' },
      { outcome: 'failed', reason: 'unknown-key' },
    ]);
    await authentication.authenticate(request(`.AspNetCore.Cookies=${cookies[0]}`));
    expect(log.warnings).toHaveLength(2);
    expect(log.warnings[1]).toMatch(/key this key ring does not hold.*application name/);
  });

  test('a ticket that only points into an ASP.NET Core ticket store says to remove SessionStore', async () => {
    const { authentication, aspNetCoreCookie, log } = setup();
    const principal = ClaimsPrincipal.from({
      authenticationType: 'Cookies',
      claims: [{ type: 'Microsoft.AspNetCore.Authentication.Cookies-SessionId', value: 'f3a0c6e2' }],
    });
    const { serializeTicket } = await import('@sharedstate/authentication-cookies');
    const cookie = await aspNetCoreCookie(
      serializeTicket({ scheme: 'Cookies', identities: [...principal.identities], items: [] }),
    );
    expect(await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie}`))).toMatchObject({
      outcome: 'failed',
      reason: 'ticket-store',
    });
    expect(log.warnings[0]).toMatch(/SessionStore/);
  });

  test('tampered and truncated cookies are never a sign-in and never an error (fuzz, 500 cases)', async () => {
    const { authentication, aspNetCoreCookie } = setup({ logger: false });
    const cookie = await aspNetCoreCookie(usualSignInTicket('ada', ['admin'], []));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_%;=,"\\ \u00e9';
    const outcomes = new Map<string, number>();
    for (let run = 0; run < 500; run++) {
      let mutated = cookie;
      const kind = run % 4;
      const at = randomInt(cookie.length);
      if (kind === 0) mutated = cookie.slice(0, at);
      else if (kind === 1)
        mutated = cookie.slice(0, at) + alphabet[randomInt(alphabet.length)] + cookie.slice(at + 1);
      else if (kind === 2) mutated = cookie.slice(0, at) + cookie.slice(at + 1 + randomInt(8));
      else mutated = `chunks-${randomInt(5)}; .AspNetCore.CookiesC1=${cookie.slice(0, at)}`;
      if (mutated === cookie) continue;
      const result = await authentication.authenticate(request(`.AspNetCore.Cookies=${mutated}`));
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    }
    expect([...outcomes.keys()].filter((outcome) => outcome === 'signed-in')).toEqual([]);
    expect(outcomes.get('failed')).toBeGreaterThan(400);
  });

  test('publishes each unprotect on the cookie channel as "authentication"', async () => {
    const { authentication, aspNetCoreCookie } = setup();
    const events = recordChannel('sharedstate.cookie.unprotect');
    try {
      const cookie = await aspNetCoreCookie(usualSignInTicket('ada', [], []));
      await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie}`));
      await authentication.authenticate(request(`.AspNetCore.Cookies=${cookie.slice(0, -2)}`));
      expect(events.messages).toMatchObject([
        { cookie: 'authentication', outcome: 'ok' },
        { cookie: 'authentication', outcome: 'tampered' },
      ]);
    } finally {
      events.stop();
    }
  });
});

describe('signing in', () => {
  test('writes the very ticket bytes ASP.NET Core writes for the same sign-in, "\\0" defaults and all', async () => {
    const { authentication, ticketOf } = setup();
    const { setCookies } = await authentication.signIn(request(), ADA, { isPersistent: true });
    expect(setCookies).toHaveLength(1);
    expect((await ticketOf(cookieValueOf(setCookies[0]!))).toString('hex')).toBe(
      usualSignInTicket(
        'ada',
        ['admin'],
        [
          ['.persistent', ''],
          ['.issued', 'Sun, 06 Dec 2026 10:00:00 GMT'],
          ['.expires', 'Sun, 20 Dec 2026 10:00:00 GMT'],
        ],
      ).toString('hex'),
    );
  });

  test("with ASP.NET Core's cookie: its name and attributes; persistent only when asked; Secure as the request", async () => {
    const { authentication } = setup();
    const persistent = await authentication.signIn(request(undefined, true), ADA, { isPersistent: true });
    expect(persistent.setCookies[0]).toMatch(
      /^\.AspNetCore\.Cookies=[\w-]+; expires=Sun, 20 Dec 2026 10:00:00 GMT; path=\/; secure; samesite=lax; httponly$/,
    );
    const session = await authentication.signIn(request(), ADA);
    expect(session.setCookies[0]).toMatch(/^\.AspNetCore\.Cookies=[\w-]+; path=\/; samesite=lax; httponly$/);
    expect(session.properties.items()).toEqual([
      ['.issued', 'Sun, 06 Dec 2026 10:00:00 GMT'],
      ['.expires', 'Sun, 20 Dec 2026 10:00:00 GMT'],
    ]);
  });

  test('the options as CookieAuthenticationOptions name them shape the cookie and the ticket', async () => {
    const { authentication, ticketOf } = setup({
      scheme: 'Cookies',
      cookie: {
        name: 'auth',
        path: '/app',
        domain: 'example.com',
        sameSite: 'strict',
        securePolicy: 'always',
        maxAge: '1h',
      },
      expireTimeSpan: '8h',
    });
    const { setCookies } = await authentication.signIn(request(), ADA);
    expect(setCookies[0]).toMatch(
      /^auth=[\w-]+; max-age=3600; domain=example\.com; path=\/app; secure; samesite=strict; httponly$/,
    );
    expect((await ticketOf(cookieValueOf(setCookies[0]!))).includes('Sun, 06 Dec 2026 18:00:00 GMT')).toBe(
      true,
    );
  });

  test('issuedUtc, expiresUtc, items, allowRefresh and tokens given are kept, in .NET dictionary order', async () => {
    const { authentication } = setup();
    const properties = new AuthenticationProperties({ a: '1', b: '2', c: '3' });
    properties.delete('b');
    // .NET's Dictionary puts a new key in the slot the last removal freed.
    properties.set('d', '4');
    properties.storeTokens([
      { name: 'access_token', value: 'x' },
      { name: 'refresh_token', value: 'y' },
    ]);
    properties.allowRefresh = false;
    properties.expiresUtc = new Date(SIGN_IN_AT + DAY);
    const { setCookies } = await authentication.signIn(request(), ADA, properties);
    const read = await authentication.authenticate(request(cookieHeaderOf(setCookies)));
    if (read.outcome !== 'signed-in') throw new Error(read.outcome);
    expect(read.properties.items()).toEqual([
      ['a', '1'],
      ['d', '4'],
      ['c', '3'],
      ['.Token.access_token', 'x'],
      ['.Token.refresh_token', 'y'],
      ['.TokenNames', 'access_token;refresh_token'],
      ['.refresh', 'False'],
      ['.expires', 'Mon, 07 Dec 2026 10:00:00 GMT'],
      ['.issued', 'Sun, 06 Dec 2026 10:00:00 GMT'],
    ]);
    expect(read.properties.getTokenValue('refresh_token')).toBe('y');
    expect(read.properties.allowRefresh).toBe(false);
  });

  test('Unicode claims, claim properties, issuers, an actor and a bootstrap context survive the round trip', async () => {
    const { authentication } = setup();
    const identity = {
      authenticationType: 'Federation',
      nameClaimType: 'name',
      roleClaimType: 'groups',
      bootstrapContext: 'eyJhbGciOi…',
      claims: [
        {
          type: 'name',
          value: 'Zoë Ødegård 🦀',
          issuer: 'https://login.example',
          originalIssuer: 'https://idp.example',
        },
        { type: 'groups', value: 'админы', properties: { source: 'ldap' } },
        { type: 'age', value: '36', valueType: 'http://www.w3.org/2001/XMLSchema#integer' },
      ],
      actor: { authenticationType: 'Service', claims: [{ type: ClaimTypes.Name, value: 'batch-job' }] },
    };
    const { setCookies, principal } = await authentication.signIn(request(), [identity, ADA]);
    const read = await authentication.authenticate(request(cookieHeaderOf(setCookies)));
    if (read.outcome !== 'signed-in') throw new Error(read.outcome);
    expect(read.principal.identities).toEqual(principal.identities);
    expect(read.principal.name).toBe('Zoë Ødegård 🦀');
    expect(read.principal.isInRole('админы')).toBe(true);
    // The second identity's roles count too, as in .NET.
    expect(read.principal.isInRole('admin')).toBe(true);
    expect(read.principal.identity?.actor?.claims[0]?.value).toBe('batch-job');
  });

  test('a principal that is not one is refused with SignInError', async () => {
    const { authentication } = setup();
    await expect(
      authentication.signIn(request(), {
        authenticationType: 'Cookies',
        claims: [{ type: 'age', value: 36 as unknown as string }],
      }),
    ).rejects.toThrow(SignInError);
    await expect(authentication.signIn(request(), ADA, { expiresUtc: new Date('nope') })).rejects.toThrow(
      /expiresUtc must be a valid Date/,
    );
  });
});

describe('sliding expiration', () => {
  async function signedIn(options: Record<string, unknown> = {}, persistent = true) {
    const context = setup(options);
    const { setCookies } = await context.authentication.signIn(request(), ADA, { isPersistent: persistent });
    return { ...context, cookie: cookieHeaderOf(setCookies) };
  }

  test('re-issues the cookie once less of the lifetime is left than has passed, with the same span from now', async () => {
    const { authentication, clock, cookie, ticketOf } = await signedIn();
    clock.at = SIGN_IN_AT + 7 * DAY - 1000;
    const early = await authentication.authenticate(request(cookie));
    expect(early).toMatchObject({ outcome: 'signed-in', shouldRefresh: false });
    clock.at = SIGN_IN_AT + 7 * DAY + 1000;
    const due = await authentication.authenticate(request(cookie));
    if (due.outcome !== 'signed-in') throw new Error(due.outcome);
    expect(due.shouldRefresh).toBe(true);
    const renewed = await authentication.refresh(request(), due.principal, due.properties);
    expect(renewed[0]).toMatch(/; expires=Sun, 27 Dec 2026 10:00:01 GMT;/);
    expect((await ticketOf(cookieValueOf(renewed[0]!))).toString('hex')).toBe(
      usualSignInTicket(
        'ada',
        ['admin'],
        [
          ['.persistent', ''],
          ['.issued', 'Sun, 13 Dec 2026 10:00:01 GMT'],
          ['.expires', 'Sun, 27 Dec 2026 10:00:01 GMT'],
        ],
      ).toString('hex'),
    );
  });

  test('not with slidingExpiration false, nor for a ticket that says allowRefresh false', async () => {
    const off = await signedIn({ slidingExpiration: false });
    off.clock.at = SIGN_IN_AT + 10 * DAY;
    expect(await off.authentication.authenticate(request(off.cookie))).toMatchObject({
      shouldRefresh: false,
    });
    const context = setup();
    const { setCookies } = await context.authentication.signIn(request(), ADA, { allowRefresh: false });
    context.clock.at = SIGN_IN_AT + 10 * DAY;
    expect(await context.authentication.authenticate(request(cookieHeaderOf(setCookies)))).toMatchObject({
      shouldRefresh: false,
    });
  });
});

describe('chunking, as ChunkingCookieManager', () => {
  const attributes = {
    path: '/',
    domain: undefined,
    expires: undefined,
    maxAgeSeconds: undefined,
    secure: false,
    sameSite: 'lax' as const,
    httpOnly: true,
  };
  const template = setCookieHeader('.AspNetCore.Cookies', '', attributes).length;

  test('one cookie up to one character under the chunk size; above it chunks of size − template − 3', () => {
    const fits = 'a'.repeat(DEFAULT_CHUNK_SIZE - template - 1);
    expect(chunkedSetCookies('.AspNetCore.Cookies', fits, attributes, DEFAULT_CHUNK_SIZE)).toEqual([
      setCookieHeader('.AspNetCore.Cookies', fits, attributes),
    ]);
    const perChunk = DEFAULT_CHUNK_SIZE - template - 3;
    const value = `${'a'.repeat(perChunk)}${'b'.repeat(perChunk)}c`;
    expect(chunkedSetCookies('.AspNetCore.Cookies', value, attributes, DEFAULT_CHUNK_SIZE)).toEqual([
      '.AspNetCore.Cookies=chunks-3; path=/; samesite=lax; httponly',
      `.AspNetCore.CookiesC1=${'a'.repeat(perChunk)}; path=/; samesite=lax; httponly`,
      `.AspNetCore.CookiesC2=${'b'.repeat(perChunk)}; path=/; samesite=lax; httponly`,
      '.AspNetCore.CookiesC3=c; path=/; samesite=lax; httponly',
    ]);
    expect(
      chunkedSetCookies(
        '.AspNetCore.Cookies',
        'a'.repeat(DEFAULT_CHUNK_SIZE - template),
        attributes,
        DEFAULT_CHUNK_SIZE,
      ),
    ).toHaveLength(3);
  });

  test('a big ticket goes out in chunks, reads back whole, is partial without a chunk, and signs out chunk by chunk', async () => {
    const { authentication, log } = setup();
    const groups = Array.from({ length: 120 }, (_, index) => ({
      type: ClaimTypes.Role,
      value: `group-${index}-${'x'.repeat(40)}`,
    }));
    const { setCookies } = await authentication.signIn(request(), {
      authenticationType: 'Cookies',
      claims: groups,
    });
    expect(setCookies.length).toBeGreaterThan(2);
    expect(setCookies[0]).toBe(
      `.AspNetCore.Cookies=chunks-${setCookies.length - 1}; path=/; samesite=lax; httponly`,
    );
    for (const header of setCookies) expect(header.length).toBeLessThanOrEqual(DEFAULT_CHUNK_SIZE);
    const cookie = cookieHeaderOf(setCookies);
    const read = await authentication.authenticate(request(cookie));
    expect(read.outcome === 'signed-in' && read.principal.isInRole(groups[119]!.value)).toBe(true);

    const withoutOne = cookie
      .split('; ')
      .filter((pair) => !pair.startsWith('.AspNetCore.CookiesC2='))
      .join('; ');
    expect(await authentication.authenticate(request(withoutOne))).toMatchObject({
      outcome: 'failed',
      reason: 'partial',
    });
    expect(log.warnings[0]).toMatch(/chunks and some are missing/);

    const out = authentication.signOut(request(cookie));
    expect(out).toEqual([
      '.AspNetCore.Cookies=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/; samesite=lax; httponly',
      ...setCookies
        .slice(1)
        .map(
          (_, index) =>
            `.AspNetCore.CookiesC${index + 1}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/; samesite=lax; httponly`,
        ),
    ]);
    // A forged count makes no more deletions than the chunks sent.
    expect(
      authentication.signOut(request('.AspNetCore.Cookies=chunks-2000000000; .AspNetCore.CookiesC1=x')),
    ).toHaveLength(2);
  });
});

describe('options', () => {
  const dataProtection = createDataProtection({
    applicationName: 'shop',
    repository: new EphemeralXmlRepository(),
    logger: false,
  });

  test.each([
    [
      { dataProtection, secret: 'keyboard cat' },
      /Unknown cookie authentication option 'secret': the cookie is protected with the data protection key ring/,
    ],
    [
      { dataProtection, cookie: { expiration: '1d' } },
      /Unknown cookie option 'expiration': ASP.NET Core ignores Cookie.Expiration.*expireTimeSpan/,
    ],
    [{ dataProtection, name: 'auth' }, /cookie.name/],
    [{ dataProtection: dataProtection.createProtector('x') }, /pass the provider itself/],
    [{}, /dataProtection is required/],
    [
      { dataProtection, cookie: { sameSite: 'none', securePolicy: 'none' } },
      /sameSite 'none' needs a Secure cookie/,
    ],
    [{ dataProtection, cookie: { name: 'a b' } }, /cookie.name must be a cookie name/],
    [{ dataProtection, expireTimeSpan: 'forever' }, /expireTimeSpan must be/],
    [{ dataProtection, chunkSize: 10 }, /chunkSize must be/],
  ])('refused at start-up with what to fix: %#', (options, message) => {
    expect(() => new CookieAuthentication(options as never)).toThrow(CookieAuthenticationConfigurationError);
    expect(() => new CookieAuthentication(options as never)).toThrow(message);
  });

  test('chunkSize null never chunks', async () => {
    const { authentication } = setup({ chunkSize: null });
    const claims = Array.from({ length: 200 }, (_, index) => ({
      type: 'group',
      value: `group-${index}-${'x'.repeat(30)}`,
    }));
    const { setCookies } = await authentication.signIn(request(), { authenticationType: 'Cookies', claims });
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]!.length).toBeGreaterThan(DEFAULT_CHUNK_SIZE);
  });
});
