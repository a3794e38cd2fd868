import {
  type PropertySession,
  type Session,
  type SessionOptions,
  type SessionReadinessProbe,
  SessionUsageError,
  type UserSessionsAccess,
} from '@sharedstate/session-core';
import {
  createPropertySession,
  forwardedProto,
  readAdapterFlags,
  SESSION_SLOT,
  SessionHandler,
  type SessionRequest,
  type SessionState,
  sessionIn,
} from '@sharedstate/session-core/adapter';

/** The parts of Koa's context the middleware uses (Koa 2 and 3 both have them). */
interface KoaContext {
  /** Each request's context is created from this prototype (`Object.create(app.context)`). */
  readonly app: { readonly context: object };
  get(field: string): string;
  append(field: string, value: string | string[]): void;
  set(field: string, value: string): void;
  readonly secure: boolean;
  readonly headerSent: boolean;
  /** Node's response: ended once Koa sent the body. */
  readonly res: { readonly writableEnded: boolean };
  /** Koa's error handling outside the middleware chain: an error response if it can, and the app's 'error' event. */
  onerror(error: Error): void;
}
type Next = () => Promise<unknown>;

export interface KoaSessionAdapterOptions {
  /**
   * `ctx.session` as express-session's object, for libraries written against it: koa-passport (Passport
   * 0.6 and later call `regenerate(cb)` and `save(cb)`, which koa-session lacks). Values are plain
   * properties (stored as JSON under their names, so `getSession(ctx).getJson(name)` reads them too).
   * Default false: `ctx.session` is the Session, whose values go through setJson.
   */
  properties?: boolean;
}

/** With the properties option: the request's view of the session; null once its destroy() took it away. */
const VIEW = Symbol('sharedstate.koa.propertyView');

interface SessionSlots {
  [SESSION_SLOT]?: Session<object>;
  [VIEW]?: PropertySession | null;
}

/**
 * `ctx.session`, defined once on the app's context prototype rather than assigned on every request. Reading
 * it gives the request's session; `ctx.session = null`, koa-session's way to sign out, destroys the session
 * (assigned as a plain property it would do nothing, and the user would stay signed in).
 */
const SESSION_PROPERTY: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: SessionSlots): Session<object> | PropertySession | undefined {
    const view = this[VIEW];
    return view === undefined ? this[SESSION_SLOT] : (view ?? undefined);
  },
  set(this: SessionSlots, value: unknown): void {
    const current = this[SESSION_SLOT];
    if (value !== null) {
      throw new SessionUsageError(
        'ctx.session can only be set to null, which destroys the session; change values ' +
          (this[VIEW] === undefined
            ? "with ctx.session.setJson('name', value) (or getSession<TData>(ctx).setJson for typed data)."
            : 'as its properties (ctx.session.name = value).'),
      );
    }
    if (current === undefined) {
      throw new SessionUsageError(
        'ctx.session = null needs a session on this request: is the session() middleware installed before this one?',
      );
    }
    current.destroy();
    if (this[VIEW] !== undefined) this[VIEW] = null;
  },
};

/**
 * Puts our `ctx.session` on the app's context prototype, unless something already owns that name there:
 * koa-session during a migration that runs both (then `ctx.session` stays theirs and getSession(ctx) gives
 * ours), or another of our middlewares on the same app (the accessor is the same).
 */
function claimSessionProperty(context: object): void {
  if (Object.getOwnPropertyDescriptor(context, 'session') === undefined) {
    Object.defineProperty(context, 'session', SESSION_PROPERTY);
  }
}

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

  /** Read only to warn when a cookie goes out without Secure behind a proxy Koa does not trust (app.proxy). */
  get forwardedProto(): string | undefined {
    return forwardedProto(this.#ctx.get('X-Forwarded-Proto'));
  }

  responseStarted(): boolean {
    return this.#ctx.headerSent;
  }

  responseFinished(): boolean {
    return this.#ctx.res.writableEnded;
  }
}

/**
 * Session middleware for Koa 2 and 3. The session is `ctx.session` (use `getSession<TData>(ctx)` for a typed
 * view); `ctx.session = null` destroys it, as in koa-session.
 * The session is saved after the downstream middleware and before Koa sends the response; a save that
 * fails throws, so Koa answers with its error response instead of claiming success. A request that fails
 * downstream still saves what it changed (ASP.NET Core commits in `finally`; express-session and
 * koa-session save on error responses too): a flash message or a failed-login counter set before
 * `ctx.throw()` is kept.
 */
export function session(
  options: SessionOptions,
  adapterOptions: KoaSessionAdapterOptions = {},
): ((ctx: KoaContext, next: Next) => Promise<void>) & SessionReadinessProbe & UserSessionsAccess {
  const { properties } = readAdapterFlags('Koa', adapterOptions, ['properties']);
  const handler = new SessionHandler(options);
  if (properties) handler.checkPropertyViews();
  // The last app seen: one middleware nearly always serves one app, so the check is one comparison.
  let claimed: object | undefined;
  const run = async (ctx: KoaContext, next: Next): Promise<void> => {
    const context = ctx.app.context;
    if (context !== claimed) {
      claimSessionProperty(context);
      claimed = context;
    }
    const state = await handler.begin(new KoaSessionRequest(ctx));
    const slots = ctx as SessionSlots;
    slots[SESSION_SLOT] = state.session;
    if (properties) {
      slots[VIEW] = createPropertySession(
        state,
        (next) => {
          slots[VIEW] = next ?? null;
        },
        // A throw in the app's regenerate or save callback goes to Koa's error handling.
        (error) => ctx.onerror(error as Error),
      );
    }
    try {
      await next();
    } catch (error) {
      await handler.endAfterFailure(state);
      // Koa's own error response clears the headers; an error-handling middleware of the app that answers
      // keeps them, and so the new session's cookie.
      addCookie(handler, ctx, state);
      throw error;
    }
    const saving = handler.end(state);
    if (saving !== undefined) await saving;
    addCookie(handler, ctx, state);
  };
  return Object.assign(run, { readiness: () => handler.readiness(), userSessions: handler.userSessions });
}

function addCookie(handler: SessionHandler, ctx: KoaContext, state: SessionState): void {
  const { setCookie, cacheControl } = handler.responseHeaders(state);
  if (setCookie !== undefined && !ctx.headerSent) {
    ctx.append('Set-Cookie', setCookie);
    for (const [name, value] of Object.entries(cacheControl)) ctx.set(name, value);
  }
}

/** The session of a request, typed with the app's own session data. */
export function getSession<TData extends object = Record<string, unknown>>(ctx: object): Session<TData> {
  return sessionIn<TData>(
    ctx,
    'No session on this context: is the session() middleware installed before this one?',
  );
}
