import { SessionUsageError } from '@sharedstate/session-core';
import {
  type Callback,
  callBack,
  callbackOf,
  createPropertyView,
  PropertyView,
  type SessionState,
  VIEW,
} from '@sharedstate/session-core/adapter';

type Values = Record<string, unknown>;

/**
 * A session as @fastify/session presents it, for Fastify plugins written against that object:
 * @fastify/passport (which reads and writes the signed-in user with `get` and `set`, and calls
 * `regenerate(keep)` around sign-in and sign-out) and @fastify/flash. Values are plain properties too,
 * stored as JSON under their names, so `getSession(request).getJson('passport')` reads the same value.
 * Methods return promises; given a callback, they call it instead.
 */
export class FastifyPropertySession extends PropertyView {
  /** The session's id, as @fastify/session's `request.session.sessionId`. */
  get sessionId(): string {
    return this.id;
  }

  /** The value stored under `key` (a property of this object). */
  get<T = unknown>(key: string): T | undefined {
    return (this as Values)[key] as T | undefined;
  }

  /** Stores `value` (JSON) under `key`; undefined removes it. */
  set(key: string, value: unknown): void {
    if (key in FastifyPropertySession.prototype || key === '__proto__') {
      throw new SessionUsageError(
        `session.set('${key}', …): '${key}' is a member of the session; pick another name.`,
      );
    }
    (this as Values)[key] = value;
  }

  /**
   * A new session, as @fastify/session's: a new key, cookie (session fixation) and id, and of this one's
   * values only those named in `keep` (@fastify/passport keeps 'passport' and 'session'). The new object
   * takes this one's place in request.session.
   */
  regenerate(keep?: readonly string[]): Promise<void>;
  regenerate(done: Callback): void;
  regenerate(keep: readonly string[], done: Callback): void;
  regenerate(keepOrDone?: readonly string[] | Callback, done?: Callback): Promise<void> | undefined {
    const keep = typeof keepOrDone === 'function' ? [] : (keepOrDone ?? []);
    if (!Array.isArray(keep)) {
      throw new SessionUsageError(
        `session.regenerate() takes the names of values to keep; got ${typeof keep}.`,
      );
    }
    const callback = callbackOf('regenerate', typeof keepOrDone === 'function' ? keepOrDone : done);
    const values = this as Values;
    const kept = keep
      .filter((name) => Object.hasOwn(values, name))
      .map((name) => [name, values[name]] as const);
    const renewing = this.renewed().then((next) => {
      for (const [name, value] of kept) (next as Values)[name] = value;
    });
    return settle(this, renewing, callback);
  }

  /** Writes the changed values and saves the session now. */
  save(): Promise<void>;
  save(done: Callback): void;
  save(done?: Callback): Promise<void> | undefined {
    const callback = callbackOf('save', done);
    // The commit writes this view's changes first (the handler syncs the session's view).
    return settle(this, this[VIEW].session.commit(), callback);
  }

  /** Ends the session (the entry removed, the cookie expired) and takes this object away from the request. */
  destroy(): Promise<void>;
  destroy(done: Callback): void;
  destroy(done?: Callback): Promise<void> | undefined {
    const callback = callbackOf('destroy', done);
    this.ended();
    return settle(this, Promise.resolve(), callback);
  }

  /** Every request that loads the session renews its idle timeout: nothing to do. */
  touch(): void {}
}

/** The promise, or with a callback, nothing: the callback is called when it settles. */
function settle(
  view: FastifyPropertySession,
  settling: Promise<void>,
  callback: Callback | undefined,
): Promise<void> | undefined {
  if (callback === undefined) return settling;
  const state = view[VIEW];
  settling.then(
    () => callBack(state, callback),
    (error: unknown) => callBack(state, callback, error),
  );
  return undefined;
}

/**
 * A @fastify/session-style view of a loaded session (see createPropertyView): `replace` puts a view where
 * the app finds it (request.session); `callbackFailed` takes an error thrown by a callback the app passed.
 */
export function createFastifyPropertySession(
  state: SessionState,
  replace: (next: FastifyPropertySession | undefined) => void,
  callbackFailed?: (error: unknown) => void,
): FastifyPropertySession {
  return createPropertyView(FastifyPropertySession, state, replace, callbackFailed);
}
