import type { IncomingMessage, ServerResponse } from 'node:http';
import { attachRequestAuthentication, authenticationAdapterFlags } from './adapter-support.ts';
import { CookieAuthentication } from './cookie-authentication.ts';
import type { CookieAuthenticationOptions } from './cookie-authentication-options.ts';
import { nodeResponse, RequestAuthentication } from './request-authentication.ts';

/** The parts of Koa's context the helpers use (Koa 2 and 3 both have them). */
interface KoaContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** HTTPS, or X-Forwarded-Proto https when `app.proxy` is set. */
  readonly secure: boolean;
  readonly state: Record<string, unknown>;
}
type Next = () => Promise<unknown>;

export interface KoaAuthenticationAdapterOptions {
  /** The `ctx.state` property the signed-in user goes in (koa-passport's). Default 'user'. */
  userProperty?: string;
}

export type KoaAuthenticationMiddleware = ((ctx: KoaContext, next: Next) => Promise<void>) & {
  readonly authentication: CookieAuthentication;
};

/**
 * Reads ASP.NET Core's authentication cookie on every request: `ctx.state.user` is the signed-in
 * ClaimsPrincipal (undefined when not signed in), `signIn(ctx, …)` and `signOut(ctx)` write the cookie. A
 * cookie due for sliding renewal is re-issued on the response. When the key ring cannot be read the
 * request fails with a 503, neither signed in nor out.
 */
export function cookieAuthentication(
  options: CookieAuthenticationOptions,
  adapter: KoaAuthenticationAdapterOptions = {},
): KoaAuthenticationMiddleware {
  const { userProperty } = authenticationAdapterFlags('Koa', adapter, { userProperty: 'user' });
  const authentication = new CookieAuthentication(options);
  const run = async (ctx: KoaContext, next: Next): Promise<void> => {
    const state = new RequestAuthentication(
      authentication,
      { cookieHeader: ctx.req.headers.cookie, secure: ctx.secure },
      // Koa keeps its response headers on Node's response, so they are written there directly.
      nodeResponse(ctx.res),
      (user) => {
        ctx.state[userProperty] = user;
      },
    );
    attachRequestAuthentication(ctx, state);
    await state.load();
    await next();
  };
  return Object.assign(run, { authentication });
}

// Everything of the main entry (signIn, signOut, getUser, ClaimTypes, …) from this one import too.
export * from './index.ts';
