import { type Duration, parseDuration, unknownOptionMessage } from '@sharedstate/shared-helpers';
import { type SerializeOptions, serialize } from 'cookie';
import { SessionConfigurationError } from './session-errors.ts';
import { MAX_LIFETIME_MS } from './session-lifetime.ts';

export interface SessionCookieOptions {
  /** Default 'sharedstate.sid'; the aspnetCoreCompat preset uses '.AspNetCore.Session'. */
  name?: string;
  path?: string;
  domain?: string;
  /** Default true: scripts cannot read the cookie. */
  httpOnly?: boolean;
  /** Default 'lax'. 'none' requires secure. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** 'auto' (default): Secure when the request came over HTTPS, as the framework's trust-proxy setting reports it. */
  secure?: boolean | 'auto';
  /** CHIPS partitioned cookie (for embedded third-party contexts); requires secure. */
  partitioned?: boolean;
  /**
   * Makes the cookie persistent: it outlives the browser session and expires this long after it was last
   * sent: when the session was established or got a new key, and again whenever a request changes it (as
   * express-session does; with `rolling`, on every response). The data still expires after `idleTimeout`
   * without use. At most 400 days (browsers cap a cookie's lifetime there). Default none: a
   * browser-session cookie.
   */
  maxAge?: Duration;
}

/** The cookie options checked, with their defaults applied. */
export type ResolvedCookieOptions = Required<Omit<SessionCookieOptions, 'domain' | 'maxAge'>> & {
  domain: string | undefined;
  maxAgeMs: number | undefined;
};

// A record over the interface's keys, so the compiler keeps the list complete and exact.
export const COOKIE_OPTION_NAMES: Record<keyof SessionCookieOptions, true> = {
  name: true,
  path: true,
  domain: true,
  httpOnly: true,
  sameSite: true,
  secure: true,
  partitioned: true,
  maxAge: true,
};

const COOKIE_FROM_OTHER_LIBRARIES: Record<string, string> = {
  expires: 'use `cookie.maxAge`: the cookie expires that long after the session is established',
  signed: 'remove it: the cookie is always encrypted and authenticated by `dataProtection`',
  priority: 'remove it: the session cookie is sent without a priority',
};

/** Refuses cookie option names this library does not have, saying what to use for those of other libraries. */
export function refuseUnknownCookieOptions(cookie: object): void {
  const message = unknownOptionMessage(
    'session',
    cookie,
    COOKIE_OPTION_NAMES,
    COOKIE_FROM_OTHER_LIBRARIES,
    'cookie.',
  );
  if (message !== undefined) throw new SessionConfigurationError(message);
}

export function duration(value: Duration, name: string): number {
  return parseDuration(value, name, SessionConfigurationError);
}

/** What a bare number means, said where one too small for a lifetime was given (connect-redis's ttl is seconds). */
export const MILLISECONDS = " (a number is milliseconds: write '20m', '1d', or 20 * 60_000)";

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Browsers drop a cookie whose name and value together pass 4,096 bytes (RFC 6265bis). The value is at most
 * 219 base64 characters (a session key protected with AES-256-CBC and HMACSHA512), 657 if every one of
 * them is a '+' or '/' the writer percent-encodes.
 */
const MAX_COOKIE_NAME = 4096 - 3 * 219;
/** Browsers ignore a Path or Domain attribute longer than this many bytes (RFC 6265bis). */
const MAX_ATTRIBUTE_VALUE = 1024;

/** Whether the cookie library will write a Set-Cookie with these attributes (it checks them only then). */
function writable(attributes: SerializeOptions): boolean {
  try {
    serialize('n', 'v', attributes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The attributes the cookie library would refuse only when it writes the first Set-Cookie (a 500 when the
 * first visitor signs in), and a path it accepts but browsers do not: a Path that does not start with '/'
 * is ignored, and the cookie is scoped to the page's folder, so the session seems lost on other pages.
 */
function checkCookieAttributes(cookie: SessionCookieOptions, path: unknown): void {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new SessionConfigurationError(
      `cookie.path must start with '/', such as '/' or '/shop'; got ${JSON.stringify(path)} (browsers ignore ` +
        "any other Path and keep the cookie for the current page's folder only).",
    );
  }
  for (const [option, attribute, value] of [
    ['path', 'Path', path],
    ['domain', 'Domain', cookie.domain],
  ] as const) {
    if (typeof value === 'string' && value.length > MAX_ATTRIBUTE_VALUE) {
      throw new SessionConfigurationError(
        `cookie.${option} is ${value.length} characters; browsers ignore a cookie's ${attribute} longer ` +
          `than ${MAX_ATTRIBUTE_VALUE}, so the cookie would not be scoped as configured.`,
      );
    }
  }
  if (!writable({ path })) {
    throw new SessionConfigurationError(
      `cookie.path ${JSON.stringify(path)} has a character a cookie's Path cannot hold (';', a control ` +
        'character, or one beyond ASCII: percent-encode it).',
    );
  }
  const { domain } = cookie;
  if (domain !== undefined && (typeof domain !== 'string' || !writable({ domain }))) {
    throw new SessionConfigurationError(
      `cookie.domain must be a host name alone, such as 'example.com' or '.example.com' (no scheme, port or ` +
        `path; an internationalised name in its xn-- form); got ${JSON.stringify(domain)}.`,
    );
  }
  for (const flag of ['httpOnly', 'partitioned'] as const) {
    const value: unknown = cookie[flag];
    if (value !== undefined && typeof value !== 'boolean')
      throw new SessionConfigurationError(
        `cookie.${flag} must be true or false; got ${JSON.stringify(value)}.`,
      );
  }
}

/**
 * The secure setting the cookie is written with. Browsers take a SameSite=None, partitioned or prefixed
 * (`__Secure-`, `__Host-`; RFC 6265bis, matched ignoring case) cookie only with Secure, and drop it without
 * a word otherwise, so no session would ever be established: `false` fails here, and 'auto' becomes always
 * Secure for them, not only on requests the framework reports as HTTPS (behind a proxy it does not trust, or
 * on a developer's http://localhost, where browsers accept Secure cookies, the cookie would be lost).
 */
function resolveSecure(
  name: string,
  path: string,
  cookie: SessionCookieOptions,
  sameSite: string,
  secure: boolean | 'auto',
): boolean | 'auto' {
  const needsSecure = sameSite === 'none' || cookie.partitioned === true;
  if (needsSecure && secure === false) {
    throw new SessionConfigurationError(
      "cookie.sameSite 'none' and cookie.partitioned need a secure cookie; set cookie.secure to true or 'auto'.",
    );
  }
  const lower = name.toLowerCase();
  const host = lower.startsWith('__host-');
  if (!host && !lower.startsWith('__secure-')) return needsSecure ? true : secure;
  const prefix = name.slice(0, host ? '__host-'.length : '__secure-'.length);
  if (secure === false) {
    throw new SessionConfigurationError(
      `cookie.name '${name}': browsers drop a ${prefix} cookie that is not Secure; set cookie.secure to true ` +
        "or 'auto' (and serve the app over HTTPS), or choose a name without the prefix.",
    );
  }
  if (host && (path !== '/' || cookie.domain)) {
    throw new SessionConfigurationError(
      `cookie.name '${name}': browsers drop a ${prefix} cookie with a Domain or with a Path other than '/'; ` +
        'remove cookie.domain and cookie.path, or use the __Secure- prefix.',
    );
  }
  return true;
}

/** Validates the cookie options once, when the middleware is created, naming what to fix. */
export function resolveCookieOptions(cookie: SessionCookieOptions): ResolvedCookieOptions {
  const name = cookie.name ?? 'sharedstate.sid';
  if (!COOKIE_NAME.test(name))
    throw new SessionConfigurationError(`cookie.name '${name}' is not a valid cookie name.`);
  if (name.length > MAX_COOKIE_NAME) {
    throw new SessionConfigurationError(
      `cookie.name is ${name.length} characters; browsers drop a cookie whose name and value pass 4,096 ` +
        `bytes, and the value takes up to ${4096 - MAX_COOKIE_NAME}: use a name of at most ${MAX_COOKIE_NAME}.`,
    );
  }
  const path = cookie.path ?? '/';
  checkCookieAttributes(cookie, path);
  const sameSite = cookie.sameSite ?? 'lax';
  if (!['lax', 'strict', 'none'].includes(sameSite)) {
    throw new SessionConfigurationError(
      `cookie.sameSite must be 'lax', 'strict' or 'none'; got '${sameSite}'.`,
    );
  }
  const secure = cookie.secure ?? 'auto';
  if (secure !== 'auto' && typeof secure !== 'boolean')
    throw new SessionConfigurationError("cookie.secure must be true, false or 'auto'.");
  const cookieSecure = resolveSecure(name, path, cookie, sameSite, secure);
  const maxAgeMs = cookie.maxAge === undefined ? undefined : duration(cookie.maxAge, 'cookie.maxAge');
  if (maxAgeMs !== undefined && maxAgeMs < 1000) {
    throw new SessionConfigurationError(
      `cookie.maxAge must be at least one second (a cookie's Max-Age is in whole seconds); got ${String(cookie.maxAge)}${MILLISECONDS}.`,
    );
  }
  if (maxAgeMs !== undefined && maxAgeMs > MAX_LIFETIME_MS) {
    // The cookie would end at 400 days, long before the lifetime the app asked for.
    throw new SessionConfigurationError(
      `cookie.maxAge can be at most 400 days (browsers cap a cookie's lifetime there); got ${String(cookie.maxAge)}.`,
    );
  }
  return {
    name,
    path,
    domain: cookie.domain,
    httpOnly: cookie.httpOnly ?? true,
    sameSite,
    secure: cookieSecure,
    partitioned: cookie.partitioned ?? false,
    maxAgeMs,
  };
}
