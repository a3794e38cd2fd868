import type { IncomingMessage, ServerResponse } from 'node:http';
import { attachRequestAuthentication, authenticationAdapterFlags } from './adapter-support.ts';
import { CookieAuthentication } from './cookie-authentication.ts';
import type { CookieAuthenticationOptions } from './cookie-authentication-options.ts';
import { nodeResponse, RequestAuthentication } from './request-authentication.ts';

/** The parts of Express's request the helpers use (Express 4 and 5 both have them). */
interface ExpressRequest extends IncomingMessage {
  secure?: boolean;
}
type Next = (error?: unknown) => void;

export interface ExpressAuthenticationAdapterOptions {
  /** The request property the signed-in user goes in (Passport's userProperty). Default 'user'. */
  userProperty?: string;
}

export type ExpressAuthenticationMiddleware = ((
  req: ExpressRequest,
  res: ServerResponse,
  next: Next,
) => void) & {
  readonly authentication: CookieAuthentication;
};

/**
 * Reads ASP.NET Core's authentication cookie on every request: `req.user` is the signed-in ClaimsPrincipal
 * (undefined when not signed in), `signIn(req, …)` and `signOut(req)` write the cookie. A cookie due for
 * sliding renewal is re-issued on the response. When the key ring cannot be read the request fails with
 * a 503 (Express's error handling), neither signed in nor out.
 */
export function cookieAuthentication(
  options: CookieAuthenticationOptions,
  adapter: ExpressAuthenticationAdapterOptions = {},
): ExpressAuthenticationMiddleware {
  const { userProperty } = authenticationAdapterFlags('Express', adapter, { userProperty: 'user' });
  const authentication = new CookieAuthentication(options);
  const run = (req: ExpressRequest, res: ServerResponse, next: Next): void => {
    const state = new RequestAuthentication(
      authentication,
      { cookieHeader: req.headers.cookie, secure: req.secure === true },
      nodeResponse(res),
      (user) => {
        (req as unknown as Record<string, unknown>)[userProperty] = user;
      },
    );
    attachRequestAuthentication(req, state);
    state.load().then(() => next(), next);
  };
  return Object.assign(run, { authentication });
}

// Everything of the main entry (signIn, signOut, getUser, ClaimTypes, …) from this one import too.
export * from './index.ts';
