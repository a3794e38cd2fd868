import { requestAuthenticationIn } from './adapter-support.ts';
import type { AuthenticationProperties } from './authentication-properties.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import type { SignInPrincipal, SignInProperties } from './cookie-authentication.ts';

// Each takes what the framework hands a route: Express's req, Koa's ctx, Hono's c, Fastify's request.

/**
 * Signs `user` in on this request's response (the cookie, chunked when long), and makes it the request's
 * user from now on. Rejects with AuthenticationUsageError once the response has started.
 */
export function signIn(
  request: object,
  user: SignInPrincipal,
  properties?: SignInProperties | AuthenticationProperties,
): Promise<ClaimsPrincipal> {
  return requestAuthenticationIn(request).signIn(user, properties);
}

/** Signs the user out: the response deletes the cookie and its chunks, and the request has no user from now on. */
export function signOut(request: object): void {
  requestAuthenticationIn(request).signOut();
}

/** The signed-in user of the request, or undefined. */
export function getUser(request: object): ClaimsPrincipal | undefined {
  return requestAuthenticationIn(request).user;
}

/** The signed-in ticket's properties (`.issued`, `.expires`, items, saved tokens), or undefined. */
export function getAuthenticationProperties(request: object): AuthenticationProperties | undefined {
  return requestAuthenticationIn(request).properties;
}
