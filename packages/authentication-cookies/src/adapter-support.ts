import { refuseUnknownOptions } from '@sharedstate/shared-helpers';
import { AuthenticationUsageError, CookieAuthenticationConfigurationError } from './authentication-errors.ts';
import type { RequestAuthentication } from './request-authentication.ts';

/** Where a request (Express's req, Koa's ctx, Hono's c, Fastify's request) keeps its authentication. */
const SLOT = Symbol.for('sharedstate.authentication-cookies.request');

export function attachRequestAuthentication(holder: object, state: RequestAuthentication): void {
  (holder as Record<symbol, RequestAuthentication>)[SLOT] = state;
}

/** The request's authentication, or a usage error saying the middleware is missing. */
export function requestAuthenticationIn(holder: object): RequestAuthentication {
  const state = (holder as Record<symbol, RequestAuthentication | undefined> | null)?.[SLOT];
  if (state === undefined) {
    throw new AuthenticationUsageError(
      'No cookie authentication on this request: is the cookieAuthentication() middleware (or plugin) installed before this route?',
    );
  }
  return state;
}

/** An adapter's own options checked: known names only, `userProperty` a non-empty string. */
export function authenticationAdapterFlags<T extends Record<string, string | boolean>>(
  framework: string,
  given: object,
  defaults: T,
): T {
  if (typeof given !== 'object' || given === null) {
    throw new CookieAuthenticationConfigurationError(`The ${framework} adapter's options must be an object.`);
  }
  const known = Object.fromEntries(Object.keys(defaults).map((name) => [name, true as const]));
  refuseUnknownOptions(CookieAuthenticationConfigurationError, `${framework} adapter`, given, known);
  const flags = { ...defaults };
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = (given as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== typeof fallback || value === '') {
      throw new CookieAuthenticationConfigurationError(
        `The ${framework} adapter's ${name} must be ${typeof fallback === 'string' ? 'a non-empty string' : 'true or false'}; got ${String(value)}.`,
      );
    }
    (flags as Record<string, unknown>)[name] = value;
  }
  return flags;
}
