import {
  type CookieUnprotectOutcome,
  cookieUnprotectChannel,
  cookieUnprotectOutcomeOf,
  type DataProtector,
  PayloadError,
} from '@sharedstate/dataprotection-abstractions';
import { LogThrottle } from '@sharedstate/shared-helpers';
import { parse as parseCookies } from 'cookie';
import { SignInError } from './authentication-errors.ts';
import { AuthenticationProperties } from './authentication-properties.ts';
import {
  type CookieAttributes,
  chunkedSetCookies,
  deletingSetCookies,
  readChunkedCookie,
} from './chunking-cookies.ts';
import type { AuthenticationTicket } from './claims.ts';
import { type ClaimsIdentityInput, ClaimsPrincipal } from './claims-principal.ts';
import {
  type CookieAuthenticationOptions,
  type ResolvedCookieAuthenticationOptions,
  resolveCookieAuthenticationOptions,
} from './cookie-authentication-options.ts';
import { deserializeTicket, serializeTicket } from './ticket-serializer.ts';

/** ASP.NET Core's cookie authentication protector: these purposes, then the scheme, then "v2". */
export const COOKIE_AUTHENTICATION_PURPOSE =
  'Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware';
const PURPOSE_VERSION = 'v2';
/** The one claim of a ticket whose real content is in an ASP.NET Core ticket store (ITicketStore). */
const SESSION_ID_CLAIM = 'Microsoft.AspNetCore.Authentication.Cookies-SessionId';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** What a request says about itself that the cookie depends on. */
export interface AuthenticationRequest {
  /** The request's Cookie header. */
  readonly cookieHeader: string | undefined;
  /** The request came over HTTPS (the cookie's Secure attribute, with securePolicy 'sameAsRequest'). */
  readonly secure: boolean;
}

/** Why a request with a cookie is not signed in. */
export type AuthenticationFailureReason =
  /** Not a ticket this app can read: tampered, another app's, another scheme's, or not protected at all. */
  | 'unreadable'
  /** Protected with a key this key ring does not have (another key ring, or a key since deleted). */
  | 'unknown-key'
  /** Protected with a key that has been revoked. */
  | 'revoked-key'
  /** The browser sent a chunked cookie without all of its chunks. */
  | 'partial'
  /** The ticket's `.expires` has passed. */
  | 'expired'
  /** The ticket is a key into an ASP.NET Core ticket store (SessionStore), which Node cannot read. */
  | 'ticket-store';

export type AuthenticateResult =
  | {
      readonly outcome: 'signed-in';
      readonly principal: ClaimsPrincipal;
      readonly properties: AuthenticationProperties;
      /** Sliding expiration wants the cookie re-issued (more than half of its lifetime has passed). */
      readonly shouldRefresh: boolean;
    }
  | { readonly outcome: 'none' }
  | { readonly outcome: 'failed'; readonly reason: AuthenticationFailureReason; readonly message: string };

/** What signing in wants for the ticket; anything not given is filled in as ASP.NET Core does. */
export interface SignInProperties {
  /** A persistent sign-in ("remember me"): the cookie outlives the browser session. Default false. */
  isPersistent?: boolean;
  /** Default now. */
  issuedUtc?: Date;
  /** Default issuedUtc + expireTimeSpan. */
  expiresUtc?: Date;
  /** false keeps sliding expiration from renewing this ticket. */
  allowRefresh?: boolean;
  redirectUri?: string;
  /** More items for the ticket, in order. */
  items?: Readonly<Record<string, string>>;
}

/** Whom to sign in: a principal, or one or more identities as plain objects. */
export type SignInPrincipal = ClaimsPrincipal | ClaimsIdentityInput | readonly ClaimsIdentityInput[];

/**
 * ASP.NET Core's cookie authentication (CookieAuthenticationHandler) for any framework: reads the
 * authentication cookie of a request into the signed-in user, and makes the Set-Cookie values that sign a
 * user in, renew the sign-in, or sign out. The ticket is ASP.NET Core's, protected with the key ring it
 * shares, so each side accepts the other's cookie.
 */
export class CookieAuthentication {
  readonly #options: ResolvedCookieAuthenticationOptions;
  readonly #protector: DataProtector;
  readonly #log: LogThrottle;

  constructor(options: CookieAuthenticationOptions) {
    this.#options = resolveCookieAuthenticationOptions(options);
    this.#protector = this.#options.dataProtection.createProtector(
      COOKIE_AUTHENTICATION_PURPOSE,
      this.#options.scheme,
      PURPOSE_VERSION,
    );
    this.#log = new LogThrottle(this.#options.logger);
  }

  get scheme(): string {
    return this.#options.scheme;
  }

  get cookieName(): string {
    return this.#options.cookieName;
  }

  /**
   * Who the request's cookie signs in. A missing cookie is 'none'; a tampered, foreign, partial or expired
   * one is 'failed' with the reason (logged, at most once a minute per reason, except expiry, which is
   * routine). Rejects only when the key ring cannot be read (RepositoryUnavailableError, a 503 in every
   * framework): the user is then neither signed in nor out.
   */
  async authenticate(request: AuthenticationRequest): Promise<AuthenticateResult> {
    if (!request.cookieHeader) return NONE;
    const cookies = parseCookies(request.cookieHeader);
    const cookie = readChunkedCookie(cookies, this.#options.cookieName);
    if (cookie === undefined) return NONE;
    if (cookie.partial) {
      return this.#fail(
        'partial',
        `the cookie came in ${cookie.chunks} chunks and some are missing (a browser or proxy limit on cookie size?)`,
      );
    }
    const ticket = await this.#unprotect(cookie.value);
    if (typeof ticket === 'string') return this.#fail(ticket, UNPROTECT_MESSAGES[ticket]);
    const principal = new ClaimsPrincipal(ticket.identities);
    if (principal.claims.length === 1 && principal.claims[0]!.type === SESSION_ID_CLAIM) {
      return this.#fail(
        'ticket-store',
        'the ASP.NET Core app keeps its tickets in a SessionStore (ITicketStore) and the cookie holds only the key; remove SessionStore there so the ticket travels in the cookie',
      );
    }
    const properties = new AuthenticationProperties(ticket.items);
    const now = this.#options.clock.now();
    const expires = properties.expiresUtc;
    if (expires !== undefined && expires.getTime() < now) {
      // Routine (a user back after the ticket's lifetime): not logged as a warning.
      this.#options.logger?.debug(`Authentication cookie expired at ${expires.toISOString()}.`);
      return { outcome: 'failed', reason: 'expired', message: 'Ticket expired' };
    }
    return {
      outcome: 'signed-in',
      principal,
      properties,
      shouldRefresh: this.#dueForRefresh(properties, now),
    };
  }

  /**
   * The Set-Cookie values that sign `user` in (chunked when long), and the ticket's properties as written:
   * issued now unless given, expiring after expireTimeSpan unless given; a persistent sign-in's cookie
   * expires with the ticket, any other at the end of the browser session.
   */
  async signIn(
    request: AuthenticationRequest,
    user: SignInPrincipal,
    options: SignInProperties | AuthenticationProperties = {},
  ): Promise<{ setCookies: string[]; properties: AuthenticationProperties; principal: ClaimsPrincipal }> {
    const principal = toPrincipal(user);
    const properties = signInProperties(options);
    const issued = properties.issuedUtc ?? new Date(this.#options.clock.now());
    if (properties.issuedUtc === undefined) properties.issuedUtc = issued;
    if (properties.expiresUtc === undefined) {
      properties.expiresUtc = new Date(issued.getTime() + this.#options.expireTimeSpanMs);
    }
    const setCookies = await this.#issue(request, principal, properties);
    return { setCookies, properties, principal };
  }

  /**
   * The Set-Cookie values that renew a signed-in request's cookie under sliding expiration: the same ticket,
   * issued now, with the lifetime it had.
   */
  async refresh(
    request: AuthenticationRequest,
    principal: ClaimsPrincipal,
    properties: AuthenticationProperties,
  ): Promise<string[]> {
    const issued = properties.issuedUtc;
    const expires = properties.expiresUtc;
    if (issued === undefined || expires === undefined) return [];
    const renewed = new AuthenticationProperties(properties.items());
    const now = this.#options.clock.now();
    renewed.issuedUtc = new Date(now);
    renewed.expiresUtc = new Date(now + (expires.getTime() - issued.getTime()));
    return this.#issue(request, principal, renewed);
  }

  /** The Set-Cookie values that sign out: the cookie and each chunk the request sent, expired. */
  signOut(request: AuthenticationRequest): string[] {
    const cookies = request.cookieHeader ? parseCookies(request.cookieHeader) : {};
    return deletingSetCookies(this.#options.cookieName, cookies, this.#attributes(request, undefined));
  }

  /** The cookie value ASP.NET Core would write for this ticket: protected TicketSerializer bytes, base64url. */
  async protectTicket(principal: ClaimsPrincipal, properties: AuthenticationProperties): Promise<string> {
    const bytes = serializeTicket({
      scheme: this.#options.scheme,
      identities: [...principal.identities],
      items: properties.items(),
    });
    const protectedBytes = await this.#protector.protect(bytes);
    return Buffer.from(protectedBytes).toString('base64url');
  }

  async #issue(
    request: AuthenticationRequest,
    principal: ClaimsPrincipal,
    properties: AuthenticationProperties,
  ): Promise<string[]> {
    const value = await this.protectTicket(principal, properties);
    const expires = properties.isPersistent ? properties.expiresUtc : undefined;
    return chunkedSetCookies(
      this.#options.cookieName,
      value,
      this.#attributes(request, expires),
      this.#options.chunkSize,
    );
  }

  /** The ticket in a cookie value, or why there is none; rejects when the key ring cannot be read. */
  async #unprotect(value: string): Promise<AuthenticationTicket | UnprotectFailure> {
    if (!BASE64URL.test(value)) return publish('unreadable', 'tampered');
    let bytes: Uint8Array;
    try {
      bytes = await this.#protector.unprotect(Buffer.from(value, 'base64url'));
    } catch (error) {
      if (!(error instanceof PayloadError)) {
        publish(undefined, cookieUnprotectOutcomeOf(error), error);
        throw error;
      }
      const outcome = cookieUnprotectOutcomeOf(error);
      return publish(
        outcome === 'unknown-key' || outcome === 'revoked-key' ? outcome : 'unreadable',
        outcome,
        error,
      );
    }
    const ticket = deserializeTicket(bytes);
    if (ticket === undefined) return publish('unreadable', 'tampered');
    publish(undefined, 'ok');
    return ticket;
  }

  #fail(reason: AuthenticationFailureReason, message: string): AuthenticateResult {
    this.#log.log(
      'warn',
      reason,
      `The authentication cookie was not accepted: ${message}. The request is not signed in.`,
    );
    return { outcome: 'failed', reason, message };
  }

  /** Sliding expiration's rule: renew once the time left is less than the time passed. */
  #dueForRefresh(properties: AuthenticationProperties, now: number): boolean {
    if (!this.#options.slidingExpiration || properties.allowRefresh === false) return false;
    const issued = properties.issuedUtc;
    const expires = properties.expiresUtc;
    if (issued === undefined || expires === undefined) return false;
    return expires.getTime() - now < now - issued.getTime();
  }

  #attributes(request: AuthenticationRequest, expires: Date | undefined): CookieAttributes {
    const { securePolicy, ...cookie } = this.#options.cookie;
    const secure = securePolicy === 'always' || (securePolicy === 'sameAsRequest' && request.secure);
    return { ...cookie, secure, expires };
  }
}

type UnprotectFailure = 'unreadable' | 'unknown-key' | 'revoked-key';

const UNPROTECT_MESSAGES: Readonly<Record<UnprotectFailure, string>> = {
  unreadable:
    'it is not a ticket this app protected (tampered, or protected by an app with another application name, scheme or key ring)',
  'unknown-key':
    'it was protected with a key this key ring does not hold (do both apps share the key ring and application name?)',
  'revoked-key': 'it was protected with a revoked key',
};

const NONE: AuthenticateResult = Object.freeze({ outcome: 'none' });

function publish<T>(result: T, outcome: CookieUnprotectOutcome, error?: unknown): T {
  if (cookieUnprotectChannel.hasSubscribers) {
    cookieUnprotectChannel.publish(
      error === undefined
        ? { cookie: 'authentication', outcome, cached: false }
        : { cookie: 'authentication', outcome, cached: false, error },
    );
  }
  return result;
}

function toPrincipal(user: SignInPrincipal): ClaimsPrincipal {
  if (user instanceof ClaimsPrincipal) return user;
  try {
    return ClaimsPrincipal.from(user);
  } catch (error) {
    throw new SignInError(`signIn() cannot make a principal: ${(error as Error).message}`, { cause: error });
  }
}

function signInProperties(options: SignInProperties | AuthenticationProperties): AuthenticationProperties {
  // Given as AuthenticationProperties, used as it is (its items in its own order), as .NET's SignInAsync does.
  if (options instanceof AuthenticationProperties) return options;
  if (typeof options !== 'object' || options === null) {
    throw new SignInError('signIn() properties must be an object: { isPersistent, expiresUtc, items, … }.');
  }
  const properties = new AuthenticationProperties();
  try {
    // The order .NET's object initializer and the handler set them in, so the bytes match.
    for (const [key, value] of Object.entries(options.items ?? {})) properties.set(key, value);
    if (options.isPersistent) properties.isPersistent = true;
    if (options.redirectUri !== undefined) properties.redirectUri = options.redirectUri;
    if (options.allowRefresh !== undefined) properties.allowRefresh = options.allowRefresh;
    if (options.issuedUtc !== undefined) properties.issuedUtc = checkedDate(options.issuedUtc, 'issuedUtc');
    if (options.expiresUtc !== undefined)
      properties.expiresUtc = checkedDate(options.expiresUtc, 'expiresUtc');
  } catch (error) {
    if (error instanceof SignInError) throw error;
    throw new SignInError(`signIn() properties: ${(error as Error).message}`, { cause: error });
  }
  return properties;
}

function checkedDate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new SignInError(`signIn() ${name} must be a valid Date; got ${String(value)}.`);
  }
  return value;
}
