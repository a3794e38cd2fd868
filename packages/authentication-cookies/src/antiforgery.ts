import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type DataProtectionProvider,
  type DataProtector,
  PayloadError,
} from '@sharedstate/dataprotection-abstractions';
import { type Logger, LogThrottle, refuseUnknownOptions, resolveLogger } from '@sharedstate/shared-helpers';
import { parse as parseCookies } from 'cookie';
import {
  type AntiforgeryToken,
  authenticatedIdentity,
  claimUidOf,
  deserializeAntiforgeryToken,
  SECURITY_TOKEN_BYTES,
  serializeAntiforgeryToken,
} from './antiforgery-token.ts';
import { AuthenticationUsageError, CookieAuthenticationConfigurationError } from './authentication-errors.ts';
import { type SameSite, setCookieHeader } from './chunking-cookies.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import type { CookieSecurePolicy } from './cookie-authentication-options.ts';

/** DefaultAntiforgeryTokenSerializer's protector purpose (after the application name, as every protector). */
export const ANTIFORGERY_PURPOSE = 'Microsoft.AspNetCore.Antiforgery.AntiforgeryToken.v1';
/** AntiforgeryOptions.DefaultCookiePrefix. */
export const ANTIFORGERY_COOKIE_PREFIX = '.AspNetCore.Antiforgery.';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** ASP.NET Core's AntiforgeryOptions, as far as they apply here. */
export interface AntiforgeryOptions {
  /** The provider on the key ring the ASP.NET Core app uses, with the same application name. */
  dataProtection: DataProtectionProvider;
  cookie?: {
    /** Default `.AspNetCore.Antiforgery.` and 11 characters from the application name's SHA-256, as ASP.NET Core names it. */
    name?: string;
    /** Default '/'. */
    path?: string;
    domain?: string;
    /** Default 'strict'. */
    sameSite?: SameSite;
    /** Default 'none' (ASP.NET Core's default for this cookie). */
    securePolicy?: CookieSecurePolicy;
  };
  /** The form field the request token comes in. Default `__RequestVerificationToken`. */
  formFieldName?: string;
  /** The header the request token comes in (from script). Default `RequestVerificationToken`. */
  headerName?: string;
  /** Where rejected tokens' reasons go (at most once a minute each). Default the console; false for none. */
  logger?: Logger | false;
}

/** What a page needs to post back: the request token for its form or header, and the cookie when a new one was made. */
export interface AntiforgeryTokenSet {
  requestToken: string;
  formFieldName: string;
  headerName: string;
  /** The Set-Cookie for the response, when the request had no valid cookie token (undefined otherwise). */
  setCookie: string | undefined;
}

export type AntiforgeryValidation =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: string };

const KNOWN = {
  dataProtection: true,
  cookie: true,
  formFieldName: true,
  headerName: true,
  logger: true,
} as const;
const KNOWN_COOKIE = { name: true, path: true, domain: true, sameSite: true, securePolicy: true } as const;

/**
 * ASP.NET Core's antiforgery (DefaultAntiforgery) on a shared key ring: a form rendered by either side posts
 * to the other. The cookie token and the request token share a random security token; a request token is
 * bound to the signed-in user (a SHA-256 of their identifying claims, or their name), so it validates only
 * for that user.
 */
export class Antiforgery {
  readonly cookieName: string;
  readonly formFieldName: string;
  readonly headerName: string;
  readonly #protector: DataProtector;
  readonly #cookie: {
    path: string;
    domain: string | undefined;
    sameSite: SameSite;
    securePolicy: CookieSecurePolicy;
  };
  readonly #log: LogThrottle;

  constructor(options: AntiforgeryOptions) {
    const fail = (message: string): never => {
      throw new CookieAuthenticationConfigurationError(message);
    };
    if (typeof options !== 'object' || options === null)
      fail('Antiforgery needs options: { dataProtection }.');
    refuseUnknownOptions(CookieAuthenticationConfigurationError, 'antiforgery', options, KNOWN);
    const cookie = options.cookie ?? {};
    refuseUnknownOptions(CookieAuthenticationConfigurationError, 'antiforgery cookie', cookie, KNOWN_COOKIE);
    if (typeof options.dataProtection?.createProtector !== 'function') {
      fail(
        'dataProtection is required: the provider whose key ring the ASP.NET Core app uses, with the same application name.',
      );
    }
    this.#protector = options.dataProtection.createProtector(ANTIFORGERY_PURPOSE);
    this.cookieName = cookie.name ?? defaultCookieName(options.dataProtection.applicationName);
    this.formFieldName = options.formFieldName ?? '__RequestVerificationToken';
    this.headerName = options.headerName ?? 'RequestVerificationToken';
    this.#cookie = {
      path: cookie.path ?? '/',
      domain: cookie.domain,
      sameSite: cookie.sameSite ?? 'strict',
      securePolicy: cookie.securePolicy ?? 'none',
    };
    this.#log = new LogThrottle(resolveLogger(options.logger, CookieAuthenticationConfigurationError));
  }

  /**
   * The tokens for a page with a form: the request's cookie token kept when it is valid, else a new one
   * (with its Set-Cookie), and a request token made from it for `user` (the signed-in user, if any).
   */
  async getAndStoreTokens(
    request: { cookieHeader: string | undefined; secure: boolean },
    user?: ClaimsPrincipal,
  ): Promise<AntiforgeryTokenSet> {
    let cookieToken = await this.#readToken(this.#cookieValue(request.cookieHeader));
    let setCookie: string | undefined;
    if (cookieToken?.isCookieToken !== true) {
      cookieToken = {
        securityToken: new Uint8Array(randomBytes(SECURITY_TOKEN_BYTES)),
        isCookieToken: true,
        claimUid: undefined,
        username: '',
        additionalData: '',
      };
      setCookie = setCookieHeader(this.cookieName, await this.#protect(cookieToken), {
        ...this.#cookie,
        expires: undefined,
        maxAgeSeconds: undefined,
        httpOnly: true,
        secure:
          this.#cookie.securePolicy === 'always' ||
          (this.#cookie.securePolicy === 'sameAsRequest' && request.secure),
      });
    }
    // A signed-in user is bound by their claims (DefaultClaimUidExtractor hashes every claim when none
    // identifies them): a name alone only binds an identity without claims, which has no name either.
    const signedIn = authenticatedIdentity(user) !== undefined;
    const claimUid = signedIn ? claimUidOf(user) : undefined;
    if (signedIn && claimUid === undefined) {
      throw new AuthenticationUsageError(
        'The signed-in user has no claims: an antiforgery token cannot be bound to them.',
      );
    }
    const requestToken = await this.#protect({
      securityToken: cookieToken.securityToken,
      isCookieToken: false,
      claimUid,
      username: '',
      additionalData: '',
    });
    return { requestToken, formFieldName: this.formFieldName, headerName: this.headerName, setCookie };
  }

  /**
   * Whether a request's tokens are a pair made for `user`: the cookie token from its Cookie header, the
   * request token from its form field or header (the app reads it; `undefined` when it sent none).
   */
  async validate(
    request: { cookieHeader: string | undefined; requestToken: string | undefined },
    user?: ClaimsPrincipal,
  ): Promise<AntiforgeryValidation> {
    const cookieValue = this.#cookieValue(request.cookieHeader);
    if (cookieValue === undefined)
      return this.#invalid(`The antiforgery cookie "${this.cookieName}" is not present.`);
    if (!request.requestToken)
      return this.#invalid(
        `The antiforgery request token was not sent (form field "${this.formFieldName}" or header "${this.headerName}").`,
      );
    const cookieToken = await this.#readToken(cookieValue);
    const requestToken = await this.#readToken(request.requestToken);
    if (cookieToken === undefined || requestToken === undefined)
      return this.#invalid('The antiforgery token could not be decrypted.');
    if (!cookieToken.isCookieToken || requestToken.isCookieToken)
      return this.#invalid('The antiforgery cookie token and request token were swapped.');
    if (!timingSafeEqual(cookieToken.securityToken, requestToken.securityToken)) {
      return this.#invalid('The antiforgery cookie token and request token do not match.');
    }
    const identity = authenticatedIdentity(user);
    const claimUid = identity ? claimUidOf(user) : undefined;
    // A name-bound token (one made for a user of another kind) never matches a user this package reads:
    // with no claims to hash, such a user has no name either, and an empty name matches only "".
    const sameName = requestToken.username === '';
    const sameClaims =
      requestToken.claimUid === undefined
        ? claimUid === undefined
        : claimUid !== undefined && timingSafeEqual(requestToken.claimUid, claimUid);
    if (!sameName || !sameClaims) {
      return this.#invalid(
        identity === undefined
          ? 'The antiforgery request token was made for a signed-in user, and this request has none.'
          : 'The antiforgery request token was made for another user.',
      );
    }
    return VALID;
  }

  #cookieValue(header: string | undefined): string | undefined {
    return header ? parseCookies(header)[this.cookieName] || undefined : undefined;
  }

  async #protect(token: AntiforgeryToken): Promise<string> {
    return Buffer.from(await this.#protector.protect(serializeAntiforgeryToken(token))).toString('base64url');
  }

  /** The token in a value, or undefined for anything that is not one (tampered, another app's, no token). */
  async #readToken(value: string | undefined): Promise<AntiforgeryToken | undefined> {
    if (value === undefined || !BASE64URL.test(value)) return undefined;
    try {
      return deserializeAntiforgeryToken(await this.#protector.unprotect(Buffer.from(value, 'base64url')));
    } catch (error) {
      if (error instanceof PayloadError) return undefined;
      throw error;
    }
  }

  #invalid(reason: string): AntiforgeryValidation {
    this.#log.log('warn', reason, `Antiforgery validation failed: ${reason}`);
    return { valid: false, reason };
  }
}

const VALID: AntiforgeryValidation = Object.freeze({ valid: true });

/** ASP.NET Core's default cookie name: the prefix and the first 8 bytes of SHA-256(application name), base64url. */
function defaultCookieName(applicationName: string | null): string {
  const hash = createHash('sha256')
    .update(applicationName ?? '', 'utf8')
    .digest();
  return `${ANTIFORGERY_COOKIE_PREFIX}${hash.subarray(0, 8).toString('base64url')}`;
}
