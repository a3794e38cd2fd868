import {
  type Session,
  SessionHandler,
  type SessionOptions,
  type SessionRequest,
} from '@sharedstate/session-core';

/** The parts of Koa's context the middleware uses (Koa 2 and 3 both have them). */
interface KoaContext {
  get(field: string): string;
  append(field: string, value: string | string[]): void;
  set(field: string, value: string): void;
  readonly secure: boolean;
  readonly headerSent: boolean;
}
type Next = () => Promise<unknown>;

/** Where the session is kept on the request (a symbol property: cheaper for the GC than a WeakMap per request). */
const SESSION = Symbol.for('@sharedstate/session');

/** The request as session-core sees it: reads the context when asked (no closure per request). */
class KoaSessionRequest implements SessionRequest {
  readonly #ctx: KoaContext;
  readonly cookieHeader: string | undefined;

  constructor(ctx: KoaContext) {
    this.#ctx = ctx;
    this.cookieHeader = ctx.get('Cookie') || undefined;
  }

  /** ctx.secure honours app.proxy (X-Forwarded-Proto behind a load balancer); read when a cookie is written. */
  get secure(): boolean {
    return this.#ctx.secure;
  }

  responseStarted(): boolean {
    return this.#ctx.headerSent;
  }
}

/**
 * Session middleware for Koa 2 and 3. Sets `ctx.session` (use `getSession<TData>(ctx)` for a typed view).
 * The session is saved after the downstream middleware and before Koa sends the response; a save that
 * fails throws, so Koa answers with its error response instead of claiming success. A request that fails
 * downstream still saves what it changed (ASP.NET Core commits in `finally`; express-session and
 * koa-session save on error responses too): a flash message or a failed-login counter set before
 * `ctx.throw()` is kept.
 */
export function session(options: SessionOptions): (ctx: KoaContext, next: Next) => Promise<void> {
  const handler = new SessionHandler(options);
  return async (ctx, next) => {
    const current = (await handler.begin(new KoaSessionRequest(ctx))) as Session<object>;
    (ctx as { [SESSION]?: Session<object> })[SESSION] = current;
    (ctx as KoaContext & { session: unknown }).session = current;
    try {
      await next();
    } catch (error) {
      await handler.endAfterFailure(current);
      // Koa's own error response clears the headers; an error-handling middleware of the app that answers
      // keeps them, and so the new session's cookie.
      addCookie(handler, ctx, current);
      throw error;
    }
    const saving = handler.end(current);
    if (saving !== undefined) await saving;
    addCookie(handler, ctx, current);
  };
}

function addCookie(handler: SessionHandler, ctx: KoaContext, current: Session<object>): void {
  const { setCookie, cacheControl } = handler.responseHeaders(current);
  if (setCookie !== undefined && !ctx.headerSent) {
    ctx.append('Set-Cookie', setCookie);
    for (const [name, value] of Object.entries(cacheControl)) ctx.set(name, value);
  }
}

/** The session of a request, typed with the app's own session data. */
export function getSession<TData extends object = Record<string, unknown>>(ctx: object): Session<TData> {
  const found = (ctx as { [SESSION]?: Session<object> })[SESSION];
  if (!found)
    throw new Error('No session on this context: is the session() middleware installed before this one?');
  return found as unknown as Session<TData>;
}
