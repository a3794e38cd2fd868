import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClaimsPrincipal } from './claims-principal.ts';
import { CookieAuthentication } from './cookie-authentication.ts';
import type { CookieAuthenticationOptions } from './cookie-authentication-options.ts';
import { nodeResponse, RequestAuthentication } from './request-authentication.ts';

/** The request as Passport hands it to a strategy (Express's, with `res` beside it). */
interface PassportRequest extends IncomingMessage {
  secure?: boolean | undefined;
  res?: ServerResponse | undefined;
}

/** What Passport gives a strategy's authenticate() as `this`. */
interface PassportStrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
}

/**
 * Turns the signed-in principal into the user Passport puts in `req.user` (a row from the app's database,
 * say); undefined or false refuses the sign-in. Default: the principal itself.
 */
export type VerifyPrincipal = (
  principal: ClaimsPrincipal,
  req: PassportRequest,
) => unknown | Promise<unknown>;

/**
 * A Passport strategy that authenticates a request by ASP.NET Core's authentication cookie:
 * `passport.use(new AspNetCoreCookieStrategy({ dataProtection }))`, then
 * `passport.authenticate('aspnetcore-cookie', { session: false })` on the routes that need a user. A cookie
 * due for sliding renewal is re-issued on the response. Signing in and out stays with the ASP.NET Core app
 * (or with the middleware of `@sharedstate/authentication-cookies/express`).
 */
export class AspNetCoreCookieStrategy {
  readonly name: string = 'aspnetcore-cookie';
  readonly authentication: CookieAuthentication;
  /** A plain property: Passport runs authenticate() on an object made from this one (Object.create). */
  readonly verify: VerifyPrincipal;

  constructor(options: CookieAuthenticationOptions | CookieAuthentication, verify?: VerifyPrincipal) {
    this.authentication =
      options instanceof CookieAuthentication ? options : new CookieAuthentication(options);
    this.verify = verify ?? ((principal) => principal);
  }

  authenticate(req: PassportRequest): void {
    // Passport calls this on an object made from the strategy, with its actions added.
    const strategy = this as this & PassportStrategyActions;
    const response = req.res;
    const state = new RequestAuthentication(
      strategy.authentication,
      { cookieHeader: req.headers.cookie, secure: req.secure === true },
      // Without a response beside the request (not Express) the renewal is skipped: the cookie still works
      // until it expires.
      response ? nodeResponse(response) : { replaceSetCookies: () => {}, setHeader: () => {} },
      () => {},
    );
    state
      .load()
      .then(async () => {
        const result = state.result;
        if (result?.outcome !== 'signed-in') {
          strategy.fail(result?.outcome === 'failed' ? { message: result.message } : undefined, 401);
          return;
        }
        const user = await strategy.verify(result.principal, req);
        if (user === undefined || user === false || user === null)
          strategy.fail({ message: 'Refused by verify' }, 401);
        else strategy.success(user);
      })
      .catch((error: unknown) => strategy.error(error));
  }
}

// Everything of the main entry (ClaimsPrincipal, ClaimTypes, …) from this one import too.
export * from './index.ts';
