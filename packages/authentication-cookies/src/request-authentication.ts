import { AuthenticationUsageError } from './authentication-errors.ts';
import type { AuthenticationProperties } from './authentication-properties.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import type {
  AuthenticateResult,
  AuthenticationRequest,
  CookieAuthentication,
  SignInPrincipal,
  SignInProperties,
} from './cookie-authentication.ts';

/** What the authentication writes into a response; each framework's helper provides it. */
export interface AuthenticationResponse {
  /**
   * Replaces the Set-Cookie values this request's authentication added before (`previous`, none at first)
   * with `next`, leaving every other Set-Cookie (the session's, the app's) as it is.
   */
  replaceSetCookies(previous: readonly string[], next: readonly string[]): void;
  setHeader(name: string, value: string): void;
}

/** ASP.NET Core's headers on a response that signs in, out or renews: no cache may keep it. */
const NO_CACHE: readonly (readonly [string, string])[] = [
  ['Cache-Control', 'no-cache,no-store'],
  ['Pragma', 'no-cache'],
  ['Expires', 'Thu, 01 Jan 1970 00:00:00 GMT'],
];

/**
 * One request's sign-in: who its cookie signed in, and the cookies its response carries when the app signs
 * in or out (the last call wins, as in ASP.NET Core, where a sign-out after a sign-in on the same request
 * removes the sign-in's cookie).
 */
export class RequestAuthentication {
  readonly authentication: CookieAuthentication;
  readonly request: AuthenticationRequest;
  readonly #response: AuthenticationResponse;
  /** Puts the user where the framework's apps look for it (req.user, ctx.state.user, c.get('user')). */
  readonly #publishUser: (user: ClaimsPrincipal | undefined) => void;
  /** What reading the request's cookie found; undefined until loaded. */
  result: AuthenticateResult | undefined = undefined;
  /** The signed-in user: from the cookie, or from signIn() on this request; undefined after signOut(). */
  user: ClaimsPrincipal | undefined = undefined;
  /** The signed-in ticket's properties (`.issued`, `.expires`, items, tokens). */
  properties: AuthenticationProperties | undefined = undefined;
  #written: readonly string[] = [];

  constructor(
    authentication: CookieAuthentication,
    request: AuthenticationRequest,
    response: AuthenticationResponse,
    publishUser: (user: ClaimsPrincipal | undefined) => void,
  ) {
    this.authentication = authentication;
    this.request = request;
    this.#response = response;
    this.#publishUser = publishUser;
  }

  /** Reads the request's cookie; renews it when sliding expiration says so. */
  async load(): Promise<void> {
    const result = await this.authentication.authenticate(this.request);
    this.result = result;
    if (result.outcome !== 'signed-in') {
      this.#publishUser(undefined);
      return;
    }
    this.user = result.principal;
    this.properties = result.properties;
    this.#publishUser(result.principal);
    if (result.shouldRefresh) {
      this.#write(await this.authentication.refresh(this.request, result.principal, result.properties));
    }
  }

  /** Signs `user` in: the response carries the new cookie, and `user` is this request's user from now on. */
  async signIn(
    user: SignInPrincipal,
    properties?: SignInProperties | AuthenticationProperties,
  ): Promise<ClaimsPrincipal> {
    const signedIn = await this.authentication.signIn(this.request, user, properties);
    this.#write(signedIn.setCookies);
    this.user = signedIn.principal;
    this.properties = signedIn.properties;
    this.#publishUser(signedIn.principal);
    return signedIn.principal;
  }

  /** Signs out: the response deletes the cookie and its chunks; the request has no user from now on. */
  signOut(): void {
    this.#write(this.authentication.signOut(this.request));
    this.user = undefined;
    this.properties = undefined;
    this.#publishUser(undefined);
  }

  #write(setCookies: readonly string[]): void {
    this.#response.replaceSetCookies(this.#written, setCookies);
    this.#written = setCookies;
    for (const [name, value] of NO_CACHE) this.#response.setHeader(name, value);
  }
}

/** Set-Cookie values as Node's response holds them (one string, a list, or none), less `remove`, plus `add`. */
export function replacedSetCookies(
  existing: number | string | readonly string[] | undefined,
  remove: readonly string[],
  add: readonly string[],
): string[] {
  const current = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  const kept = remove.length === 0 ? [...current] : current.filter((value) => !remove.includes(value));
  return [...kept, ...add];
}

/** The authentication's writes on Node's response (Express, Koa): headers set at once, before the body. */
export function nodeResponse(res: {
  readonly headersSent: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: string | string[]): unknown;
}): AuthenticationResponse {
  return {
    replaceSetCookies: (previous, next) => {
      if (res.headersSent) {
        throw new AuthenticationUsageError(
          'The response has started: sign in or out before sending anything (a redirect or a page after it).',
        );
      }
      res.setHeader('Set-Cookie', replacedSetCookies(res.getHeader('Set-Cookie'), previous, next));
    },
    setHeader: (name, value) => res.setHeader(name, value),
  };
}
