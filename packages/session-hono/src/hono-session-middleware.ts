import type {
  Session,
  SessionOptions,
  SessionReadinessProbe,
  UserSessionsAccess,
} from '@sharedstate/session-core';
import {
  forwardedProto,
  readAdapterFlags,
  SessionHandler,
  type SessionRequest,
} from '@sharedstate/session-core/adapter';
import type { Context, MiddlewareHandler } from 'hono';

/** Hono environment for apps using the session: `new Hono<SessionEnv<MyData>>()`, then `c.get('session')`. */
export interface SessionEnv<TData extends object = Record<string, unknown>> {
  Variables: { session: Session<TData> };
}

export interface HonoSessionAdapterOptions {
  /**
   * Trust X-Forwarded-Proto for the cookie's Secure flag ('auto'), as behind a TLS-terminating load
   * balancer. Off by default: Hono has no trust-proxy setting of its own, so the request URL decides.
   */
  trustProxy?: boolean;
}

/** The request as session-core sees it: reads the context when asked (no closure per request). */
class HonoSessionRequest implements SessionRequest {
  readonly #c: Context;
  readonly #trustProxy: boolean;
  readonly cookieHeader: string | undefined;

  constructor(c: Context, trustProxy: boolean) {
    this.#c = c;
    this.#trustProxy = trustProxy;
    this.cookieHeader = c.req.header('Cookie');
  }

  /** Read when a cookie is written, not on every request. */
  get secure(): boolean {
    if (this.#trustProxy) {
      const forwarded = this.forwardedProto;
      if (forwarded) return forwarded === 'https';
    }
    // The URL's scheme, without parsing the whole URL.
    return this.#c.req.url.startsWith('https:');
  }

  /** Trusted only with trustProxy; otherwise read only to warn when a cookie goes out without Secure. */
  get forwardedProto(): string | undefined {
    return forwardedProto(this.#c.req.header('x-forwarded-proto'));
  }

  /**
   * Set once the handler chain has returned, when the middleware saves the session and decides the
   * response's cookie. Hono sends nothing before that, but a streamed body (hono/streaming) goes on running
   * after it: a session established there would have no cookie to reach the browser.
   */
  headersDecided = false;

  responseStarted(): boolean {
    return this.headersDecided;
  }

  /**
   * Never known: a streamed body goes on after the middleware returned, and may change the session and
   * commit() it. A change made there without commit() is lost (see docs/adapters/hono.md).
   */
  responseFinished(): boolean {
    return false;
  }
}

/**
 * Session middleware for Hono (on Node, Bun and Deno). The session is saved after the handler and
 * before the response leaves; a save that fails throws into Hono's error handling (onError, 500).
 */
export function session<TData extends object = Record<string, unknown>>(
  options: SessionOptions,
  adapter: HonoSessionAdapterOptions = {},
): MiddlewareHandler<SessionEnv<TData>> & SessionReadinessProbe & UserSessionsAccess {
  const { trustProxy } = readAdapterFlags('Hono', adapter, ['trustProxy']);
  const handler = new SessionHandler(options);
  const run: MiddlewareHandler<SessionEnv<TData>> = async (c, next) => {
    const request = new HonoSessionRequest(c, trustProxy);
    const state = await handler.begin(request);
    c.set('session', state.session as unknown as Session<TData>);
    try {
      await next();
    } catch (error) {
      // Hono turns a handler's error into its error response (app.onError) before this point, and the
      // change is saved below; an error that gets here escaped that (an onError that rethrows), and what
      // the request changed is saved all the same.
      request.headersDecided = true;
      await handler.endAfterFailure(state);
      throw error;
    }
    request.headersDecided = true;
    try {
      const saving = handler.end(state);
      if (saving !== undefined) await saving;
    } catch (error) {
      // Drop the handler's response (a redirect, a success page) and its headers: it would claim the change
      // was kept. Hono then answers through its error handling (onError, 500 by default).
      // Deleting each header through c.header also clears it from the headers Hono keeps for the responses
      // it builds next (on Hono 4.0, c.redirect's Location came back on the error page), and
      // unsetting the response keeps Hono from merging the old headers into the replacement.
      for (const name of [...c.res.headers.keys()]) c.header(name, undefined);
      c.res = undefined as unknown as Response;
      c.res = new Response(null, { status: 500 });
      throw error;
    }
    const { setCookie, cacheControl } = handler.responseHeaders(state);
    if (setCookie !== undefined) {
      c.header('Set-Cookie', setCookie, { append: true });
      for (const [name, value] of Object.entries(cacheControl)) c.header(name, value);
    }
  };
  return Object.assign(run, { readiness: () => handler.readiness(), userSessions: handler.userSessions });
}
