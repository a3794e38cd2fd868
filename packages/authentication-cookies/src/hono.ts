import type { Context, MiddlewareHandler } from 'hono';
import { attachRequestAuthentication, authenticationAdapterFlags } from './adapter-support.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import { CookieAuthentication } from './cookie-authentication.ts';
import type { CookieAuthenticationOptions } from './cookie-authentication-options.ts';
import {
  type AuthenticationResponse,
  RequestAuthentication,
  replacedSetCookies,
} from './request-authentication.ts';

/** Hono environment for apps using the authentication: `new Hono<AuthenticationEnv>()`, then `c.get('user')`. */
export interface AuthenticationEnv {
  Variables: { user: ClaimsPrincipal | undefined };
}

export interface HonoAuthenticationAdapterOptions {
  /**
   * Trust X-Forwarded-Proto for the cookie's Secure flag (securePolicy 'sameAsRequest'), as behind a
   * TLS-terminating load balancer. Off by default: the request URL decides.
   */
  trustProxy?: boolean;
}

export type HonoAuthenticationMiddleware = MiddlewareHandler<AuthenticationEnv> & {
  readonly authentication: CookieAuthentication;
};

/**
 * The cookies a Hono request's authentication wants, put on the response once the handler has made it
 * (Hono builds the response from what the handler returns).
 */
class PendingHeaders implements AuthenticationResponse {
  setCookies: string[] = [];
  readonly headers = new Map<string, string>();
  replaceSetCookies(previous: readonly string[], next: readonly string[]): void {
    this.setCookies = replacedSetCookies(this.setCookies, previous, next);
  }

  setHeader(name: string, value: string): void {
    this.headers.set(name, value);
  }
}

/**
 * Reads ASP.NET Core's authentication cookie on every request: `c.get('user')` is the signed-in
 * ClaimsPrincipal (undefined when not signed in), `signIn(c, …)` and `signOut(c)` write the cookie,
 * on the response once the handler returns. A cookie due for sliding renewal is re-issued. When the key
 * ring cannot be read the request fails with a 503, neither signed in nor out.
 */
export function cookieAuthentication(
  options: CookieAuthenticationOptions,
  adapter: HonoAuthenticationAdapterOptions = {},
): HonoAuthenticationMiddleware {
  const { trustProxy } = authenticationAdapterFlags('Hono', adapter, { trustProxy: false });
  const authentication = new CookieAuthentication(options);
  const run: MiddlewareHandler<AuthenticationEnv> = async (c, next) => {
    const pending = new PendingHeaders();
    const state = new RequestAuthentication(
      authentication,
      { cookieHeader: c.req.header('Cookie'), secure: isSecure(c, trustProxy) },
      pending,
      (user) => c.set('user', user),
    );
    attachRequestAuthentication(c, state);
    await state.load();
    await next();
    for (const value of pending.setCookies) c.header('Set-Cookie', value, { append: true });
    for (const [name, value] of pending.headers) c.header(name, value);
  };
  return Object.assign(run, { authentication });
}

function isSecure(c: Context, trustProxy: boolean): boolean {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    if (forwarded) return forwarded === 'https';
  }
  return c.req.url.startsWith('https:');
}

// Everything of the main entry (signIn, signOut, getUser, ClaimTypes, …) from this one import too.
export * from './index.ts';
