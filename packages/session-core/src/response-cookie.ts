import { decodeCookieValue, expiredCookieHeader, sessionCookieHeader } from './cookie-header.ts';
import type { ResolvedSessionOptions } from './session-options.ts';
import type { SessionResponseHeaders } from './session-request.ts';
import type { SessionState } from './session-state.ts';

const NO_HEADERS: SessionResponseHeaders = Object.freeze({ setCookie: undefined, cacheControl: {} });
const NO_CACHE = Object.freeze({ 'Cache-Control': 'no-cache,no-store', Pragma: 'no-cache', Expires: '-1' });

/**
 * The session cookie a response carries: set when a session is established or its cookie's lifetime
 * changes, expired when it is destroyed, none otherwise; Secure as the request's scheme says.
 */
export class ResponseCookie {
  readonly #options: ResolvedSessionOptions;
  /** The cookie value for a key; undefined while the key ring has not loaded yet. */
  readonly #cookieValueFor: (key: string) => string | undefined;
  #warnedUntrustedProxy = false;

  constructor(options: ResolvedSessionOptions, cookieValueFor: (key: string) => string | undefined) {
    this.#options = options;
    this.#cookieValueFor = cookieValueFor;
  }

  /** The headers to add before the response starts. */
  headersFor(state: SessionState): SessionResponseHeaders {
    const options = this.#options;
    if (state.destroyed) {
      if (!state.hadCookie) return NO_HEADERS;
      return { setCookie: expiredCookieHeader(options.cookie, this.#secure(state)), cacheControl: NO_CACHE };
    }
    // Established before the key ring first loaded: its cookie is made now (the save made it already,
    // unless the response started before the save).
    if (state.established && state.cookieValue === undefined) {
      state.cookieValue = this.#cookieValueFor(state.key);
      if (state.cookieValue === undefined) {
        options.logger?.warn(
          'A new session could not get its cookie: the response started before the session was saved, while the key ring was still loading.',
        );
      }
    }
    // A cookie the browser already holds is sent again when rememberFor() changed its lifetime, and a
    // persistent cookie of cookie.maxAge when the session changed or with `rolling` (express-session's
    // behaviour; ASP.NET Core never sends it again).
    const rolled =
      state.lifetimeMs === undefined &&
      options.cookie.maxAgeMs !== undefined &&
      (options.rolling || state.changed);
    if (
      state.established &&
      state.cookieValue !== undefined &&
      (state.cookieValue !== state.requestCookie || state.lifetimeChanged || rolled)
    ) {
      // The browser's own cookie, sent again, is still percent-encoded as it came; the writer encodes it.
      const value =
        state.cookieValue === state.requestCookie ? decodeCookieValue(state.cookieValue) : state.cookieValue;
      return {
        setCookie: sessionCookieHeader(
          options.cookie,
          value,
          this.#secure(state),
          state.lifetimeMs ?? options.cookie.maxAgeMs,
          options.clock.now(),
        ),
        cacheControl: NO_CACHE,
      };
    }
    return NO_HEADERS;
  }

  #secure(state: SessionState): boolean {
    const { secure } = this.#options.cookie;
    if (secure !== 'auto') return secure;
    if (state.request.secure) return true;
    if (!this.#warnedUntrustedProxy && state.request.forwardedProto === 'https') this.#warnUntrustedProxy();
    return false;
  }

  /**
   * Behind a load balancer that terminates HTTPS, a framework not told to trust it reports every request as
   * plain HTTP, and the cookie goes out without Secure. Said once per middleware, not per request.
   */
  #warnUntrustedProxy(): void {
    this.#warnedUntrustedProxy = true;
    this.#options.logger?.warn(
      'The session cookie was written without Secure: the framework reports the request as HTTP, but ' +
        'X-Forwarded-Proto says https. If a proxy in front of the app terminates HTTPS, tell the framework to ' +
        "trust it (Express: app.set('trust proxy', 1); Koa: app.proxy = true; Hono: " +
        'session(options, { trustProxy: true }); Fastify: Fastify({ trustProxy: true })), or set cookie.secure ' +
        'to true.',
    );
  }
}
