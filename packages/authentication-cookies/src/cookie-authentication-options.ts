import type { DataProtectionProvider } from '@sharedstate/dataprotection-abstractions';
import {
  type Clock,
  type Duration,
  type Logger,
  parseDuration,
  refuseUnknownOptions,
  resolveLogger,
  systemClock,
} from '@sharedstate/shared-helpers';
import { CookieAuthenticationConfigurationError } from './authentication-errors.ts';
import { type CookieAttributes, DEFAULT_CHUNK_SIZE, type SameSite } from './chunking-cookies.ts';

/** CookieAuthenticationDefaults.AuthenticationScheme. */
export const DEFAULT_SCHEME = 'Cookies';
/** CookieAuthenticationDefaults.CookiePrefix: the cookie is `.AspNetCore.<scheme>`. */
export const COOKIE_PREFIX = '.AspNetCore.';
const FOURTEEN_DAYS_MS = 14 * 24 * 60 * 60 * 1000;

/** Where the cookie's Secure attribute comes from (CookieSecurePolicy). */
export type CookieSecurePolicy = 'sameAsRequest' | 'always' | 'none';

/** The cookie, as CookieAuthenticationOptions.Cookie (a CookieBuilder) describes it. */
export interface AuthenticationCookieOptions {
  /** Default `.AspNetCore.<scheme>` (`.AspNetCore.Cookies`), ASP.NET Core's. */
  name?: string;
  /** Default '/'. */
  path?: string;
  /** Default none (the host that set it). */
  domain?: string;
  /** Default 'lax'. */
  sameSite?: SameSite;
  /** Default 'sameAsRequest': Secure on HTTPS requests. */
  securePolicy?: CookieSecurePolicy;
  /** Default true. */
  httpOnly?: boolean;
  /** A Max-Age for the cookie; default none (a persistent sign-in's cookie gets Expires instead). */
  maxAge?: Duration;
}

/**
 * ASP.NET Core's CookieAuthenticationOptions, as far as they apply outside ASP.NET Core, with the names it
 * gives them.
 */
export interface CookieAuthenticationOptions {
  /**
   * The data protection provider whose key ring the ASP.NET Core app shares, with its application name:
   * `createDataProtection({ applicationName, repository })`.
   */
  dataProtection: DataProtectionProvider;
  /** The authentication scheme's name; part of the protector's purposes and the cookie's name. Default 'Cookies'. */
  scheme?: string;
  cookie?: AuthenticationCookieOptions;
  /** How long a ticket lives from its sign-in. Default 14 days. */
  expireTimeSpan?: Duration;
  /** Re-issue the cookie with a new lifetime once more than half of it has passed. Default true. */
  slidingExpiration?: boolean;
  /**
   * ChunkingCookieManager's ChunkSize: a Set-Cookie longer than this (attributes included) is split into
   * chunks. Default 4050; null never splits.
   */
  chunkSize?: number | null;
  /**
   * Where warnings go (a cookie that is tampered, foreign, partial or names an unknown key: at most once a
   * minute each). Default the console's warn and error; `false` for none.
   */
  logger?: Logger | false;
  /** Where time comes from; for tests. */
  clock?: Clock;
}

export interface ResolvedCookieAuthenticationOptions {
  dataProtection: DataProtectionProvider;
  scheme: string;
  cookieName: string;
  /** The cookie's attributes other than Secure and Expires, which depend on the request and the ticket. */
  cookie: Omit<CookieAttributes, 'secure' | 'expires'> & { securePolicy: CookieSecurePolicy };
  expireTimeSpanMs: number;
  slidingExpiration: boolean;
  chunkSize: number | undefined;
  logger: Logger | undefined;
  clock: Clock;
}

const KNOWN: Readonly<Record<keyof CookieAuthenticationOptions, true>> = {
  dataProtection: true,
  scheme: true,
  cookie: true,
  expireTimeSpan: true,
  slidingExpiration: true,
  chunkSize: true,
  logger: true,
  clock: true,
};
const KNOWN_COOKIE: Readonly<Record<keyof AuthenticationCookieOptions, true>> = {
  name: true,
  path: true,
  domain: true,
  sameSite: true,
  securePolicy: true,
  httpOnly: true,
  maxAge: true,
};
const HINTS: Readonly<Record<string, string>> = {
  name: "the cookie's name is cookie.name",
  cookieName: "the cookie's name is cookie.name",
  authenticationScheme: 'the scheme is `scheme`',
  secret: 'the cookie is protected with the data protection key ring (`dataProtection`), not a secret',
  maxAge: 'a ticket lives for `expireTimeSpan` (cookie.maxAge sets the Max-Age attribute only)',
  expires: 'a ticket lives for `expireTimeSpan`',
  sessionStore:
    'a ticket store (ITicketStore) is not supported: without one the ticket travels in the cookie, which is what both sides read',
  ticketDataFormat: "the ticket format is ASP.NET Core's TicketSerializer, protected with `dataProtection`",
};
const COOKIE_HINTS: Readonly<Record<string, string>> = {
  expiration: 'ASP.NET Core ignores Cookie.Expiration for sign-in cookies; set `expireTimeSpan`',
  expires: "set `expireTimeSpan`; a persistent sign-in gets its ticket's expiry as the cookie's Expires",
  secure: "set securePolicy: 'always', 'sameAsRequest' or 'none'",
};
const SAME_SITE: readonly SameSite[] = ['lax', 'strict', 'none', 'unspecified'];
const SECURE_POLICIES: readonly CookieSecurePolicy[] = ['sameAsRequest', 'always', 'none'];
/** A cookie name as RFC 6265 allows it (an HTTP token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The options checked and their defaults filled in; throws CookieAuthenticationConfigurationError saying what to fix. */
export function resolveCookieAuthenticationOptions(
  options: CookieAuthenticationOptions,
): ResolvedCookieAuthenticationOptions {
  const fail = (message: string): never => {
    throw new CookieAuthenticationConfigurationError(message);
  };
  if (typeof options !== 'object' || options === null) {
    fail('cookieAuthentication() needs options: { dataProtection, scheme?, cookie?, expireTimeSpan? }.');
  }
  refuseUnknownOptions(
    CookieAuthenticationConfigurationError,
    'cookie authentication',
    options,
    KNOWN,
    HINTS,
  );
  const dataProtection = options.dataProtection as Partial<DataProtectionProvider> | undefined;
  if (
    dataProtection &&
    typeof dataProtection.createProtector === 'function' &&
    typeof (dataProtection as { protect?: unknown }).protect === 'function'
  ) {
    fail(
      "dataProtection is a protector (provider.createProtector('...')); pass the provider itself, createDataProtection({ applicationName, repository }): the authentication makes its protector with ASP.NET Core's purposes.",
    );
  }
  if (!dataProtection || typeof dataProtection.createProtector !== 'function') {
    fail(
      'dataProtection is required: the provider whose key ring the ASP.NET Core app uses, createDataProtection({ applicationName, repository }) with the same application name.',
    );
  }
  const scheme = options.scheme ?? DEFAULT_SCHEME;
  if (typeof scheme !== 'string' || scheme === '')
    fail(`scheme must be a non-empty string; got ${String(scheme)}.`);

  const cookie = options.cookie ?? {};
  if (typeof cookie !== 'object' || cookie === null)
    fail('cookie must be an object: { name, path, domain, … }.');
  refuseUnknownOptions(CookieAuthenticationConfigurationError, 'cookie', cookie, KNOWN_COOKIE, COOKIE_HINTS);
  const cookieName = cookie.name ?? `${COOKIE_PREFIX}${scheme}`;
  if (typeof cookieName !== 'string' || !TOKEN.test(cookieName)) {
    fail(
      `cookie.name must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~); got ${JSON.stringify(cookieName)}.`,
    );
  }
  const sameSite = cookie.sameSite ?? 'lax';
  if (!SAME_SITE.includes(sameSite))
    fail(`cookie.sameSite must be one of ${SAME_SITE.join(', ')}; got ${String(sameSite)}.`);
  const securePolicy = cookie.securePolicy ?? 'sameAsRequest';
  if (!SECURE_POLICIES.includes(securePolicy)) {
    fail(`cookie.securePolicy must be one of ${SECURE_POLICIES.join(', ')}; got ${String(securePolicy)}.`);
  }
  if (sameSite === 'none' && securePolicy === 'none') {
    fail(
      "cookie.sameSite 'none' needs a Secure cookie, which browsers require: set securePolicy to 'always'.",
    );
  }
  for (const [name, value] of [
    ['cookie.path', cookie.path],
    ['cookie.domain', cookie.domain],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || /[;\r\n]/.test(value))) {
      fail(`${name} must be a string without ';' or line breaks; got ${JSON.stringify(value)}.`);
    }
  }
  const httpOnly = cookie.httpOnly ?? true;
  if (typeof httpOnly !== 'boolean') fail(`cookie.httpOnly must be true or false; got ${String(httpOnly)}.`);
  const maxAgeSeconds =
    cookie.maxAge === undefined
      ? undefined
      : Math.floor(
          parseDuration(cookie.maxAge, 'cookie.maxAge', CookieAuthenticationConfigurationError) / 1000,
        );

  const slidingExpiration = options.slidingExpiration ?? true;
  if (typeof slidingExpiration !== 'boolean') {
    fail(`slidingExpiration must be true or false; got ${String(slidingExpiration)}.`);
  }
  const chunkSize = options.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : options.chunkSize;
  if (chunkSize !== null && (!Number.isInteger(chunkSize) || chunkSize < 100)) {
    fail(
      `chunkSize must be a whole number of characters (at least 100), or null never to chunk; got ${String(chunkSize)}.`,
    );
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function')
    fail('clock must have a now() method returning milliseconds since the epoch.');

  return {
    dataProtection: dataProtection as DataProtectionProvider,
    scheme,
    cookieName,
    cookie: {
      path: cookie.path ?? '/',
      domain: cookie.domain === '' ? undefined : cookie.domain,
      maxAgeSeconds,
      sameSite,
      securePolicy,
      httpOnly,
    },
    expireTimeSpanMs:
      options.expireTimeSpan === undefined
        ? FOURTEEN_DAYS_MS
        : parseDuration(options.expireTimeSpan, 'expireTimeSpan', CookieAuthenticationConfigurationError),
    slidingExpiration,
    chunkSize: chunkSize ?? undefined,
    logger: resolveLogger(options.logger, CookieAuthenticationConfigurationError),
    clock,
  };
}
