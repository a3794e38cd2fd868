import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Session, SessionHandler, type SessionOptions } from '@sharedstate/session-core';

/** The parts of Express's request and response the middleware uses (Express 4 and 5 both have them). */
interface ExpressRequest extends IncomingMessage {
  secure?: boolean;
  session?: unknown;
}
type Next = (error?: unknown) => void;
type ExpressMiddleware = (req: ExpressRequest, res: ServerResponse, next: Next) => void;

/** Where the session is kept on the request (a symbol property: cheaper for the GC than a WeakMap per request). */
const SESSION = Symbol.for('@sharedstate/session');

/**
 * Session middleware for Express 4 and 5. Sets `req.session` (use `getSession<TData>(req)` for a typed
 * view) and saves the session before the response is sent, so a redirect right after a change never races
 * the save. A save that fails goes to Express's error handling (unless onCommitError is set).
 */
export function session(options: SessionOptions): ExpressMiddleware {
  const handler = new SessionHandler(options);
  return (req, res, next) => {
    handler
      .begin({
        cookieHeader: req.headers.cookie,
        // req.secure honours Express's "trust proxy" setting (X-Forwarded-Proto behind a load balancer).
        secure: req.secure === true,
        responseStarted: () => res.headersSent,
      })
      .then((current) => {
        (req as { [SESSION]?: Session<object> })[SESSION] = current as Session<object>;
        req.session = current;
        attach(handler, current as Session<object>, res, next);
        next();
      }, next);
  };
}

/** The session of a request, typed with the app's own session data. */
export function getSession<TData extends object = Record<string, unknown>>(req: object): Session<TData> {
  const found = (req as { [SESSION]?: Session<object> })[SESSION];
  if (!found)
    throw new Error('No session on this request: is the session() middleware installed before this route?');
  return found as unknown as Session<TData>;
}

function attach(handler: SessionHandler, current: Session<object>, res: ServerResponse, next: Next): void {
  const originalWriteHead = res.writeHead;
  const originalEnd = res.end;
  let headersApplied = false;
  const applyHeaders = () => {
    if (headersApplied || res.headersSent) return;
    headersApplied = true;
    const { setCookie, cacheControl } = handler.responseHeaders(current);
    if (setCookie === undefined) return;
    const existing = res.getHeader('Set-Cookie');
    const cookies = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader('Set-Cookie', [...cookies, setCookie]);
    for (const [name, value] of Object.entries(cacheControl)) res.setHeader(name, value);
  };

  // A streamed response sends its headers on the first write: the cookie must be in them.
  res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
    applyHeaders();
    return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;

  let ending = false;
  res.end = function end(this: ServerResponse, ...args: unknown[]) {
    if (ending) return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
    ending = true;
    const saving = handler.end(current);
    if (saving === undefined) {
      // Nothing to save: send now, without waiting for a tick.
      applyHeaders();
      return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
    }
    saving.then(
      () => {
        applyHeaders();
        (originalEnd as (...a: unknown[]) => ServerResponse).apply(res, args);
      },
      (error: unknown) => {
        res.end = originalEnd;
        res.writeHead = originalWriteHead;
        if (res.headersSent) {
          // Too late for an error page: the status is out. Cut the connection so the client sees a failed
          // response, not a complete one claiming success.
          handler.options.logger?.error(
            `The session could not be saved after the response started: ${(error as Error).message}`,
          );
          res.destroy();
        } else {
          // The handler's response is dropped: it would claim success for data that was not saved.
          for (const name of res.getHeaderNames()) res.removeHeader(name);
          next(error);
        }
      },
    );
    return res;
  } as typeof res.end;
}
