// ASP.NET Core's antiforgery tokens on a shared key ring: the token bytes of DefaultAntiforgeryTokenSerializer,
// the claim UID of DefaultClaimUidExtractor, the default cookie name, and validation as
// DefaultAntiforgeryTokenGenerator.TryValidateTokenSet decides it.
import { createHash, randomBytes } from 'node:crypto';
import {
  Antiforgery,
  ClaimsPrincipal,
  ClaimTypes,
  CookieAuthenticationConfigurationError,
} from '@sharedstate/authentication-cookies';
import { cookieAuthentication, getUser, signIn } from '@sharedstate/authentication-cookies/express';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { httpApps, recordingLogger } from '@sharedstate/testing';
import express from 'express';
import { claimUidOf } from '../src/antiforgery-token.ts';
import { ANTIFORGERY_PURPOSE, short } from './dotnet-bytes.ts';
import { Browser } from './framework-apps.ts';

const dataProtection = createDataProtection({
  applicationName: 'shop',
  repository: new EphemeralXmlRepository(),
  logger: false,
});
// ASP.NET Core's protector for the tokens, from FORMATS.md's purpose, not from the package's code.
const aspNetCore = dataProtection.createProtector(ANTIFORGERY_PURPOSE);
const protect = async (bytes: Buffer) => Buffer.from(await aspNetCore.protect(bytes)).toString('base64url');
const unprotect = async (token: string) =>
  Buffer.from(await aspNetCore.unprotect(Buffer.from(token, 'base64url')));

const securityToken = randomBytes(16);
const cookieTokenBytes = Buffer.concat([Buffer.of(1), securityToken, Buffer.of(1)]);
/** A request token bound to a name ("" for an anonymous user): claims flag 0, the name, empty additional data. */
const namedRequestTokenBytes = (username: string) =>
  Buffer.concat([Buffer.of(1), securityToken, Buffer.of(0), Buffer.of(0), short(username), short('')]);
const claimsRequestTokenBytes = (claimUid: Buffer) =>
  Buffer.concat([Buffer.of(1), securityToken, Buffer.of(0), Buffer.of(1), claimUid, short('')]);

const ada = ClaimsPrincipal.from({
  authenticationType: 'Cookies',
  claims: [
    { type: ClaimTypes.Name, value: 'ada' },
    { type: ClaimTypes.NameIdentifier, value: '42' },
  ],
});
const named = (name: string) =>
  ClaimsPrincipal.from({ authenticationType: 'Cookies', claims: [{ type: ClaimTypes.Name, value: name }] });
/** SHA-256 over .NET BinaryWriter strings, assembled here from DefaultClaimUidExtractor's rule. */
const sha256Of = (...strings: string[]) =>
  createHash('sha256')
    .update(Buffer.concat(strings.map(short)))
    .digest();

describe('antiforgery', () => {
  const log = recordingLogger();
  const antiforgery = new Antiforgery({ dataProtection, logger: log.logger });
  const cookie = async () => `${antiforgery.cookieName}=${await protect(cookieTokenBytes)}`;

  test("the cookie is named as ASP.NET Core names it: the prefix and 8 bytes of the application name's SHA-256", () => {
    expect(antiforgery.cookieName).toBe('.AspNetCore.Antiforgery.jZAB0yxqcD0');
    const unnamed = createDataProtection({
      applicationName: null,
      repository: new EphemeralXmlRepository(),
      logger: false,
    });
    expect(new Antiforgery({ dataProtection: unnamed, logger: false }).cookieName).toBe(
      '.AspNetCore.Antiforgery.47DEQpj8HBQ',
    );
  });

  test('the claim UID is the SHA-256 of the first identifying claim, else of every claim sorted by type', () => {
    expect(Buffer.from(claimUidOf(ada)!).toString('hex')).toBe(
      sha256Of(ClaimTypes.NameIdentifier, '42', 'LOCAL AUTHORITY').toString('hex'),
    );
    const withSub = ClaimsPrincipal.from({
      authenticationType: 'Bearer',
      claims: [
        { type: ClaimTypes.NameIdentifier, value: '42' },
        { type: 'sub', value: 'u-7', issuer: 'https://idp.example' },
      ],
    });
    expect(Buffer.from(claimUidOf(withSub)!).toString('hex')).toBe(
      sha256Of('sub', 'u-7', 'https://idp.example').toString('hex'),
    );
    const onlyOthers = ClaimsPrincipal.from({
      authenticationType: 'Cookies',
      claims: [
        { type: 'role', value: 'admin' },
        { type: 'email', value: 'ada@example.com' },
      ],
    });
    expect(Buffer.from(claimUidOf(onlyOthers)!).toString('hex')).toBe(
      sha256Of('email', 'ada@example.com', 'LOCAL AUTHORITY', 'role', 'admin', 'LOCAL AUTHORITY').toString(
        'hex',
      ),
    );
    expect(
      claimUidOf(
        ClaimsPrincipal.from({ authenticationType: undefined, claims: [{ type: 'sub', value: 'x' }] }),
      ),
    ).toBeUndefined();
  });

  test('tokens ASP.NET Core made validate for their user, and only for them', async () => {
    const anonymous = await protect(namedRequestTokenBytes(''));
    const forAda = await protect(
      claimsRequestTokenBytes(sha256Of(ClaimTypes.NameIdentifier, '42', 'LOCAL AUTHORITY')),
    );
    // No identifying claim: every claim is hashed, so the name's case matters.
    const forGrace = await protect(
      claimsRequestTokenBytes(sha256Of(ClaimTypes.Name, 'grace', 'LOCAL AUTHORITY')),
    );
    const byName = await protect(namedRequestTokenBytes('grace'));
    const cookieHeader = await cookie();
    const check = (requestToken: string, user?: ClaimsPrincipal) =>
      antiforgery.validate({ cookieHeader, requestToken }, user);
    expect(await check(anonymous)).toEqual({ valid: true });
    expect(await check(forAda, ada)).toEqual({ valid: true });
    expect(await check(forGrace, named('grace'))).toEqual({ valid: true });
    expect(await check(forGrace, named('Grace'))).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/another user/),
    });
    expect(await check(forAda, named('ada'))).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/another user/),
    });
    expect(await check(forAda)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/this request has none/),
    });
    expect(await check(anonymous, ada)).toMatchObject({ valid: false });
    expect(await check(byName)).toMatchObject({ valid: false });
    expect(await check(byName, named('grace'))).toMatchObject({ valid: false });
  });

  test('a swapped, mismatched, tampered or missing token is refused with the reason, never an exception', async () => {
    const cookieHeader = await cookie();
    const otherSecurityToken = Buffer.concat([
      Buffer.of(1),
      randomBytes(16),
      Buffer.of(0),
      Buffer.of(0),
      short(''),
      short(''),
    ]);
    const cases = [
      { cookieHeader, requestToken: await protect(cookieTokenBytes) },
      { cookieHeader, requestToken: await protect(otherSecurityToken) },
      { cookieHeader, requestToken: (await protect(namedRequestTokenBytes(''))).slice(0, -3) },
      { cookieHeader, requestToken: 'not a token' },
      { cookieHeader, requestToken: undefined },
      { cookieHeader: 'theme=dark', requestToken: await protect(namedRequestTokenBytes('')) },
      // Left-over bytes after the additional data: not a token.
      {
        cookieHeader,
        requestToken: await protect(Buffer.concat([namedRequestTokenBytes(''), Buffer.of(0)])),
      },
    ];
    const reasons = [];
    for (const request of cases) reasons.push(await antiforgery.validate(request));
    expect(reasons.map((result) => (result.valid ? 'valid' : result.reason))).toEqual([
      'The antiforgery cookie token and request token were swapped.',
      'The antiforgery cookie token and request token do not match.',
      'The antiforgery token could not be decrypted.',
      'The antiforgery token could not be decrypted.',
      'The antiforgery request token was not sent (form field "__RequestVerificationToken" or header "RequestVerificationToken").',
      'The antiforgery cookie ".AspNetCore.Antiforgery.jZAB0yxqcD0" is not present.',
      'The antiforgery token could not be decrypted.',
    ]);
    expect(log.warnings.length).toBeGreaterThan(0);
  });

  test("tokens made here are ASP.NET Core's bytes: a new cookie token when the request has none, the same one after", async () => {
    const first = await antiforgery.getAndStoreTokens({ cookieHeader: undefined, secure: false }, ada);
    expect(first.setCookie).toMatch(
      /^\.AspNetCore\.Antiforgery\.jZAB0yxqcD0=[\w-]+; path=\/; samesite=strict; httponly$/,
    );
    const cookieToken = await unprotect(first.setCookie!.split(';')[0]!.split('=')[1]!);
    expect(cookieToken).toHaveLength(18);
    expect([cookieToken[0], cookieToken[17]]).toEqual([1, 1]);
    const requestToken = await unprotect(first.requestToken);
    expect(requestToken.toString('hex')).toBe(
      Buffer.concat([
        Buffer.of(1),
        cookieToken.subarray(1, 17),
        Buffer.of(0),
        Buffer.of(1),
        sha256Of(ClaimTypes.NameIdentifier, '42', 'LOCAL AUTHORITY'),
        short(''),
      ]).toString('hex'),
    );
    const cookieHeader = first.setCookie!.split(';')[0]!;
    expect(await antiforgery.validate({ cookieHeader, requestToken: first.requestToken }, ada)).toEqual({
      valid: true,
    });
    const second = await antiforgery.getAndStoreTokens({ cookieHeader, secure: false }, named('grace'));
    expect(second.setCookie).toBeUndefined();
    expect((await unprotect(second.requestToken)).toString('hex')).toBe(
      Buffer.concat([
        Buffer.of(1),
        cookieToken.subarray(1, 17),
        Buffer.of(0),
        Buffer.of(1),
        sha256Of(ClaimTypes.Name, 'grace', 'LOCAL AUTHORITY'),
        short(''),
      ]).toString('hex'),
    );
    expect(
      await antiforgery.validate({ cookieHeader, requestToken: second.requestToken }, named('grace')),
    ).toEqual({
      valid: true,
    });
    const anonymous = await antiforgery.getAndStoreTokens({ cookieHeader, secure: false });
    expect((await unprotect(anonymous.requestToken)).toString('hex')).toBe(
      Buffer.concat([
        Buffer.of(1),
        cookieToken.subarray(1, 17),
        Buffer.of(0),
        Buffer.of(0),
        short(''),
        short(''),
      ]).toString('hex'),
    );
  });

  test('options are checked as ASP.NET Core names them', () => {
    expect(
      () =>
        new Antiforgery({ dataProtection, headerName: 'X-CSRF', cookie: { name: 'xsrf' }, logger: false }),
    ).not.toThrow();
    expect(() => new Antiforgery({ dataProtection, suppressXFrameOptionsHeader: true } as never)).toThrow(
      CookieAuthenticationConfigurationError,
    );
    expect(() => new Antiforgery({} as never)).toThrow(/dataProtection is required/);
  });
});

describe('antiforgery in an Express app, as the docs show it', () => {
  const apps = httpApps();

  test('a form rendered with the tokens posts back; without them, or as someone else, it is a 400', async () => {
    const antiforgery = new Antiforgery({ dataProtection, logger: false });
    const app = express();
    app.use(cookieAuthentication({ dataProtection, logger: false }));
    app.post('/login', async (req, res) => {
      await signIn(req, {
        authenticationType: 'Cookies',
        claims: [{ type: ClaimTypes.NameIdentifier, value: '42' }],
      });
      res.send('ok');
    });
    app.get('/transfer', async (req, res) => {
      const tokens = await antiforgery.getAndStoreTokens(
        { cookieHeader: req.headers.cookie, secure: req.secure },
        getUser(req),
      );
      if (tokens.setCookie) res.append('Set-Cookie', tokens.setCookie);
      res.send(
        `<form method="post"><input type="hidden" name="${tokens.formFieldName}" value="${tokens.requestToken}"></form>`,
      );
    });
    app.post('/transfer', express.urlencoded({ extended: false }), async (req, res) => {
      const check = await antiforgery.validate(
        {
          cookieHeader: req.headers.cookie,
          requestToken: req.body?.[antiforgery.formFieldName] ?? req.get(antiforgery.headerName),
        },
        getUser(req),
      );
      if (!check.valid) {
        res.status(400).send('Bad request');
        return;
      }
      res.send('transferred');
    });
    const url = await apps.start(app);
    const browser = new Browser();
    await browser.send(`${url}/login`, 'POST');
    const form = await (await browser.send(`${url}/transfer`)).text();
    const token = /value="([\w-]+)"/.exec(form)![1]!;
    const post = (body: string, cookie = browser.cookieHeader) =>
      fetch(`${url}/transfer`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect(await (await post(`__RequestVerificationToken=${token}`)).text()).toBe('transferred');
    expect((await post('')).status).toBe(400);
    // Signed out, the token made for the signed-in user no longer validates.
    const withoutSignIn = browser.cookieHeader
      .split('; ')
      .filter((pair) => !pair.startsWith('.AspNetCore.Cookies='))
      .join('; ');
    expect((await post(`__RequestVerificationToken=${token}`, withoutSignIn)).status).toBe(400);
  });
});
