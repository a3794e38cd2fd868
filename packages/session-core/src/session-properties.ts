import { MEMBERS } from './other-library-habits.ts';
import { PropertySessionCookie } from './property-session-cookie.ts';
import type { Session } from './session.ts';
import { SessionUsageError } from './session-errors.ts';
import { SESSION_STATE } from './session-state.ts';

type Callback = (error?: unknown) => void;

/** What a view knows besides its values; under a symbol, so for…in, Object.keys and JSON skip it. */
interface ViewState {
  readonly session: Session<object>;
  /** Each value as JSON when it was loaded or last written: only values that changed are written back. */
  readonly written: Map<string, string>;
  /** Puts the view that replaces this one where the app finds it (undefined after destroy). */
  readonly replace: (next: PropertySession | undefined) => void;
  /** Replaced by regenerate() or ended by destroy(): its values are no longer the session's. */
  detached: boolean;
  /** Where an error thrown by a callback that regenerate() or save() calls later goes (see createPropertySession). */
  readonly callbackFailed: (error: unknown) => void;
}

const VIEW = Symbol('sharedstate.propertyView');

/**
 * Calls back from a settled save or regenerate. The callback runs inside a promise reaction, where a throw
 * would be an unhandled rejection and end the process; it goes to the view's callbackFailed instead.
 */
function callBack(state: ViewState, callback: Callback | undefined, error?: unknown): void {
  try {
    if (error === undefined) callback?.();
    else callback?.(error);
  } catch (thrown) {
    state.callbackFailed(thrown);
  }
}

/** Without an adapter's error handling: an uncaught exception, as express-session's callbacks give. */
const throwUncaught = (error: unknown): void =>
  process.nextTick(() => {
    throw error;
  });

function callbackOf(method: string, done: unknown): Callback | undefined {
  if (done === undefined) return undefined;
  if (typeof done !== 'function') {
    throw new SessionUsageError(`session.${method}() takes an optional callback; got ${typeof done}.`);
  }
  return done as Callback;
}

/**
 * A session as express-session presents it, for libraries written against that object: Passport (which
 * keeps the signed-in user in `req.session.passport`, and calls `regenerate(cb)` and `save(cb)` around
 * sign-in and sign-out) and connect-flash (`req.session.flash`). Its values are plain properties, stored
 * as JSON under their names, so `getSession(req).getJson('passport')` reads the same value. Values that
 * are not JSON (bytes, or text written with setString) stay in the session but are not properties.
 *
 * The session handler writes the changed properties to the session (syncPropertySession) before the
 * response headers go out, before a commit and at the end of the request; save() commits at once.
 */
export class PropertySession {
  declare [VIEW]: ViewState;

  /** The session's id, as express-session's `req.session.id`. */
  get id(): string {
    return this[VIEW].session.id;
  }

  /**
   * A new session, as express-session's: a new key, cookie (session fixation) and id, no values. A new view
   * takes this one's place (Passport's `keepSessionInfo` copies this one's values into it); `done` is called
   * once it is there.
   */
  regenerate(done: Callback): this {
    const callback = callbackOf('regenerate', done);
    if (callback === undefined) {
      throw new SessionUsageError(
        'session.regenerate(done) calls `done` once the new session is in req.session; pass a callback.',
      );
    }
    const state = this[VIEW];
    state.session.regenerate().then(
      () => {
        state.session.clear();
        // As express-session's: the new session has a new id (req.session.id, req.sessionID).
        state.session.renewId();
        state.detached = true;
        state.replace(createPropertySession(state.session, state.replace, state.callbackFailed));
        callBack(state, callback);
      },
      (error: unknown) => callBack(state, callback, error),
    );
    return this;
  }

  /**
   * Writes the changed values and saves the session now, then calls back. Without a callback a failure is
   * not lost: the session is still unsaved, and the save at the end of the request reports it.
   */
  save(done?: Callback): this {
    const callback = callbackOf('save', done);
    const state = this[VIEW];
    // The commit writes this view's changes first (the handler syncs the session's view).
    state.session.commit().then(
      () => callBack(state, callback),
      (error: unknown) => callBack(state, callback, error),
    );
    return this;
  }

  /** Ends the session (the entry removed, the cookie expired) and takes this view away from the request. */
  destroy(done?: Callback): this {
    const callback = callbackOf('destroy', done);
    const state = this[VIEW];
    state.session.destroy();
    state.detached = true;
    state.session[SESSION_STATE].syncView = undefined;
    state.replace(undefined);
    callback?.();
    return this;
  }

  /** Every request that loads the session renews its idle timeout: nothing to do. */
  touch(): this {
    return this;
  }

  /**
   * express-session's restarts the cookie's maxAge, which reaches the store on its next save or touch and the
   * browser only with a cookie it sends anyway. Here every load renews the stored session, and a remembered
   * session's cookie goes out again with its full lifetime once half of it has passed: nothing to do.
   */
  resetMaxAge(): this {
    return this;
  }

  /** The session is read once per request; there is nothing newer to read. */
  reload(): never {
    throw new SessionUsageError(`${MEMBERS.reload}.`);
  }

  /**
   * express-session's per-session cookie, for "remember me": `cookie.maxAge = ms` is the session's
   * rememberFor(ms), `cookie.maxAge = null` (or `cookie.expires = false`) its rememberFor(false).
   */
  get cookie(): PropertySessionCookie {
    return new PropertySessionCookie(this[VIEW].session);
  }

  /** koa-session's per-session lifetime: milliseconds are rememberFor(ms), 'session' is rememberFor(false). */
  get maxAge(): number | 'session' {
    return this[VIEW].session.rememberedForMs ?? 'session';
  }

  set maxAge(value: number | 'session') {
    if (value === 'session') this[VIEW].session.rememberFor(false);
    else if (typeof value === 'number') this[VIEW].session.rememberFor(value);
    else throw new SessionUsageError(`session.maxAge takes milliseconds or 'session'; got ${String(value)}.`);
  }

  /** koa-session's: saves now. */
  manuallyCommit(): Promise<void> {
    return this[VIEW].session.commit();
  }
}

/** The JSON text of a stored value, canonical (as JSON.stringify writes it), or undefined if it is not JSON. */
function jsonOf(text: string): { value: unknown; text: string } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return { value, text: JSON.stringify(value) };
  } catch {
    return undefined;
  }
}

/**
 * A property view of a loaded session: each value stored as JSON under a name that is not one of the view's
 * members becomes a property. `replace` puts a view where the app finds it (req.session); regenerate() and
 * destroy() call it. `callbackFailed` takes an error thrown by the app's callback once a save or regenerate
 * has settled (an adapter passes its framework's error handling; by default it is an uncaught exception).
 * The session handler syncs the session's current view before the response headers, before a commit and
 * at the end of the request.
 */
export function createPropertySession(
  session: Session<object>,
  replace: (next: PropertySession | undefined) => void,
  callbackFailed: (error: unknown) => void = throwUncaught,
): PropertySession {
  const view = new PropertySession();
  const written = new Map<string, string>();
  const state: ViewState = { session, written, replace, detached: false, callbackFailed };
  Object.defineProperty(view, VIEW, { value: state });
  session[SESSION_STATE].syncView = () => syncPropertySession(view);
  if (session.isLoaded) {
    const values = view as unknown as Record<string, unknown>;
    for (const name of session.keys()) {
      // A stored name that is a member here ('id', 'cookie', 'save', '__proto__') stays a session value only.
      if (name in view) continue;
      const text = session.getString(name);
      const json = text === undefined ? undefined : jsonOf(text);
      if (json === undefined) continue;
      values[name] = json.value;
      written.set(name, json.text);
    }
  }
  return view;
}

/**
 * Writes to the session what changed in the view since it was made or last synced: a new or changed
 * property is stored as JSON, a deleted one (or one set to undefined) is removed. Values written through
 * the session's own methods in the meantime are left alone unless the same property changed too.
 */
export function syncPropertySession(view: PropertySession): void {
  const state = view[VIEW];
  if (state.detached || state.session[SESSION_STATE].destroyed) return;
  const { session, written } = state;
  const values = view as unknown as Record<string, unknown>;
  const present = new Set<string>();
  for (const name of Object.keys(values)) {
    const text = JSON.stringify(values[name]);
    if (text === undefined) continue;
    present.add(name);
    if (written.get(name) === text) continue;
    session.setString(name, text);
    written.set(name, text);
  }
  for (const name of written.keys()) {
    if (present.has(name)) continue;
    session.remove(name);
    written.delete(name);
  }
}
