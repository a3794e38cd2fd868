import {
  type Callback,
  callBack,
  callbackOf,
  createPropertyView,
  PropertyView,
  VIEW,
} from './property-view.ts';
import { SessionUsageError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

/**
 * A session as express-session presents it, for libraries written against that object: Passport (which
 * keeps the signed-in user in `req.session.passport`, and calls `regenerate(cb)` and `save(cb)` around
 * sign-in and sign-out) and connect-flash (`req.session.flash`). Its values are plain properties, stored
 * as JSON under their names, so `getSession(req).getJson('passport')` reads the same value. Values that
 * are not JSON (bytes, or text written with setString) stay in the session but are not properties.
 *
 * The session handler writes the changed properties to the session before the response headers go out,
 * before a commit and at the end of the request; save() commits at once.
 */
export class PropertySession extends PropertyView {
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
    this.renewed().then(
      () => callBack(state, callback),
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
    this.ended();
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

/**
 * An express-session-style view of a loaded session (see PropertyView and createPropertyView): `replace`
 * puts a view where the app finds it (req.session, ctx.session); `callbackFailed` takes an error thrown by
 * the app's callback once a save or regenerate has settled.
 */
export function createPropertySession(
  state: SessionState,
  replace: (next: PropertySession | undefined) => void,
  callbackFailed?: (error: unknown) => void,
): PropertySession {
  return createPropertyView(PropertySession, state, replace, callbackFailed);
}
