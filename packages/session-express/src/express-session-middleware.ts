import { IncomingMessage, type ServerResponse } from 'node:http';
import type {
  PropertySession,
  Session,
  SessionOptions,
  SessionReadinessProbe,
  UserSessionsAccess,
} from '@sharedstate/session-core';
import {
  createPropertySession,
  forwardedProto,
  readAdapterFlags,
  SESSION_SLOT,
  SessionHandler,
  type SessionReceiver,
  type SessionRequest,
  type SessionState,
  sessionIn,
} from '@sharedstate/session-core/adapter';

/** The parts of Express's request and response the middleware uses (Express 4 and 5 both have them). */
interface ExpressRequest extends IncomingMessage {
  secure?: boolean;
  session?: unknown;
}
type Next = (error?: unknown) => void;

export interface ExpressSessionAdapterOptions {
  /**
   * `req.session` as express-session's object, for libraries written against it: Passport, connect-flash.
   * Values are plain properties (stored as JSON under their names, so `getSession(req).getJson(name)` reads
   * them too), and `regenerate(cb)`, `save(cb)` and `destroy(cb)` take callbacks. Default false:
   * `req.session` is the Session, whose methods return promises and whose values go through setJson.
   */
  properties?: boolean;
}

type ExpressMiddleware = (req: ExpressRequest, res: ServerResponse, next: Next) => void;

/**
 * `req.sessionID`, as express-session sets it: the session's id (`getSession(req).id`). An app that keyed its
 * own data by it must not get undefined for every user. Unread with load: 'lazy' it is undefined: the id is
 * kept inside the stored session. A value assigned to it (express-session's, when it runs first during a
 * migration) becomes the request's own property.
 */
const SESSION_ID: PropertyDescriptor = Object.freeze({
  get(this: ExpressRequest): string | undefined {
    const session = (this as { [SESSION_SLOT]?: Session<object> })[SESSION_SLOT];
    return session?.isLoaded ? session.id : undefined;
  },
  set(this: ExpressRequest, value: unknown): void {
    Object.defineProperty(this, 'sessionID', { value, writable: true, enumerable: true, configurable: true });
  },
  configurable: true,
});

/**
 * Puts `sessionID` on the app's request prototype (`app.request`, Express's place for request extensions;
 * a mounted sub-app's inherits from its parent's), once per app, so no property is added per request.
 * Never on Node's own IncomingMessage (the middleware called outside Express): that would reach every
 * server in the process.
 */
function exposeSessionId(prototype: object | null): void {
  if (prototype === null || prototype === IncomingMessage.prototype || 'sessionID' in prototype) return;
  Object.defineProperty(prototype, 'sessionID', SESSION_ID);
}

type ResponseMethod = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/** What one middleware shares with all its responses. */
interface Middleware {
  readonly handler: SessionHandler;
  readonly properties: boolean;
  /** Where each response keeps its PendingResponse: one key per middleware (see session()). */
  readonly pendingKey: symbol;
  readonly writeHead: ResponseMethod;
  readonly end: ResponseMethod;
}

/**
 * One response's session: the request as session-core sees it, where the session arrives, and the state
 * the response hooks read. One object with its methods on the prototype, where an object literal and
 * closures per request were before.
 */
class PendingResponse implements SessionRequest, SessionReceiver {
  readonly middleware: Middleware;
  readonly req: ExpressRequest;
  readonly res: ServerResponse;
  readonly next: Next;
  readonly cookieHeader: string | undefined;
  // Assigned when the session has loaded, before the response hooks that read them are installed.
  session!: Session<object>;
  state!: SessionState;
  /** What res.writeHead and res.end were before (another middleware's, such as compression, or Node's). */
  writeHead!: ResponseMethod;
  end!: ResponseMethod;
  headersApplied = false;
  ending = false;
  /** This middleware put its session in `req.session` (another session middleware had not claimed it). */
  claimed = false;
  /** With the `properties` option: the express-session-style object in `req.session` (none once destroyed). */
  view: PropertySession | undefined = undefined;

  constructor(middleware: Middleware, req: ExpressRequest, res: ServerResponse, next: Next) {
    this.middleware = middleware;
    this.req = req;
    this.res = res;
    this.next = next;
    this.cookieHeader = req.headers.cookie;
  }

  /**
   * req.secure honours Express's "trust proxy" setting (X-Forwarded-Proto behind a load balancer). Read when
   * a cookie is written, not on every request.
   */
  get secure(): boolean {
    return this.req.secure === true;
  }

  /** Read only to warn when a cookie goes out without Secure behind a proxy Express does not trust. */
  get forwardedProto(): string | undefined {
    return forwardedProto(this.req.headers['x-forwarded-proto']);
  }

  responseStarted(): boolean {
    return this.res.headersSent;
  }

  /** res.end() was called: the session is saved, then the response sent. */
  responseFinished(): boolean {
    return this.ending || this.res.writableEnded;
  }

  /** Puts the session on the request, hooks the response so the session is saved before it goes out, and goes on. */
  sessionReady(state: SessionState): void {
    const { req, res, middleware } = this;
    const current = state.session;
    const own = req as { [SESSION_SLOT]?: Session<object> };
    // express-session run first during a migration keeps req.session (getSession(req) gives ours); one of
    // our own middlewares run first gives way, as getSession(req) gives the innermost.
    if (middleware.properties) {
      if (req.session === undefined) {
        this.claimed = true;
        this.view = createPropertySession(
          state,
          (next) => {
            this.view = next;
            req.session = next;
          },
          // A throw in the app's regenerate or save callback goes to Express's error handling.
          this.next,
        );
        req.session = this.view;
      }
    } else if (req.session === undefined || req.session === own[SESSION_SLOT]) {
      req.session = current;
      this.claimed = true;
    }
    own[SESSION_SLOT] = current;
    this.session = current;
    this.state = state;
    this.writeHead = res.writeHead as ResponseMethod;
    this.end = res.end as ResponseMethod;
    (res as unknown as Record<symbol, PendingResponse>)[middleware.pendingKey] = this;
    // The same two functions on every response, with the request's state in a property: a fresh closure
    // per response assigned here makes V8's young-generation GC keep and promote whole request object
    // graphs, a large share of what the middleware costs under load.
    res.writeHead = middleware.writeHead as typeof res.writeHead;
    res.end = middleware.end as typeof res.end;
    this.next();
  }

  sessionFailed(error: unknown): void {
    this.next(error);
  }
}

/**
 * Session middleware for Express 4 and 5. Sets `req.session` (use `getSession<TData>(req)` for a typed
 * view) and `req.sessionID`, and saves the session before the response is sent, so a redirect right after
 * a change never races the save. A save that fails goes to Express's error handling (unless onCommitError
 * is set).
 */
export function session(
  options: SessionOptions,
  adapterOptions: ExpressSessionAdapterOptions = {},
): ExpressMiddleware & SessionReadinessProbe & UserSessionsAccess {
  const { properties } = readAdapterFlags('Express', adapterOptions, ['properties']);
  const handler = new SessionHandler(options);
  if (properties) handler.checkPropertyViews();
  // One key and one pair of methods per middleware, shared by all its responses: two session middlewares
  // on one response each find their own state and chain to the other's methods.
  const pendingKey = Symbol('sharedstate.express.pending');
  const middleware: Middleware = { handler, properties, pendingKey, ...responseMethods(pendingKey) };
  let knownPrototype: object | null = null;
  const run: ExpressMiddleware = (req, res, next) => {
    // Express gives the request its app's prototype (a mounted sub-app's while in it): each is checked once
    // in a row.
    const prototype = Object.getPrototypeOf(req) as object | null;
    if (prototype !== knownPrototype) {
      knownPrototype = prototype;
      exposeSessionId(prototype);
    }
    const pending = new PendingResponse(middleware, req, res, next);
    handler.beginThen(pending, pending);
  };
  return Object.assign(run, { readiness: () => handler.readiness(), userSessions: handler.userSessions });
}

/** The session of a request, typed with the app's own session data. */
export function getSession<TData extends object = Record<string, unknown>>(req: object): Session<TData> {
  return sessionIn<TData>(
    req,
    'No session on this request: is the session() middleware installed before this route?',
  );
}

/**
 * What the app did to `req.session`: `req.session = null` (cookie-session's sign-out) destroys the session,
 * a plain object in its place fails the request (see SessionHandler.replaced). Checked before the headers
 * go out and at the end, so a sign-out before a streamed response still expires the cookie.
 */
function checkReplaced(pending: PendingResponse): void {
  if (!pending.claimed) return;
  // With properties, req.session holds the view (undefined after its destroy(): replaced() then has nothing
  // left to do, as the session is destroyed already).
  if (pending.req.session !== (pending.view ?? pending.session)) {
    pending.middleware.handler.replaced(pending.state, pending.req.session, 'req.session');
  }
}

function applyHeaders(res: ServerResponse, pending: PendingResponse): void {
  if (pending.headersApplied || res.headersSent) return;
  checkReplaced(pending);
  pending.headersApplied = true;
  const { setCookie, cacheControl } = pending.middleware.handler.responseHeaders(pending.state);
  if (setCookie === undefined) return;
  const existing = res.getHeader('Set-Cookie');
  const cookies = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...cookies, setCookie]);
  for (const [name, value] of Object.entries(cacheControl)) res.setHeader(name, value);
}

/** The writeHead and end a middleware puts on its responses, reading each response's state under `key`. */
function responseMethods(key: symbol): { writeHead: ResponseMethod; end: ResponseMethod } {
  const pendingOf = (res: ServerResponse) => (res as unknown as Record<symbol, PendingResponse>)[key]!;
  return {
    /** A streamed response sends its headers on the first write: the cookie must be in them. */
    writeHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
      const pending = pendingOf(this);
      applyHeaders(this, pending);
      return pending.writeHead.apply(this, args);
    },
    /** Ends the response once the session is saved; a failed save replaces the response with an error. */
    end(this: ServerResponse, ...args: unknown[]): ServerResponse {
      const pending = pendingOf(this);
      if (pending.ending) return pending.end.apply(this, args);
      pending.ending = true;
      checkReplaced(pending);
      const saving = pending.middleware.handler.end(pending.state);
      if (saving === undefined) {
        // Nothing to save: send now, without waiting for a tick.
        applyHeaders(this, pending);
        return pending.end.apply(this, args);
      }
      saving.then(
        () => {
          applyHeaders(this, pending);
          pending.end.apply(this, args);
        },
        (error: unknown) => {
          // Express's error response goes out through the original methods.
          this.end = pending.end as typeof this.end;
          this.writeHead = pending.writeHead as typeof this.writeHead;
          if (this.headersSent) {
            // Too late for an error page: the status is out. Cut the connection so the client sees a failed
            // response, not a complete one claiming success.
            pending.middleware.handler.logger?.error(
              `The session could not be saved after the response started: ${(error as Error).message}`,
            );
            this.destroy();
          } else {
            // The handler's response is dropped: it would claim success for data that was not saved.
            for (const name of this.getHeaderNames()) this.removeHeader(name);
            pending.next(error);
          }
        },
      );
      return this;
    },
  };
}
